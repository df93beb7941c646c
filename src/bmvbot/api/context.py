"""What the API serves from: the running bot, the stores, the settings and the auth machinery.

``ApiContext`` is built once by the caller (``bmvbot run --api``, ``bmvbot api``, a test) and
handed to ``create_app``; nothing in the API is global. ``BotHandle`` is the running trading
service with its tap, clock and market; it is None when no bot runs in this process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from bmvbot import bootstrap
from bmvbot.api.jobs import SimulationJobs
from bmvbot.api.observer import VenueTap
from bmvbot.api.security import AuthSettings, LoginLimiter, PasswordChecker, TokenIssuer
from bmvbot.core.types import MarketSpec
from bmvbot.ports.clock import Clock
from bmvbot.ports.store import Stores
from bmvbot.services.trading import TradingService
from bmvbot.settings import Settings


@dataclass(frozen=True, slots=True)
class BotHandle:
    """The running trading service and what the API reads next to it.

    Attributes:
        service: the trading loop (``state``, ``pause``, ``resume``, ``cancel_all``).
        tap: the tapped venue (book, fills, rebalances, venue latency).
        clock: the clock the service runs on (time ranges default to its "now").
        market: the market's geometry.
        market_key: the market's key in the stores.
        tick_interval_ns: the loop interval (readiness allows a few missed ticks).
    """

    service: TradingService
    tap: VenueTap
    clock: Clock
    market: MarketSpec
    market_key: str
    tick_interval_ns: int


@dataclass(slots=True)
class ApiContext:
    """Everything the routes need (see the module docstring).

    Attributes:
        settings: the effective configuration.
        auth: the security settings.
        wall_clock: the system clock (token times).
        bot: the running bot, None when none runs in this process.
        stores: the stores, None without a database.
        is_metrics_public: serve ``/metrics`` without a token (bind the API to a private
            interface when you set this).
        sync_simulation_budget_s: simulations estimated longer than this become jobs.
        sse_interval_s: seconds between two stream polls (heartbeat every 15 polls).
        sse_max_events: events sent on one stream before it closes (the client reconnects).
        stats_cache: the last ``/api/stats`` body and the bot picture it shows.
    """

    settings: Settings
    auth: AuthSettings
    wall_clock: Clock
    bot: BotHandle | None = None
    stores: Stores | None = None
    is_metrics_public: bool = False
    sync_simulation_budget_s: float = 2.0
    sse_interval_s: float = 1.0
    sse_max_events: int = 3600
    tokens: TokenIssuer = field(init=False)
    passwords: PasswordChecker = field(init=False)
    limiter: LoginLimiter = field(init=False)
    jobs: SimulationJobs = field(init=False)
    control_lock: asyncio.Lock = field(init=False)
    stats_cache: tuple[tuple[int, bool], bytes] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tokens = TokenIssuer(self.auth, self.wall_clock)
        self.passwords = PasswordChecker(self.auth)
        self.limiter = LoginLimiter(self.auth)
        self.jobs = SimulationJobs()
        self.control_lock = asyncio.Lock()


def api_context(
    settings: Settings,
    env: Mapping[str, str],
    *,
    bot: BotHandle | None = None,
    stores: Stores | None = None,
) -> ApiContext:
    """Return the context of ``settings`` with security settings read from ``env``.

    ``BMVBOT_METRICS_PUBLIC=true`` serves ``/metrics`` without a token (bind the API to a
    private interface then).

    Raises:
        ConfigError: see ``AuthSettings.from_env`` (live mode without a strong secret).
    """
    auth = AuthSettings.from_env(env, is_live=settings.venue.mode == "live")
    return ApiContext(
        settings=settings,
        auth=auth,
        wall_clock=bootstrap.system_clock(),
        bot=bot,
        stores=stores,
        is_metrics_public=env.get("BMVBOT_METRICS_PUBLIC", "").lower() in ("1", "true", "yes"),
    )
