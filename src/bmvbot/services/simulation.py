"""Running the trading loop over time: the Simulation Lab's runner and paper trading's loop.

``run_simulation`` ticks a ``TradingService`` once per loop interval until a duration has passed
(or a stop event is set) and returns plain frozen values: a time series (price, pivot, grid
bounds, inventory, PnL) and summary metrics (PnL, max drawdown, fills, rebalances per reason,
bundles, tips, fees, time with a one-sided grid). A ``Pacer`` decides how time moves between
ticks: ``SteppedPacer`` advances a simulated clock (as fast as possible, or N times faster than
the wall clock), ``RealTimePacer`` waits for a clock that moves by itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bmvbot.core.errors import ConfigError
from bmvbot.core.types import NS_PER_S
from bmvbot.ports.clock import Clock
from bmvbot.services.state import Counts, TradingState
from bmvbot.services.trading import TradingService

DEFAULT_TICK_INTERVAL_NS = NS_PER_S
"""Loop interval of the trading service: one tick per (simulated) second."""


class SteppedClock(Clock, Protocol):
    """A clock the runner moves itself (``SimClock``)."""

    def advance(self, ns: int) -> int:
        """Move time forward by ``ns`` and return the new time."""
        ...


class Pacer(Protocol):
    """Decides when the next tick is due, moving simulated time when it owns it."""

    @property
    def interval_ns(self) -> int:
        """Return the time between two ticks, in (simulated) ns."""
        ...

    async def wait_tick(self) -> None:
        """Return when the next tick is due."""
        ...


def _check_interval(interval_ns: int) -> None:
    if interval_ns <= 0:
        raise ConfigError(f"tick interval must be > 0 ns, was {interval_ns}", key="tick_s")


class SteppedPacer:
    """Advance a ``SteppedClock`` by one interval per tick.

    With ``speed`` None the simulation runs as fast as it can (yielding to the event loop once
    per tick); with a speed N it sleeps so that simulated time runs N times faster than the
    event loop's monotonic clock (it never sleeps to catch up when the loop is slower).
    """

    def __init__(self, clock: SteppedClock, interval_ns: int, speed: float | None = None) -> None:
        """Create a pacer; ``speed`` must be > 0 when given.

        Raises:
            ConfigError: the interval or the speed is not positive.
        """
        _check_interval(interval_ns)
        if speed is not None and not speed > 0:
            raise ConfigError(f"speed must be > 0, was {speed}", key="speed")
        self._clock = clock
        self._interval_ns = interval_ns
        self._speed = speed
        self._start_ns = clock.now_ns()
        self._wall_start_s: float | None = None

    @property
    def interval_ns(self) -> int:
        """Return the simulated time between two ticks."""
        return self._interval_ns

    async def wait_tick(self) -> None:
        """Advance the clock one interval; at a set speed, wait for the wall clock."""
        now_ns = self._clock.advance(self._interval_ns)
        if self._speed is None:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        if self._wall_start_s is None:
            self._wall_start_s = loop.time()
        due_s = self._wall_start_s + (now_ns - self._start_ns) / NS_PER_S / self._speed
        await asyncio.sleep(max(0.0, due_s - loop.time()))


class RealTimePacer:
    """Sleep one interval of wall time per tick (paper trading on the system clock)."""

    def __init__(self, interval_ns: int) -> None:
        """Create a pacer for a clock that moves by itself.

        Raises:
            ConfigError: the interval is not positive.
        """
        _check_interval(interval_ns)
        self._interval_ns = interval_ns

    @property
    def interval_ns(self) -> int:
        """Return the time between two ticks."""
        return self._interval_ns

    async def wait_tick(self) -> None:
        """Sleep one interval."""
        await asyncio.sleep(self._interval_ns / NS_PER_S)


@dataclass(frozen=True, slots=True)
class SimulationPoint:
    """One sample of the time series.

    Attributes:
        ts_ns: time of the tick, UTC ns.
        market_price_lots: mid of the external book (or last trade), None before any.
        pivot_price_lots: the pivot, None before any.
        lowest_bid_price_lots: the outermost resting swarm bid, None without bids.
        highest_bid_price_lots: the innermost resting swarm bid, None without bids.
        lowest_ask_price_lots: the innermost resting swarm ask, None without asks.
        highest_ask_price_lots: the outermost resting swarm ask, None without asks.
        base_native: base the swarm holds (free plus locked).
        quote_native: quote the swarm holds (free plus locked).
        position_base_lots: base bought minus sold since the start.
        pnl_quote_native: total PnL (realized + unrealized - fees).
    """

    ts_ns: int
    market_price_lots: float | None
    pivot_price_lots: float | None
    lowest_bid_price_lots: int | None
    highest_bid_price_lots: int | None
    lowest_ask_price_lots: int | None
    highest_ask_price_lots: int | None
    base_native: int
    quote_native: int
    position_base_lots: int
    pnl_quote_native: int

    @classmethod
    def of(cls, state: TradingState) -> SimulationPoint:
        """Return the sample of one trading state."""
        grid = state.grid
        return cls(
            ts_ns=state.ts_ns,
            market_price_lots=state.market_price_lots,
            pivot_price_lots=state.pivot_price_lots,
            lowest_bid_price_lots=grid.bids[-1].price_lots if grid.bids else None,
            highest_bid_price_lots=grid.bids[0].price_lots if grid.bids else None,
            lowest_ask_price_lots=grid.asks[0].price_lots if grid.asks else None,
            highest_ask_price_lots=grid.asks[-1].price_lots if grid.asks else None,
            base_native=sum(w.base_native for w in state.wallets),
            quote_native=sum(w.quote_native for w in state.wallets),
            position_base_lots=state.pnl.position_base_lots,
            pnl_quote_native=state.pnl.total_quote_native,
        )


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """Summary metrics of one run (every amount an integer in native units or lots).

    Attributes:
        duration_ns: clock time from the first tick to the last.
        ticks: ticks run.
        fills, bid_fills, ask_fills: swarm fills (bid = the swarm bought).
        pnl_quote_native: total PnL at the end (realized + unrealized - fees).
        realized_quote_native: realized PnL (average cost).
        unrealized_quote_native: the open position at the last mark.
        fees_quote_native: maker/taker fees paid (negative: rebates).
        max_drawdown_quote_native: largest fall of the total PnL from a previous peak.
        position_base_lots: base bought minus sold.
        rebalances: rebalances decided.
        rebalances_by_reason: per reason.
        guard_triggers: guards fired (held or not), per reason.
        bundles_sent, bundles_landed: Jito bundles.
        tips_lamports, fees_lamports: what the bundles cost.
        dropped_orders: post-only orders the venue did not post (should be 0).
        swarm_crossed_orders: those that crossed a swarm order (must be 0).
        self_trades: fills with the swarm on both sides (must be 0).
        orders_placed, orders_cancelled, orders_filled, orders_unfunded, orders_lost: the
            order ledger's counts (``placed = resting + cancelled + filled + unfunded +
            lost`` when nothing rested at the start).
        orders_resting: swarm orders resting at the end.
        mismatches: ticks that found the book different from the last rebalance.
        one_sided_ns: time the swarm rested orders on one side only.
        empty_grid_ns: time the swarm rested no order at all.
    """

    duration_ns: int
    ticks: int
    fills: int
    bid_fills: int
    ask_fills: int
    pnl_quote_native: int
    realized_quote_native: int
    unrealized_quote_native: int
    fees_quote_native: int
    max_drawdown_quote_native: int
    position_base_lots: int
    rebalances: int
    rebalances_by_reason: Counts
    guard_triggers: Counts
    mismatches: int
    one_sided_ns: int
    empty_grid_ns: int
    bundles_sent: int = 0
    bundles_landed: int = 0
    tips_lamports: int = 0
    fees_lamports: int = 0
    dropped_orders: int = 0
    swarm_crossed_orders: int = 0
    self_trades: int = 0
    orders_placed: int = 0
    orders_cancelled: int = 0
    orders_filled: int = 0
    orders_unfunded: int = 0
    orders_lost: int = 0
    orders_resting: int = 0

    def as_dict(self) -> dict[str, object]:
        """Return the summary as JSON-ready plain values (counts as objects)."""
        values: dict[str, object] = {
            name: getattr(self, name) for name in SimulationSummary.__dataclass_fields__
        }
        values["rebalances_by_reason"] = dict(self.rebalances_by_reason)
        values["guard_triggers"] = dict(self.guard_triggers)
        return values


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """A run's time series, its summary and the final trading state."""

    points: tuple[SimulationPoint, ...]
    summary: SimulationSummary
    state: TradingState


