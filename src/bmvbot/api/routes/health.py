"""``GET /health``: public liveness and readiness of venue, database and feeds."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Response

from bmvbot.api.context import ApiContext
from bmvbot.api.deps import Context
from bmvbot.api.schemas import ComponentHealth, HealthResponse
from bmvbot.core.errors import BotError

router = APIRouter(tags=["health"])
_log = logging.getLogger("bmvbot.api.health")

DATABASE_TIMEOUT_S = 2.0
STALE_TICKS = 5
"""A venue with no snapshot for this many tick intervals is degraded."""


def _venue(context: ApiContext) -> ComponentHealth:
    bot = context.bot
    if bot is None:
        return ComponentHealth(status="disabled", detail="no trading service in this process")
    last_ns = bot.tap.last_snapshot_ns
    if last_ns is None:
        return ComponentHealth(status="degraded", detail="no snapshot yet")
    age_ns = bot.clock.now_ns() - last_ns
    if age_ns > STALE_TICKS * bot.tick_interval_ns:
        return ComponentHealth(
            status="degraded", detail=f"last snapshot {age_ns // 1_000_000} ms ago"
        )
    return ComponentHealth(status="ok", detail=f"last snapshot {age_ns // 1_000_000} ms ago")


async def _database(context: ApiContext) -> ComponentHealth:
    stores = context.stores
    if stores is None:
        return ComponentHealth(status="disabled", detail="running without a database")
    try:
        await asyncio.wait_for(stores.config_versions.config_versions(1), DATABASE_TIMEOUT_S)
    except (BotError, TimeoutError) as error:
        _log.warning("database health check failed", extra={"error_type": type(error).__name__})
        return ComponentHealth(status="down", detail=type(error).__name__)
    return ComponentHealth(status="ok")


def _feeds(context: ApiContext) -> ComponentHealth:
    if context.settings.venue.mode == "live":
        return ComponentHealth(status="degraded", detail="external feeds are not connected")
    return ComponentHealth(status="disabled", detail="the simulated market needs no feed")


@router.get("/health", response_model=HealthResponse)
async def health(context: Context, response: Response) -> HealthResponse:
    """Report liveness (this answer) and readiness of venue, database and feeds.

    Public (no token). ``status`` is ``down`` when a component is down (HTTP 503), else
    ``degraded`` when one is degraded, else ``ok``; ``disabled`` components do not count.
    """
    components = {
        "venue": _venue(context),
        "database": await _database(context),
        "feeds": _feeds(context),
    }
    statuses = {component.status for component in components.values()}
    status = "down" if "down" in statuses else "degraded" if "degraded" in statuses else "ok"
    if status == "down":
        response.status_code = 503
    return HealthResponse(status=status, is_ready=status == "ok", components=components)
