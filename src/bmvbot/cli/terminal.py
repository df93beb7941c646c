"""What ``bmvbot run`` shows: a live rich view on a terminal, key=value lines otherwise.

``LiveView`` renders a ``TradingState`` (market, grid with the wallet of each level, inventory
per wallet, PnL, fills, guards, bundles, tips) at most ``refresh_per_second`` times a second;
``LogLineView`` writes one ``key=value`` line every few seconds when stdout is not a terminal.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from bmvbot.core.types import NS_PER_S, MarketSpec, Side
from bmvbot.ports.venue import OwnOrder
from bmvbot.services.state import TradingState

REFRESH_PER_SECOND = 4.0
LOG_LINE_INTERVAL_S = 5.0


def iso_time(ts_ns: int) -> str:
    """Return ``ts_ns`` as an ISO-8601 UTC time to the millisecond."""
    moment = datetime.fromtimestamp(ts_ns / NS_PER_S, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _price(market: MarketSpec, price_lots: float | None) -> str:
    return "-" if price_lots is None else f"{market.price_to_ui(price_lots):.6f}"


def _quote(market: MarketSpec, quote_native: int) -> str:
    return f"{market.quote_to_ui(quote_native):+.6f}"


def _short(wallet: str) -> str:
    # a base58 public key is 32-44 characters: its ends tell the wallets apart
    return wallet if len(wallet) <= 16 else f"{wallet[:6]}…{wallet[-4:]}"


def _counts(pairs: tuple[tuple[str, int], ...]) -> str:
    return " ".join(f"{key}={value}" for key, value in pairs) or "-"


def _market_panel(state: TradingState, market: MarketSpec) -> Panel:
    table = Table.grid(padding=(0, 2))
    spread = state.spread_lots
    table.add_row(
        f"time {iso_time(state.ts_ns)}",
        f"mid {_price(market, state.market_price_lots)}",
        f"pivot {_price(market, state.pivot_price_lots)}",
        f"spread {'-' if spread is None else _price(market, spread)}",
        "PAUSED" if state.is_paused else "",
    )
    table.add_row(f"last decision: {state.last_reason}", state.last_detail[:100])
    return Panel(table, title="market")


def _grid_table(state: TradingState, market: MarketSpec) -> Table:
    table = Table(title="grid", expand=False)
    for name in ("bid wallet", "bid size", "bid", "ask", "ask size", "ask wallet"):
        table.add_column(name, justify="right")
    grid_bids = [o for o in state.orders if o.side is Side.BID]
    grid_asks = [o for o in state.orders if o.side is Side.ASK]
    for index in range(max(len(grid_bids), len(grid_asks))):
        bid = grid_bids[index] if index < len(grid_bids) else None
        ask = grid_asks[index] if index < len(grid_asks) else None
        table.add_row(*_order_cells(bid, market, is_bid=True), *_order_cells(ask, market))
    return table


def _order_cells(order: OwnOrder | None, market: MarketSpec, *, is_bid: bool = False) -> list[str]:
    if order is None:
        return ["", "", ""]
    cells = [
        _short(order.wallet),
        f"{market.size_to_ui(order.size_base_lots):.3f}",
        _price(market, order.price_lots),
    ]
    return cells if is_bid else cells[::-1]


def _wallet_table(state: TradingState, market: MarketSpec) -> Table:
    table = Table(title="inventory per wallet")
    for name in ("wallet", "base", "quote", "SOL", "bids", "asks"):
        table.add_column(name, justify="right")
    for wallet in state.wallets:
        table.add_row(
            _short(wallet.wallet),
            f"{market.size_to_ui(wallet.base_native // market.base_lot_size):.3f}",
            f"{market.quote_to_ui(wallet.quote_native):.4f}",
            f"{wallet.lamports / 1e9:.4f}",
            str(wallet.bid_count),
            str(wallet.ask_count),
        )
    return table


def _stats_panel(state: TradingState, market: MarketSpec) -> Panel:
    pnl, execution = state.pnl, state.execution
    lines = [
        f"fills bid={pnl.bid_fills} ask={pnl.ask_fills}  position "
        f"{market.size_to_ui(pnl.position_base_lots):+.3f}  PnL total "
        f"{_quote(market, pnl.total_quote_native)} realized "
        f"{_quote(market, pnl.realized_quote_native)} unrealized "
        f"{_quote(market, pnl.unrealized_quote_native)} fees "
        f"{_quote(market, pnl.fees_quote_native)}",
        f"rebalances {execution.rebalances}: {_counts(execution.rebalances_by_reason)}",
        f"guard triggers: {_counts(execution.guard_triggers)}  held: "
        f"{_counts(execution.holds_by_reason)}",
        f"bundles sent={execution.bundles_sent} landed={execution.bundles_landed}  tips "
        f"{execution.tips_lamports / 1e9:.6f} SOL  fees {execution.fees_lamports / 1e9:.6f} SOL  "
        f"dropped={execution.dropped_orders} (on swarm: {execution.swarm_crossed_orders}) "
        f"self_trades={pnl.self_trades}",
    ]
    return Panel("\n".join(lines), title="trading")


def render(state: TradingState, market: MarketSpec) -> Group:
    """Return the whole view of ``state``."""
    return Group(
        _market_panel(state, market),
        _grid_table(state, market),
        _wallet_table(state, market),
        _stats_panel(state, market),
    )


def state_line(state: TradingState, market: MarketSpec) -> str:
    """Return one key=value line summarising ``state``."""
    pnl, execution = state.pnl, state.execution
    grid = state.grid
    return (
        f"ts={iso_time(state.ts_ns)} mid={_price(market, state.market_price_lots)} "
        f"pivot={_price(market, state.pivot_price_lots)} spread_lots={state.spread_lots} "
        f"bids={len(grid.bids)} asks={len(grid.asks)} fills_bid={pnl.bid_fills} "
        f"fills_ask={pnl.ask_fills} pnl_quote_native={pnl.total_quote_native} "
        f"rebalances={execution.rebalances} bundles_sent={execution.bundles_sent} "
        f"bundles_landed={execution.bundles_landed} tips_lamports={execution.tips_lamports} "
        f"dropped={execution.dropped_orders} reason={state.last_reason}"
    )


class LiveView:
    """A rich live display, redrawn at most ``refresh_per_second`` times a second."""

    def __init__(
        self, market: MarketSpec, console: Console, refresh_per_second: float = REFRESH_PER_SECOND
    ) -> None:
        """Create the view (call ``start`` and ``stop`` around the run)."""
        self._market = market
        self._live = Live(console=console, refresh_per_second=refresh_per_second)
        self._min_interval_s = 1.0 / refresh_per_second
        self._shown_s = 0.0

    def start(self) -> None:
        """Start drawing."""
        self._live.start()

    def stop(self) -> None:
        """Stop drawing (the last picture stays on screen)."""
        self._live.stop()

    def on_tick(self, state: TradingState) -> None:
        """Show ``state`` unless the last picture is younger than the refresh interval."""
        now_s = time.monotonic()
        if now_s - self._shown_s >= self._min_interval_s:
            self._shown_s = now_s
            self._live.update(render(state, self._market))


class LogLineView:
    """One key=value line on ``stream`` every ``interval_s`` of wall time."""

    def __init__(
        self, market: MarketSpec, stream: TextIO, interval_s: float = LOG_LINE_INTERVAL_S
    ) -> None:
        """Create the view."""
        self._market = market
        self._stream = stream
        self._interval_s = interval_s
        self._shown_s = 0.0

    def start(self) -> None:
        """Nothing to set up."""

    def stop(self) -> None:
        """Nothing to tear down."""

    def on_tick(self, state: TradingState) -> None:
        """Write a line when ``interval_s`` has passed since the last one."""
        now_s = time.monotonic()
        if now_s - self._shown_s >= self._interval_s:
            self._shown_s = now_s
            print(state_line(state, self._market), file=self._stream, flush=True)
