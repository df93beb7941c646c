"""``GET /api/stream``: server-sent events of stats, fills and rebalances (bounded, heartbeat)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from bmvbot.api.context import ApiContext, BotHandle
from bmvbot.api.deps import Bot, Context, CurrentUser
from bmvbot.api.observer import FillEvent, RebalanceEvent
from bmvbot.api.routes.stats import bot_stats
from bmvbot.core.types import Side

router = APIRouter(prefix="/api", tags=["stream"])

HEARTBEAT_POLLS = 15
"""Polls without an event before a heartbeat comment is sent."""


def sse(event: str, data: object, event_id: int | None = None) -> str:
    """Return one server-sent event (``event:``, optional ``id:``, one ``data:`` JSON line)."""
    head = f"event: {event}\n" + ("" if event_id is None else f"id: {event_id}\n")
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n"


def _fill(event: FillEvent) -> str:
    trade = event.trade
    return sse(
        "fill",
        {
            "ts_ns": trade.ts_ns,
            "price_lots": trade.price_lots,
            "size_base_lots": trade.size_base_lots,
            "taker_side": "bid" if trade.taker_side is Side.BID else "ask",
            "maker_wallet": trade.maker_wallet,
            "taker_wallet": trade.taker_wallet,
        },
        event.seq,
    )


def _rebalance(event: RebalanceEvent) -> str:
    report = event.report
    return sse(
        "rebalance",
        {
            "ts_ns": event.ts_ns,
            "steps": event.steps,
            "status": None if report is None else report.status.value,
            "bundles": 0 if report is None else len(report.bundle_ids),
            "tips_lamports": 0 if report is None else report.tips_lamports,
            "fees_lamports": 0 if report is None else report.fees_lamports,
        },
        event.seq,
    )


async def events(
    context: ApiContext, bot: BotHandle, request: Request, after_seq: int
) -> AsyncIterator[str]:
    """Yield events until ``sse_max_events`` (heartbeats included) were sent or the client left.

    A ``stats`` event whenever the bot ticked since the last poll, every new ``fill`` and
    ``rebalance`` (numbered: reconnect with ``Last-Event-ID`` to resume), and a ``: ping``
    comment after ``HEARTBEAT_POLLS`` quiet polls.
    """
    sent, quiet, last_ts = 0, 0, -1
    seq = after_seq
    while sent < context.sse_max_events and not await request.is_disconnected():
        batch: list[str] = []
        tap = bot.tap
        batch.extend(_fill(event) for event in list(tap.fills) if event.seq > seq)
        batch.extend(_rebalance(event) for event in list(tap.rebalances) if event.seq > seq)
        seq = max([seq, *(e.seq for e in tap.fills), *(e.seq for e in tap.rebalances)])
        state_ts = bot.service.state.ts_ns
        if state_ts != last_ts:
            last_ts = state_ts
            batch.append(sse("stats", bot_stats(bot).model_dump(mode="json")))
        if batch:
            quiet = 0
            for chunk in batch[: context.sse_max_events - sent]:
                sent += 1
                yield chunk
        else:
            quiet += 1
            if quiet >= HEARTBEAT_POLLS:
                quiet = 0
                sent += 1  # heartbeats count: an idle stream ends too
                yield ": ping\n\n"
        if sent < context.sse_max_events:
            await asyncio.sleep(context.sse_interval_s)


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    user: CurrentUser, context: Context, bot: Bot, request: Request
) -> StreamingResponse:
    """Stream ``stats``, ``fill`` and ``rebalance`` events (``text/event-stream``).

    The stream ends after a bounded number of events (the browser's EventSource reconnects,
    sending ``Last-Event-ID`` to skip fills and rebalances it has seen).
    """
    last_id = request.headers.get("last-event-id", "")
    # ASCII digits only: str.isdigit also takes digits int() refuses
    after = int(last_id) if last_id.isascii() and last_id.isdigit() and len(last_id) < 19 else 0
    return StreamingResponse(
        events(context, bot, request, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
