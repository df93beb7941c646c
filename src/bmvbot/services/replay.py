"""Tape replay (tape v1): the trading loop's strategy core run against a recorded book.

``TapeReplayService`` walks a ``TapeMarket`` and, at every event it is woken for, does what
``TradingService.tick`` does with a snapshot: feed the tape's new trades to the ``PivotEngine``
(our own fills do not feed it), take the market price of the tape's book (``market_price_lots``:
mid, else the remaining touch, else the last trade), ask the guards (``fired_guard`` /
``decide_rebalance``) and, when they say so, send the target grid (``GridBuilder.build`` then
``skip_crossing_levels``) as one replacement. The math is the core's; this module only decides
when to call it and counts.

When to call it: evaluating the strategy at an event where none of its inputs changed gives the
same answer as at the previous one, so the service tells the market which events can change
the answer (a ``ReplayWatch``) and the market skips the rest in array operations:

- no guard fired: the guards can only fire when the market price leaves the band of
  ``guard_band`` (deviation and proximity), when the entropy interval ends, or on a fill;
- a guard fired but the cool-down holds it: at the end of the cool-down, or on a fill;
- a guard fired but the target equals the resting grid: when the target's inputs change --
  a tape trade (pivot, last trade), a new best bid or ask (market price, crossing filter), a
  trade leaving the pivot's window, the entropy interval -- or on a fill; with a decaying seed
  or wall front-running on, at every event;
- no pivot yet: at the next trade; a replacement in flight: when it arrives.

``ReplayOptions.is_every_event`` evaluates at every event instead (the reference schedule);
both give the same counters.

The replay models one aggregate account: the swarm's allocation over wallets does not change
which levels rest (its slots are checked by the settings), so it is not run. Balances are
unlimited by default (the position may go negative); with limited balances the grid is sized
(``AvailableFunds``) to the starting balances plus the fills so far.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from itertools import repeat

from bmvbot.core.config import GuardParams, StrategyParams
from bmvbot.core.errors import ConfigError
from bmvbot.core.grid import UNLIMITED_FUNDS, AvailableFunds, GridBuilder
from bmvbot.core.guards import (
    GuardObservation,
    HoldReason,
    RebalanceReason,
    decide_rebalance,
    fired_guard,
)
from bmvbot.core.pivot import FILL_ID_EVENT_SEQ, PivotEngine, PivotState, TradeId
from bmvbot.core.treasury import bid_throttle_factor, throttle_grid_params
from bmvbot.core.types import (
    FEES_SCALE,
    BaseLots,
    BookLevel,
    Grid,
    L2Snapshot,
    MarketSpec,
    PriceLots,
    Side,
)
from bmvbot.ports.tape import (
    EVERY_EVENT,
    DecimalStep,
    ReplayWatch,
    TapeFill,
    TapeMarket,
    TapeStep,
)
from bmvbot.services.market_view import market_price_lots, skip_crossing_levels

BAND_MARGIN = 1e-9
"""Relative widening of the guard band: a float rounding can only wake the strategy early."""
PIVOT_MARGIN = 1e-12
"""Relative narrowing of a pivot range, against the rounding of the VWAP the market watches."""
PIVOT_PROBES_TICKS = (0.5, 0.02, 0.0005)
"""Distances tried on each side of the pivot for a range with an unchanged grid, widest first."""
TOP_PROBES_TICKS = (8, 2, 0)
"""Half-widths tried for a best bid/ask box with an unchanged target, widest first."""
SUMMARY_FIELDS = (
    "events",
    "wall_s",
    "events_per_s",
    "fills",
    "filled_qty",
    "buy_qty",
    "sell_qty",
    "inventory",
    "cash",
    "fees",
    "pnl",
    "rebalances",
    "orders_submitted",
    "post_only_rejects",
    "open_orders_end",
    "peak_rss_mb",
)
"""The output fields of a replay, in tape v1's order."""
_TAPE_TRADE = TradeId("tape", FILL_ID_EVENT_SEQ)
_IDLE = ReplayWatch()


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """How the replay runs.

    Attributes:
        is_unlimited_balances: True (default): balance checks never shrink the grid and the
            position may go negative; False: the grid is funded by the balances below.
        base_balance_lots: starting base balance (limited balances), base lots; None: the
            config's ask depth (``[grid] ask_depth``).
        quote_balance_native: starting quote balance (limited balances), native units; None:
            the config's bid depth valued at the first pivot of the replay.
        is_every_event: evaluate the strategy at every event (the reference schedule).
    """

    is_unlimited_balances: bool = True
    base_balance_lots: int | None = None
    quote_balance_native: int | None = None
    is_every_event: bool = False


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Counters of one replay, in integer units (``summary`` gives the tape v1 output).

    Attributes:
        events: events (rows) replayed.
        fills: fills of our orders (a partial fill counts as one).
        buy_base_lots: base bought by our bids.
        sell_base_lots: base sold by our asks.
        cash_quote_native: quote received minus quote paid, fees excluded.
        fees_scaled: maker fees paid in native quote times ``FEES_SCALE`` (negative: rebates).
        final_mark_lots: the market price after the last event (mid, else last trade), or
            None when the tape never had either.
        rebalances: replacements sent.
        orders_submitted: new orders that reached the matching engine.
        post_only_rejects: of those, the ones that would have crossed the tape's book.
        open_orders_end: orders resting after the last event.
    """

    events: int
    fills: int
    buy_base_lots: int
    sell_base_lots: int
    cash_quote_native: int
    fees_scaled: int
    final_mark_lots: Fraction | None
    rebalances: int
    orders_submitted: int
    post_only_rejects: int
    open_orders_end: int

    @property
    def inventory_base_lots(self) -> int:
        """Return the position: bought minus sold, base lots."""
        return self.buy_base_lots - self.sell_base_lots

    def pnl_quote_native(self, market: MarketSpec) -> Fraction:
        """Return ``cash + inventory * final mark - fees`` in native quote (exact)."""
        mark = self.final_mark_lots or Fraction(0)
        inventory_value = self.inventory_base_lots * mark * market.quote_lot_size
        return self.cash_quote_native + inventory_value - Fraction(self.fees_scaled, FEES_SCALE)

    def summary(
        self, market: MarketSpec, *, wall_s: float, peak_rss_mb: float
    ) -> dict[str, int | float]:
        """Return the tape v1 output object: quantities in base and amounts in quote units."""

        def base(lots: int) -> float:
            return float(Fraction(lots * market.base_lot_size, 10**market.base_decimals))

        def quote(native: Fraction | int) -> float:
            return float(Fraction(native) / 10**market.quote_decimals)

        return {
            "events": self.events,
            "wall_s": round(wall_s, 6),
            "events_per_s": round(self.events / wall_s, 1) if wall_s > 0 else 0.0,
            "fills": self.fills,
            "filled_qty": base(self.buy_base_lots + self.sell_base_lots),
            "buy_qty": base(self.buy_base_lots),
            "sell_qty": base(self.sell_base_lots),
            "inventory": base(self.inventory_base_lots),
            "cash": quote(self.cash_quote_native),
            "fees": quote(Fraction(self.fees_scaled, FEES_SCALE)),
            "pnl": quote(self.pnl_quote_native(market)),
            "rebalances": self.rebalances,
            "orders_submitted": self.orders_submitted,
            "post_only_rejects": self.post_only_rejects,
            "open_orders_end": self.open_orders_end,
            "peak_rss_mb": round(peak_rss_mb, 1),
        }


def tape_market_spec(
    tick: DecimalStep, lot: DecimalStep, *, maker_fee_ppm: int = 0, taker_fee_ppm: int = 0
) -> MarketSpec:
    """Return a market whose UI tick is ``tick`` and whose UI lot is ``lot``, exactly.

    With ``lot = m * 10^-e`` and ``tick = t * 10^-f``: ``base_decimals = e``,
    ``base_lot_size = m`` (one lot is ``m / 10^e`` base), ``quote_decimals = e + f`` and
    ``quote_lot_size = t * m``, so one tick is ``quote_lot_size * 10^e / (m * 10^(e+f)) =
    t * 10^-f`` quote per base. The fees are the config's.

    Raises:
        ConfigError: ``e + f`` exceeds 18 decimals.
    """
    quote_decimals = lot.exponent + tick.exponent
    if quote_decimals > 18:
        raise ConfigError(
            f"--tick {tick} and --lot {lot} need {quote_decimals} quote decimals; at most 18 "
            "are allowed: use fewer decimal places",
            key="tick",
        )
    return MarketSpec(
        base_decimals=lot.exponent,
        quote_decimals=quote_decimals,
        base_lot_size=lot.mantissa,
        quote_lot_size=tick.mantissa * lot.mantissa,
        maker_fee_ppm=maker_fee_ppm,
        taker_fee_ppm=taker_fee_ppm,
    )


def guard_band(
    guards: GuardParams, last_pivot_lots: float | None, resting: Grid
) -> tuple[float | None, float | None]:
    """Return ``(low, high)``: deviation and proximity can fire only at or beyond these prices.

    Deviation fires when ``|market - lastPivot| / lastPivot > deviation``, proximity when
    ``market <= maxBid * (1 + proximity)`` or ``market >= minAsk * (1 - proximity)``
    (``bmvbot.core.guards``); the band is the intersection of their quiet zones, widened by
    ``BAND_MARGIN`` so that a rounding difference can only make a wake early. None: no bound.
    """
    low: float | None = None
    high: float | None = None
    if guards.is_deviation_enabled and last_pivot_lots is not None:
        low = last_pivot_lots * (1 - guards.deviation_fraction)
        high = last_pivot_lots * (1 + guards.deviation_fraction)
    if guards.is_proximity_enabled:
        fraction = guards.proximity_fraction
        if resting.bids:
            near = max(level.price_lots for level in resting.bids) * (1 + fraction)
            low = near if low is None else max(low, near)
        if resting.asks:
            near = min(level.price_lots for level in resting.asks) * (1 - fraction)
            high = near if high is None else min(high, near)
    return (
        None if low is None else low * (1 + BAND_MARGIN),
        None if high is None else high * (1 - BAND_MARGIN),
    )


@dataclass(slots=True)
class _Tally:
    fills: int = 0
    buy_base_lots: int = 0
    sell_base_lots: int = 0
    cash_quote_native: int = 0
    fees_scaled: int = 0
    rebalances: int = 0

    def add(self, fill: TapeFill, market: MarketSpec) -> None:
        value = fill.price_lots * fill.size_base_lots * market.quote_lot_size
        self.fills += 1
        self.fees_scaled += value * market.maker_fee_ppm
        if fill.side is Side.BID:
            self.buy_base_lots += fill.size_base_lots
            self.cash_quote_native -= value
        else:
            self.sell_base_lots += fill.size_base_lots
            self.cash_quote_native += value


class TapeReplayService:
    """Replay one tape through the strategy core (see the module docstring)."""

    def __init__(
        self, market: TapeMarket, params: StrategyParams, options: ReplayOptions | None = None
    ) -> None:
        """Prepare a replay; nothing runs until ``run``.

        The pivot's deduplication is switched off: every tape row is one print, so there is
        nothing to deduplicate (the pivot is the same, with less work per trade).
        """
        self._market = market
        self._params = params
        self._options = options or ReplayOptions()
        self._pivot = PivotEngine(dataclasses.replace(params.pivot, dedup_window_ns=0))
        self._builders: dict[int, GridBuilder] = {}
        self._has_walls = params.grid.wall_threshold_quote_lots > 0
        self._depth = params.grid.l2_scan_depth if self._has_walls else 1
        self._tally = _Tally()
        self._trades_fed = 0
        self._last_trade_price: int | None = None
        self._last_pivot: float | None = None
        self._last_rebalance_ns: int | None = None
        self._last_step: TapeStep | None = None
        self._base_start = (
            params.grid.ask_depth_base_lots
            if self._options.base_balance_lots is None
            else self._options.base_balance_lots
        )
        self._quote_start = self._options.quote_balance_native
        # the last pivot range found and the grid it holds for (see _pivot_range)
        self._pivot_range_cache: tuple[Grid, float, float] | None = None

    def run(self) -> ReplayResult:
        """Replay every event and return the counters."""
        market = self._market
        watch = EVERY_EVENT
        while (step := market.advance(watch)) is not None:
            self._last_step = step
            watch = self._on_step(step)
            if self._options.is_every_event:
                watch = EVERY_EVENT
        return self._result()

    def _on_step(self, step: TapeStep) -> ReplayWatch:
        count = len(step.trade_ts_ns)
        # map() keeps the per-trade cost to the engine's own add_trade
        deque(
            map(
                self._pivot.add_trade,
                step.trade_ts_ns,
                step.trade_price_lots,
                step.trade_size_base_lots,
                repeat(_TAPE_TRADE, count),
            ),
            maxlen=0,
        )
        self._trades_fed += count
        if step.trade_price_lots:
            self._last_trade_price = step.trade_price_lots[-1]
        market = self._params.market
        for fill in step.fills:
            self._tally.add(fill, market)
        if step.is_pending:
            return _IDLE
        return self._decide(step)

    def _decide(self, step: TapeStep) -> ReplayWatch:
        book = self._market.book(self._depth)
        price = market_price_lots(book, self._last_trade_price)
        pivot = self._pivot.state(step.ts_ns)
        if not pivot.has_pivot:
            return ReplayWatch(is_trade_watched=True)
        guards = self._params.guards
        observation = GuardObservation(
            now_ns=step.ts_ns,
            market_price_lots=price,
            last_pivot_lots=self._last_pivot,
            last_rebalance_ns=self._last_rebalance_ns,
            resting=step.resting,
            target=step.resting,
        )
        reason, _ = fired_guard(observation, guards)
        if reason is RebalanceReason.NONE:
            return self._quiet_watch(step.resting)
        pivot_lots = pivot.price_lots
        full = self._full_grid(pivot_lots, book, step.resting)
        target = self._skip_crossing(full, book, price)
        decision = decide_rebalance(dataclasses.replace(observation, target=target), guards)
        if decision.should_rebalance:
            self._market.replace(target)
            self._tally.rebalances += 1
            self._last_rebalance_ns = step.ts_ns
            self._last_pivot = pivot_lots
            return _IDLE
        if decision.held_by is HoldReason.COOLDOWN and self._last_rebalance_ns is not None:
            return ReplayWatch(wake_at_ns=self._last_rebalance_ns + guards.cooldown_ns)
        return self._held_watch(pivot, step, full, target, book, price)

    def _quiet_watch(self, resting: Grid) -> ReplayWatch:
        low, high = guard_band(self._params.guards, self._last_pivot, resting)
        return ReplayWatch(
            market_low_lots=low, market_high_lots=high, wake_at_ns=self._entropy_due()
        )

    def _held_watch(
        self,
        pivot: PivotState,
        step: TapeStep,
        full: Grid,
        target: Grid,
        book: L2Snapshot,
        price: float | None,
    ) -> ReplayWatch:
        # the target equals the resting grid: wake when one of its inputs can change
        if self._has_walls or pivot.seed_volume_base_lots > 0:
            return EVERY_EVENT
        due = self._entropy_due()
        window_ns = self._params.pivot.lookback_ns
        is_boxable = (
            self._options.is_unlimited_balances
            and self._params.target.total_emission_base_lots is None
            and pivot.external_volume_base_lots == 0
            and self._market.can_watch_pivot(window_ns)
        )
        pivot_range = self._pivot_range(pivot.price_lots, full) if is_boxable else None
        box = self._top_box(full, target, book) if pivot_range is not None else None
        if box is None:
            times = [t for t in (due, self._pivot_expiry(pivot)) if t is not None]
            return ReplayWatch(
                wake_at_ns=min(times, default=None), is_trade_watched=True, is_top_watched=True
            )
        low = high = None
        if due is not None and step.ts_ns >= due and price is not None and step.resting.levels:
            # entropy is due but masked by the guard that fires: it fires as soon as the
            # market is quiet again, so wake when the market comes back to the guard band
            low, high = self._quiet_edges(price, step.resting)
        return ReplayWatch(
            market_low_lots=low,
            market_high_lots=high,
            wake_at_ns=due if due is not None and step.ts_ns < due else None,
            best_bid_range=box[0],
            best_ask_range=box[1],
            pivot_range=pivot_range,
            pivot_window_ns=window_ns,
        )

    def _quiet_edges(self, price: float, resting: Grid) -> tuple[float | None, float | None]:
        # (market_low, market_high) that wake the strategy no later than the market price
        # re-enters the quiet zone of guard_band; outside the band on one side now
        low, high = guard_band(self._params.guards, self._last_pivot, resting)
        if low is not None and price <= low:
            return None, low * (1 - 2 * BAND_MARGIN)
        if high is not None and price >= high:
            return high * (1 + 2 * BAND_MARGIN), None
        return None, None

    def _pivot_range(self, pivot_lots: float, full: Grid) -> tuple[float, float] | None:
        # a pivot range over which the grid is the same: GridBuilder's level prices never fall
        # when the pivot rises (walls off, unlimited funds), so the grid at each end of a range
        # equal to this one means the same grid inside it; each side is probed on its own,
        # widest first, and the range is shrunk by PIVOT_MARGIN against float rounding
        cached = self._pivot_range_cache
        if cached is not None and cached[0] == full and cached[1] <= pivot_lots <= cached[2]:
            return cached[1], cached[2]
        builder = self._builder(Grid())
        edges = []
        for sign in (-1, 1):
            edge = None
            for distance in PIVOT_PROBES_TICKS:
                candidate = pivot_lots + sign * distance
                if candidate > 0 and builder.build(candidate) == full:
                    edge = candidate
                    break
            if edge is None:
                return None
            edges.append(edge)
        low, high = edges[0] * (1 + PIVOT_MARGIN), edges[1] * (1 - PIVOT_MARGIN)
        self._pivot_range_cache = (full, low, high)
        return low, high

    def _top_box(
        self, full: Grid, target: Grid, book: L2Snapshot
    ) -> tuple[tuple[int, int], tuple[int, int]] | None:
        # ranges of the best bid and ask over which the crossing filter keeps the same levels:
        # its limits never fall when a touch rises, so the same target at the lowest and the
        # highest corner means the same target inside the box
        bid, ask = book.best_bid, book.best_ask
        if bid is None or ask is None:
            return None
        for half_ticks in TOP_PROBES_TICKS:
            corners = ((bid - half_ticks, ask - half_ticks), (bid + half_ticks, ask + half_ticks))
            if all(self._probe(full, b, a) == target for b, a in corners if b > 0):
                return (bid - half_ticks, bid + half_ticks), (ask - half_ticks, ask + half_ticks)
        return None

    def _probe(self, full: Grid, bid: int, ask: int) -> Grid:
        book = L2Snapshot(
            bids=(BookLevel(PriceLots(bid), BaseLots(1)),),
            asks=(BookLevel(PriceLots(ask), BaseLots(1)),),
        )
        return self._skip_crossing(full, book, book.mid_price_lots)

    def _entropy_due(self) -> int | None:
        guards = self._params.guards
        if not guards.is_entropy_enabled or self._last_rebalance_ns is None:
            return None
        return self._last_rebalance_ns + guards.entropy_interval_ns

    def _pivot_expiry(self, pivot: PivotState) -> int | None:
        # when the oldest trade in the pivot's window leaves it
        if pivot.window_entry_count == 0:
            return None
        oldest = self._trades_fed - pivot.window_entry_count
        return self._market.trade_time_ns(oldest) + self._params.pivot.lookback_ns

    def _full_grid(self, pivot_lots: float, book: L2Snapshot, resting: Grid) -> Grid:
        builder = self._builder(resting)
        funds = self._funds(pivot_lots)
        return builder.build(pivot_lots, book if self._has_walls else None, None, funds)

    def _skip_crossing(self, grid: Grid, book: L2Snapshot, price: float | None) -> Grid:
        guards = self._params.guards
        band = guards.proximity_fraction if guards.is_proximity_enabled else 0.0
        return skip_crossing_levels(grid, book, price, band)[0]

    def _holdings_base_lots(self) -> int:
        tally = self._tally
        return self._base_start + tally.buy_base_lots - tally.sell_base_lots

    def _funds(self, pivot_lots: float) -> AvailableFunds:
        if self._options.is_unlimited_balances:
            return UNLIMITED_FUNDS
        market = self._params.market
        if self._quote_start is None:
            # the config's bid depth at the first pivot: what the first grid's bids need
            bid_depth = self._params.grid.bid_depth_base_lots
            self._quote_start = int(bid_depth * pivot_lots) * market.quote_lot_size
        tally = self._tally
        quote_scaled = (
            self._quote_start + tally.cash_quote_native
        ) * FEES_SCALE - tally.fees_scaled
        quote_native = quote_scaled // FEES_SCALE
        return AvailableFunds(
            quote_lots=max(0, quote_native // market.quote_lot_size),
            base_lots=max(0, self._holdings_base_lots()),
        )

    def _builder(self, resting: Grid) -> GridBuilder:
        # Target Control (spec 5.2), as in the trading loop: bid depth shrinks with holdings
        grid_params = self._params.grid
        target = self._params.target
        if target.total_emission_base_lots is not None:
            locked = sum(level.size_base_lots for level in resting.asks)
            free = max(0, self._holdings_base_lots() - locked)
            factor = bid_throttle_factor(target, locked, free)
            grid_params = throttle_grid_params(grid_params, factor)
        depth = grid_params.bid_depth_base_lots
        builder = self._builders.get(depth)
        if builder is None:
            if len(self._builders) > 64:
                self._builders.clear()
            builder = GridBuilder(grid_params, self._params.market)
            self._builders[depth] = builder
        return builder

    def _result(self) -> ReplayResult:
        tally = self._tally
        counters = self._market.counters
        return ReplayResult(
            events=self._market.event_count,
            fills=tally.fills,
            buy_base_lots=tally.buy_base_lots,
            sell_base_lots=tally.sell_base_lots,
            cash_quote_native=tally.cash_quote_native,
            fees_scaled=tally.fees_scaled,
            final_mark_lots=self._final_mark(),
            rebalances=tally.rebalances,
            orders_submitted=counters.orders_submitted,
            post_only_rejects=counters.post_only_rejects,
            open_orders_end=counters.open_orders,
        )

    def _final_mark(self) -> Fraction | None:
        step = self._last_step
        if step is None:
            return None
        if step.best_bid_lots is not None and step.best_ask_lots is not None:
            return Fraction(step.best_bid_lots + step.best_ask_lots, 2)
        return None if self._last_trade_price is None else Fraction(self._last_trade_price)
