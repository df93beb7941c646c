"""``/api/trades``, ``/api/price_history`` and ``/api/latency``: stored history and latency."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from bmvbot.api.context import ApiContext
from bmvbot.api.deps import Context, CurrentUser
from bmvbot.api.observer import percentile
from bmvbot.api.routes.stats import live_latency
from bmvbot.api.schemas import (
    CandleResponse,
    LatencyResponse,
    LatencyStats,
    PriceHistoryResponse,
    TradePageResponse,
    TradeResponse,
)
from bmvbot.core.errors import ConfigError, RetryableStoreError
from bmvbot.core.types import NS_PER_DAY, Side
from bmvbot.ports.store import Stores, TradeCursor, TradeRecord

router = APIRouter(prefix="/api", tags=["history"])

LATENCY_COMPONENTS = ("jito", "rpc", "ws", "db")
MAX_NS = 2**63 - 1
_CURSOR = re.compile(r"([0-9]{1,19})\.([0-9]{1,19})")  # ASCII digits (str.isdigit takes more)
StartNs = Annotated[int | None, Query(ge=0, le=MAX_NS, description="From, UTC ns (inclusive).")]
EndNs = Annotated[int | None, Query(ge=0, le=MAX_NS, description="To, UTC ns (exclusive).")]


def _stores(context: ApiContext) -> Stores:
    if context.stores is None:
        raise RetryableStoreError("no database in this process; history is not available")
    return context.stores


def _market_key(context: ApiContext) -> str:
    if context.bot is not None:
        return context.bot.market_key
    return context.settings.market.address or f"sim:{context.settings.market.name}"


def time_range(
    context: ApiContext, start_ns: int | None, end_ns: int | None, default_ns: int = NS_PER_DAY
) -> tuple[int, int]:
    """Return ``[start, end)``: defaults to the last ``default_ns`` before the bot's now.

    Raises:
        ConfigError: no bot clock to default from, or ``start_ns > end_ns``.
    """
    if end_ns is None:
        if context.bot is None:
            raise ConfigError("end_ns is required when no bot runs", key="end_ns")
        end_ns = context.bot.clock.now_ns() + 1
    if start_ns is None:
        start_ns = max(0, end_ns - default_ns)
    if start_ns > end_ns:
        raise ConfigError(f"start_ns must be <= end_ns, was {start_ns} > {end_ns}", key="start_ns")
    return start_ns, end_ns


def _cursor(text: str | None) -> TradeCursor | None:
    if text is None:
        return None
    match = _CURSOR.fullmatch(text)
    if match is None or max(int(match[1]), int(match[2])) > MAX_NS:
        raise ConfigError(
            f"cursor must look like <ts_ns>.<row_id> (each 0..{MAX_NS}), was {text!r}",
            key="cursor",
        )
    return TradeCursor(int(match[1]), int(match[2]))


def _trade(record: TradeRecord) -> TradeResponse:
    return TradeResponse(
        ts_ns=record.ts_ns,
        market=record.market,
        tx_signature=record.tx_signature,
        event_seq=record.event_seq,
        side="bid" if record.side is Side.BID else "ask",
        price_lots=record.price_lots,
        size_base_lots=record.size_base_lots,
        base_native=record.base_native,
        quote_native=record.quote_native,
        fee_quote_native=record.fee_quote_native,
        is_maker=record.is_maker,
        wallet=record.wallet,
    )


@router.get("/trades", response_model=TradePageResponse)
async def trades(
    user: CurrentUser,
    context: Context,
    start_ns: StartNs = None,
    end_ns: EndNs = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    order: Literal["newest", "oldest"] = "newest",
) -> TradePageResponse:
    """Return one page of stored trades (ours and the public tape) in ``[start_ns, end_ns)``.

    Defaults to the last day before the bot's clock, newest first. Pass ``next_cursor`` as
    ``cursor`` to read the next page; rows stored later never shift a page already read.
    """
    start, end = time_range(context, start_ns, end_ns)
    page = await _stores(context).trades.trades_page(
        _market_key(context), start, end, limit=limit, after=_cursor(cursor),
        is_newest_first=order == "newest",
    )  # fmt: skip
    next_cursor = page.next_cursor
    return TradePageResponse(
        trades=[_trade(record) for record in page.trades],
        next_cursor=None if next_cursor is None else f"{next_cursor.ts_ns}.{next_cursor.row_id}",
    )


@router.get("/price_history", response_model=PriceHistoryResponse)
async def price_history(
    user: CurrentUser, context: Context, start_ns: StartNs = None, end_ns: EndNs = None
) -> PriceHistoryResponse:
    """Return one-minute candles (OHLC in ticks, volume in base lots) of ``[start_ns, end_ns)``.

    Defaults to the last day before the bot's clock.
    """
    start, end = time_range(context, start_ns, end_ns)
    market = _market_key(context)
    candles = await _stores(context).prices.candles(market, start, end)
    return PriceHistoryResponse(
        market_key=market,
        candles=[CandleResponse.model_validate(c, from_attributes=True) for c in candles],
    )


@router.get("/latency", response_model=LatencyResponse)
async def latency(
    user: CurrentUser, context: Context, start_ns: StartNs = None, end_ns: EndNs = None
) -> LatencyResponse:
    """Return latency p50/p99 per component and operation.

    ``live``: venue calls measured in this process; ``stored``: samples stored per component
    (jito, rpc, ws, db), the last hour by default.
    """
    live = [] if context.bot is None else live_latency(context.bot)
    stored: list[LatencyStats] = []
    if context.stores is not None:
        start, end = time_range(context, start_ns, end_ns, default_ns=3600 * 10**9)
        for component in LATENCY_COMPONENTS:
            samples = await context.stores.latency.latency_samples(component, start, end)
            by_operation: dict[str, list[float]] = {}
            for sample in samples:
                by_operation.setdefault(sample.operation, []).append(sample.latency_ms)
            stored.extend(
                LatencyStats(
                    component=component,
                    operation=operation,
                    samples=len(values),
                    p50_ms=percentile(values, 0.50),
                    p99_ms=percentile(values, 0.99),
                )
                for operation, values in sorted(by_operation.items())
            )
    return LatencyResponse(live=live, stored=stored)