def with_final_state(summary: SimulationSummary, state: TradingState) -> SimulationSummary:
    """Return ``summary`` with the order, bundle and cost counters of a later ``state``.

    For a run that did more after its last tick (the shutdown's cancel-all).
    """
    execution = state.execution
    return dataclasses.replace(
        summary,
        bundles_sent=execution.bundles_sent,
        bundles_landed=execution.bundles_landed,
        tips_lamports=execution.tips_lamports,
        fees_lamports=execution.fees_lamports,
        dropped_orders=execution.dropped_orders,
        swarm_crossed_orders=execution.swarm_crossed_orders,
        self_trades=state.pnl.self_trades,
        orders_placed=execution.orders_placed,
        orders_cancelled=execution.orders_cancelled,
        orders_filled=execution.orders_filled,
        orders_unfunded=execution.orders_unfunded,
        orders_lost=execution.orders_lost,
        orders_resting=len(state.orders),
    )


@dataclass(slots=True)
class _Tracker:
    # running metrics between ticks; a point is kept every `stride` ticks
    max_points: int | None
    stride: int = 1
    start_ns: int = 0
    previous: TradingState | None = None
    peak_pnl: int = 0
    max_drawdown: int = 0
    one_sided_ns: int = 0
    empty_grid_ns: int = 0
    seen: int = 0
    points: list[SimulationPoint] = field(default_factory=list)

    def add(self, state: TradingState) -> None:
        previous = self.previous
        if previous is not None:
            elapsed = max(0, state.ts_ns - previous.ts_ns)
            if not previous.orders:
                self.empty_grid_ns += elapsed
            elif previous.is_one_sided:
                self.one_sided_ns += elapsed
        pnl = state.pnl.total_quote_native
        self.peak_pnl = max(self.peak_pnl, pnl)
        self.max_drawdown = max(self.max_drawdown, self.peak_pnl - pnl)
        self.previous = state
        self._sample(state)

    def _sample(self, state: TradingState) -> None:
        if self.max_points == 0:
            return
        if self.seen % self.stride == 0:
            self.points.append(SimulationPoint.of(state))
            if self.max_points is not None and len(self.points) > self.max_points:
                # halve the resolution rather than grow without bound
                self.points = self.points[::2]
                self.stride *= 2
        self.seen += 1

    def summary(self, state: TradingState, end_ns: int) -> SimulationSummary:
        pnl, execution = state.pnl, state.execution
        summary = SimulationSummary(
            duration_ns=end_ns - self.start_ns,
            ticks=execution.ticks,
            fills=pnl.fills,
            bid_fills=pnl.bid_fills,
            ask_fills=pnl.ask_fills,
            pnl_quote_native=pnl.total_quote_native,
            realized_quote_native=pnl.realized_quote_native,
            unrealized_quote_native=pnl.unrealized_quote_native,
            fees_quote_native=pnl.fees_quote_native,
            max_drawdown_quote_native=self.max_drawdown,
            position_base_lots=pnl.position_base_lots,
            rebalances=execution.rebalances,
            rebalances_by_reason=execution.rebalances_by_reason,
            guard_triggers=execution.guard_triggers,
            mismatches=execution.mismatches,
            one_sided_ns=self.one_sided_ns,
            empty_grid_ns=self.empty_grid_ns,
        )
        return with_final_state(summary, state)


