"""``GET /api/config`` and ``POST /api/control``: the effective configuration and commands."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter

from bmvbot.api.deps import Bot, Context, Controller, CurrentUser
from bmvbot.api.schemas import ControlRequest, ControlResponse, ErrorResponse
from bmvbot.settings.render import render_json_data

router = APIRouter(prefix="/api", tags=["control"])
_log = logging.getLogger("bmvbot.api.control")


@router.get("/config")
async def config(user: CurrentUser, context: Context) -> dict[str, dict[str, Any]]:
    """Return the effective configuration by section, secrets shown as ``**********``."""
    return render_json_data(context.settings, redact=True)


@router.post(
    "/control",
    response_model=ControlResponse,
    responses={403: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
async def control(
    body: ControlRequest, user: Controller, context: Context, bot: Bot
) -> ControlResponse:
    """Pause placing orders, resume, or cancel every resting swarm order now.

    ``pause`` keeps resting orders; ``cancel_all`` does not pause (the next tick places the
    grid again unless paused first). Needs a token with the ``control`` scope.
    """
    async with context.control_lock:
        if body.action == "pause":
            bot.service.pause()
            detail = "placing stopped from the next tick; resting orders stay"
        elif body.action == "resume":
            bot.service.resume()
            detail = "placing resumes from the next tick"
        else:
            report = await bot.service.cancel_all()
            detail = (
                f"cancel-all {report.status.value}: {len(report.landed_wallets)} wallets, "
                f"{report.tips_lamports} lamports of tips"
            )
    _log.info("control", extra={"action": body.action, "user": user.user})
    return ControlResponse(action=body.action, is_paused=bot.service.is_paused, detail=detail)
