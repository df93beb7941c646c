"""``POST /login``: exchange the dashboard user's password for a short-lived bearer token."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request

from bmvbot.api.deps import Context
from bmvbot.api.schemas import ErrorResponse, LoginRequest, TokenResponse
from bmvbot.core.errors import AuthError

router = APIRouter(tags=["auth"])
_log = logging.getLogger("bmvbot.api.auth")


@router.post(
    "/login",
    response_model=TokenResponse,
    responses={401: {"model": ErrorResponse}, 429: {"model": ErrorResponse}},
)
async def login(body: LoginRequest, request: Request, context: Context) -> TokenResponse:
    """Return an access token for valid credentials (public).

    Rate limited per client address and per user name (sliding window); repeated failures
    lock both out for a while (429 with ``Retry-After``). Unknown users take as long as
    known ones. The token expires after ``expires_in`` seconds.
    """
    client = request.client.host if request.client is not None else "unknown"
    context.limiter.check(client, body.username)
    # Argon2 is slow on purpose: verify off the event loop
    is_valid = await asyncio.to_thread(context.passwords.verify, body.username, body.password)
    if not is_valid:
        context.limiter.on_failure(client, body.username)
        _log.warning("login failed", extra={"client": client})
        raise AuthError("invalid user name or password")
    context.limiter.on_success(client, body.username)
    _log.info("login", extra={"client": client})
    token = context.tokens.issue(body.username)
    return TokenResponse(access_token=token, expires_in=context.tokens.expiry_s)
