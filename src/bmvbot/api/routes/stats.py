"""``GET /api/stats`` and ``GET /api/grid``: the running bot's numbers and its resting grid."""

from __future__ import annotations

from fastapi import APIRouter, Response

from bmvbot.api.context import BotHandle
from bmvbot.api.deps import Bot, Context, CurrentUser
from bmvbot.api.jobs import market_info
from bmvbot.api.schemas import (
    BotStats,
    GridLevelResponse,
    GridResponse,
    InventoryStats,
    LatencyStats,
    PnlStats,
)
from bmvbot.core.stats import imbalance_index
from bmvbot.core.types import Side
from bmvbot.services.state import TradingState

router = APIRouter(prefix="/api", tags=["bot"])


def trading_state_name(state: TradingState) -> str:
    """Return ``starting``, ``paused``, ``repairing`` or ``running``."""
    if state.is_paused:
        return "paused"
    if state.ts_ns == 0:
        return "starting"
    return "repairing" if state.needs_repair else "running"


def live_latency(bot: BotHandle) -> list[LatencyStats]:
    """Return the venue call latencies measured in this process."""
    return [
        LatencyStats(component="venue", operation=name, p50_ms=p50, p99_ms=p99, samples=count)
        for name, (p50, p99, count) in bot.tap.latency_percentiles().items()
    ]


def _inventory(state: TradingState) -> InventoryStats:
    wallets = state.wallets
    base = sum(w.base_native for w in wallets)
    quote = sum(w.quote_native for w in wallets)
    base_locked = sum(w.base_locked_native for w in wallets)
    quote_locked = sum(w.quote_locked_native for w in wallets)
    return InventoryStats(
        base_native=base,
        quote_native=quote,
        base_locked_native=base_locked,
        quote_locked_native=quote_locked,
        lamports=sum(w.lamports for w in wallets),
        base_headroom_native=base - base_locked,
        quote_headroom_native=quote - quote_locked,
        position_base_lots=state.pnl.position_base_lots,
    )


def bot_stats(bot: BotHandle) -> BotStats:
    """Return the stats of the bot's last tick."""
    state = bot.service.state
    pnl, execution = state.pnl, state.execution
    book = bot.tap.book
    imbalance = None if book is None or not (book.bids or book.asks) else imbalance_index(book)
    return BotStats(
        ts_ns=state.ts_ns,
        trading_state=trading_state_name(state),
        last_reason=state.last_reason,
        pivot_price_lots=state.pivot_price_lots,
        mid_price_lots=state.market_price_lots,
        best_bid_price_lots=state.best_bid_price_lots,
        best_ask_price_lots=state.best_ask_price_lots,
        spread_price_lots=state.spread_lots,
        imbalance_index=imbalance,
        # no SOL reference price reaches this process (simulated market): not computable
        safe_haven_index=None,
        inventory=_inventory(state),
        pnl=PnlStats(
            realized_quote_native=pnl.realized_quote_native,
            unrealized_quote_native=pnl.unrealized_quote_native,
            fees_quote_native=pnl.fees_quote_native,
            total_quote_native=pnl.total_quote_native,
            mark_price_lots=pnl.mark_price_lots,
        ),
        fills=pnl.fills,
        bid_fills=pnl.bid_fills,
        ask_fills=pnl.ask_fills,
        self_trades=pnl.self_trades,
        rebalances=execution.rebalances,
        rebalances_by_trigger=dict(execution.rebalances_by_reason),
        bundles_sent=execution.bundles_sent,
        bundles_landed=execution.bundles_landed,
        tips_lamports=execution.tips_lamports,
        fees_lamports=execution.fees_lamports,
        resting_orders=len(state.orders),
        latency=live_latency(bot),
        market=market_info(bot.market, bot.market_key),
    )


@router.get("/stats", response_model=BotStats)
async def stats(user: CurrentUser, context: Context, bot: Bot) -> Response:
    """Return the running bot's headline numbers (``BotStats``).

    Pivot, mid, spread, imbalance, inventory and headroom, PnL, fills, rebalances by
    trigger, bundles, tips and fees, venue latency p50/p99 and the trading state.
    Prices are in ticks (``*_price_lots``), amounts in native units; ``market`` converts.
    """
    # one body per picture of the bot: polling dashboards share it until the next tick
    key = (bot.tap.calls, bot.service.is_paused)
    cached = context.stats_cache
    if cached is None or cached[0] != key:
        cached = context.stats_cache = (key, bot_stats(bot).model_dump_json().encode())
    return Response(cached[1], media_type="application/json")


@router.get("/grid", response_model=GridResponse)
async def grid(user: CurrentUser, bot: Bot) -> GridResponse:
    """Return the swarm's resting orders with the wallet of each (bids, then asks, best first)."""
    state = bot.service.state
    levels = [
        GridLevelResponse(
            side="bid" if order.side is Side.BID else "ask",
            price_lots=order.price_lots,
            size_base_lots=order.size_base_lots,
            wallet=str(order.wallet),
            order_id=str(order.order_id),
        )
        for order in state.orders
    ]
    return GridResponse(ts_ns=state.ts_ns, pivot_price_lots=state.pivot_price_lots, levels=levels)
