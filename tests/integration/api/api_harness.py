"""Helpers of the API tests: an app over a simulated session that has ticked, and a client.

The bot is the real ``TradingService`` on the simulated venue (tapped like ``bmvbot run
--api`` taps it) with the in-memory stores fed by the journal; the client speaks ASGI to the
app in process (httpx ``ASGITransport``).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from bmvbot import bootstrap
from bmvbot.api.app import create_app
from bmvbot.api.context import ApiContext, BotHandle
from bmvbot.api.observer import observe
from bmvbot.api.security import AuthSettings
from bmvbot.ports.store import Stores
from bmvbot.services.journal import TradingJournal
from bmvbot.settings import Settings, load_settings

JWT_SECRET = "test-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-ABCDEFGH"  # noqa: S105 -- a test value
USER = "operator"
PASSWORD = "correct horse battery staple"  # noqa: S105 -- a test value
MARKET_KEY = "sim:test"
TICKS = 40


@dataclass
class Harness:
    """An app, its context and a client."""

    context: ApiContext
    client: httpx.AsyncClient

    def headers(self, token: str | None = None) -> dict[str, str]:
        """Return an Authorization header with ``token`` (a fresh full token when None)."""
        return {"Authorization": f"Bearer {token or self.context.tokens.issue(USER)}"}


def auth_settings(password_hash: str, **changes: object) -> AuthSettings:
    values: dict[str, object] = {
        "jwt_secret": SecretStr(JWT_SECRET),
        "user": USER,
        "password_hash": SecretStr(password_hash),
    }
    values.update(changes)
    return AuthSettings(**values)  # type: ignore[arg-type]  # test overrides by name


async def ticked_bot(settings: Settings, ticks: int = TICKS) -> tuple[BotHandle, Stores]:
    params = settings.to_params()
    stores = bootstrap.memory_store()
    journal = TradingJournal(stores.trades, stores.rebalances, MARKET_KEY, params.market)
    session = bootstrap.simulated_session(params, scenario="random_walk", seed=3, journal=journal)
    session, tap = observe(session, tip_lamports=settings.venue.tip_lamports)
    for _ in range(ticks):
        await session.service.tick()
        await session.pacer.wait_tick()
    await journal.flush()
    bot = BotHandle(
        session.service, tap, session.clock, session.market, MARKET_KEY, session.pacer.interval_ns
    )
    return bot, stores


async def make_context(password_hash: str, **auth_changes: object) -> ApiContext:
    settings = load_settings(None, env={})
    bot, stores = await ticked_bot(settings)
    return ApiContext(
        settings=settings,
        auth=auth_settings(password_hash, **auth_changes),
        wall_clock=bootstrap.system_clock(),
        bot=bot,
        stores=stores,
        sse_interval_s=0.001,
        sse_max_events=8,
    )


def client_of(context: ApiContext, *, raise_errors: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(context), raise_app_exceptions=raise_errors)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
