"""Serving the API with uvicorn inside the bot's own event loop.

``start`` (used by ``bmvbot run --api``) taps a session's venue, builds the context from the
environment and starts uvicorn as a task; ``ApiServer.stop`` ends it. ``run_api`` (``bmvbot
api``) runs a paper session with the API and no terminal view until SIGINT or SIGTERM. uvicorn
binds ``[api] host`` (127.0.0.1 by default) and does not install its own signal handlers: the
bot's handlers stop both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from bmvbot import bootstrap
from bmvbot.api.app import create_app
from bmvbot.api.context import ApiContext, BotHandle, api_context
from bmvbot.api.observer import observe
from bmvbot.bootstrap import TradingSession
from bmvbot.core.errors import ConfigError
from bmvbot.ports.store import Stores
from bmvbot.services.simulation import run_simulation
from bmvbot.settings import Settings

_log = logging.getLogger("bmvbot.api.server")

STOP_TIMEOUT_S = 10.0


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process that embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: the embedding loop owns SIGINT and SIGTERM."""
        yield


@dataclass(slots=True)
class ApiServer:
    """A running (or disabled) API server task."""

    server: EmbeddedServer | None = None
    task: asyncio.Task[None] | None = None
    context: ApiContext | None = None

    async def stop(self) -> None:
        """Stop running simulation jobs, ask the server to exit and wait for it (bounded)."""
        if self.context is not None:
            self.context.jobs.close()
        if self.server is None or self.task is None:
            return
        self.server.should_exit = True
        try:
            await asyncio.wait_for(self.task, STOP_TIMEOUT_S)
        except TimeoutError:
            _log.warning("API server did not stop in time")


def listen_socket(host: str, port: int) -> socket.socket:
    """Return a socket bound to ``host:port`` (IPv6 when the host has a colon).

    Raises:
        ConfigError: the address cannot be bound (in use, not local, no permission).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto TCP: asyncio sets TCP_NODELAY only on sockets that say so (else every response
    # waits for the peer's delayed ACK, ~40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigError(
            f"the API cannot listen on {host}:{port}: {error.strerror}; set [api] host/port "
            "or --host/--port",
            key="api.port",
        ) from None
    return sock


def _market_key(settings: Settings) -> str:
    return settings.market.address or f"sim:{settings.market.name}"


async def start(
    session: TradingSession,
    settings: Settings,
    stores: Stores | None,
    *,
    is_enabled: bool,
    host: str | None = None,
    port: int | None = None,
) -> tuple[TradingSession, ApiServer]:
    """Return ``session`` on a tapped venue and the started API (unchanged and a no-op if off).

    Call before the first tick. ``host`` and ``port`` default to ``[api]``.

    Raises:
        ConfigError: the security settings are refused (live mode without a strong secret).
    """
    if not is_enabled:
        return session, ApiServer()
    session, tap = observe(session, tip_lamports=settings.venue.tip_lamports)
    bot = BotHandle(
        session.service,
        tap,
        session.clock,
        session.market,
        _market_key(settings),
        session.pacer.interval_ns,
    )
    context = api_context(settings, os.environ, bot=bot, stores=stores)
    host = host or settings.api.host
    port = port or settings.api.port
    # bind here: uvicorn would exit the process on a busy port, trading loop and all
    sock = listen_socket(host, port)
    config = uvicorn.Config(
        create_app(context),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
    )
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    _log.info("API listening", extra={"host": host, "port": port})
    return session, ApiServer(server, task, context)


async def run_api(
    settings: Settings,
    *,
    host: str,
    port: int,
    scenario: str,
    seed: int,
    is_db_enabled: bool,
) -> None:
    """Serve the API over a paper session in real time until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with bootstrap.open_run_stores(is_enabled=is_db_enabled) as stores:
        session = bootstrap.paper_session(settings, scenario=scenario, seed=seed, stores=stores)
        session, api = await start(session, settings, stores, is_enabled=True, host=host, port=port)
        journal_task = None
        if session.journal is not None:
            journal_task = asyncio.create_task(session.journal.run())
        try:
            await run_simulation(
                session.service, session.clock, session.pacer, duration_ns=None, max_points=0,
                stop=stop,
            )  # fmt: skip
        finally:
            await session.service.shutdown()
            await api.stop()
            if journal_task is not None and session.journal is not None:
                session.journal.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(journal_task, STOP_TIMEOUT_S)