async def run_simulation(
    service: TradingService,
    clock: Clock,
    pacer: Pacer,
    *,
    duration_ns: int | None,
    max_points: int | None = None,
    on_tick: Callable[[TradingState], None] | None = None,
    stop: asyncio.Event | None = None,
) -> SimulationResult:
    """Tick ``service`` once per ``pacer`` interval and return the series and the summary.

    Runs until ``duration_ns`` of ``clock`` time has passed since the first tick (None: until
    ``stop`` is set). ``max_points`` bounds the series (the resolution halves when it is
    exceeded; 0 keeps none). ``on_tick`` sees every state (the terminal view).

    Raises:
        ConfigError: ``duration_ns`` is negative, or both ``duration_ns`` and ``stop`` are None.
        InvariantError, FatalVenueError: as ``TradingService.tick``.
    """
    if duration_ns is None and stop is None:
        raise ConfigError("a run needs a duration or a stop event", key="duration")
    if duration_ns is not None and duration_ns < 0:
        raise ConfigError(f"duration must be >= 0 s, was {duration_ns} ns", key="duration")
    tracker = _Tracker(max_points, start_ns=clock.now_ns())
    end_ns = None if duration_ns is None else clock.now_ns() + duration_ns
    while stop is None or not stop.is_set():
        await service.tick()
        state = service.state
        tracker.add(state)
        if on_tick is not None:
            on_tick(state)
        if end_ns is not None and clock.now_ns() >= end_ns:
            break
        await pacer.wait_tick()
    state = service.state
    summary = tracker.summary(state, clock.now_ns())
    return SimulationResult(tuple(tracker.points), summary, state)
