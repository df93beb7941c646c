"""Composition root: settings -> adapters -> services. The only module that imports adapters.

Store functions: ``open_store`` (PostgreSQL from ``DATABASE_URL`` or the embedded server, with
migrations applied), ``memory_store`` (the Simulation Lab's in-memory stores),
``upgrade_database`` (``bmvbot db upgrade``), ``open_wallet_vault`` (wallets with keys sealed
under the master secret) and ``read_keypair_file``.

Trading functions: ``simulated_session`` (the Simulation Lab: ``SimulatedVenue`` on a
``SimClock`` stepped by the runner), ``paper_session`` (``bmvbot run``: the simulated market in
real time on the system clock, or N times faster on a paced ``SimClock``) and
``open_run_stores`` (PostgreSQL for recording, or None when disabled or unavailable).

Execution planning: ``synthetic_execution_plan``, ``describe_execution_plan`` and
``rebalance_packing_table`` (``bmvbot plan``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from solders.keypair import Keypair

from bmvbot.adapters.crypto.cipher import MasterSecret, WalletCipher
from bmvbot.adapters.crypto.settings import MasterSecretSettings
from bmvbot.adapters.crypto.vault import WalletVault
from bmvbot.adapters.crypto.vault import read_keypair_file as _read_keypair_file
from bmvbot.adapters.memory.store import memory_stores
from bmvbot.adapters.openbook.execution_plan import ExecutionPlan, describe
from bmvbot.adapters.openbook.planner import ComputeBudgetPolicy, PlannerParams
from bmvbot.adapters.openbook.synthetic import (
    packing_table,
    packing_table_markdown,
    plan_synthetic,
    synthetic_swarm,
)
from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.adapters.sim.clock import SimClock
from bmvbot.adapters.sim.scenarios import SCENARIOS
from bmvbot.adapters.sim.scenarios import scenario as sim_scenario
from bmvbot.adapters.sim.venue import SimulatedVenue
from bmvbot.adapters.system import SystemClock
from bmvbot.adapters.tape.source import CsvTapeSource
from bmvbot.core.config import StrategyParams
from bmvbot.core.errors import ConfigError, StoreError
from bmvbot.core.types import NS_PER_DAY, MarketSpec
from bmvbot.ports.clock import Clock
from bmvbot.ports.store import Stores
from bmvbot.ports.tape import DecimalStep, TapeSource
from bmvbot.services.journal import TradingJournal
from bmvbot.services.simulation import (
    DEFAULT_TICK_INTERVAL_NS,
    Pacer,
    RealTimePacer,
    SteppedPacer,
)
from bmvbot.services.trading import TradingService
from bmvbot.settings import Settings

SettingsT = TypeVar("SettingsT")


def _load(factory: Callable[[], SettingsT]) -> SettingsT:
    try:
        return factory()
    except ValidationError as error:
        # name the variable and the rule only: the input may be a URL with a password
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"invalid store settings: {problems}") from None


def store_settings() -> StoreSettings:
    """Return the store settings from the environment.

    Raises:
        ConfigError: a variable is invalid (named, without its value).
    """
    return _load(StoreSettings)


def master_secret_settings() -> MasterSecretSettings:
    """Return the master-secret settings from the environment (``ConfigError`` if invalid)."""
    return _load(MasterSecretSettings)


@asynccontextmanager
async def open_database(
    settings: StoreSettings | None = None, *, migrate: bool = True
) -> AsyncIterator[PostgresDatabase]:
    """Open the configured PostgreSQL (or start the embedded one) and close it on exit."""
    database = await PostgresDatabase.open(settings or store_settings(), migrate=migrate)
    try:
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def open_store(
    settings: StoreSettings | None = None, *, migrate: bool = True
) -> AsyncIterator[Stores]:
    """Yield the PostgreSQL stores (migrations applied at open); close the pool on exit."""
    async with open_database(settings, migrate=migrate) as database:
        yield database.stores


def memory_store() -> Stores:
    """Return fresh in-memory stores (Simulation Lab)."""
    return memory_stores()


async def upgrade_database(settings: StoreSettings | None = None) -> tuple[str, str]:
    """Apply the migrations; return the revision and where it was applied (no secrets)."""
    settings = settings or store_settings()
    async with open_database(settings, migrate=True) as database:
        where = (
            f"embedded server in {settings.embedded_data_dir}"
            if database.embedded is not None
            else "DATABASE_URL"
        )
        return database.revision, f"{where}, schema {settings.db_schema}"


def wallet_vault(
    stores: Stores, clock: Clock | None = None, settings: MasterSecretSettings | None = None
) -> WalletVault:
    """Return the wallet vault over ``stores`` with the master secret from the environment.

    Raises:
        ConfigError: no master secret, both set, or a malformed key.
    """
    settings = settings or master_secret_settings()
    cipher = WalletCipher(
        MasterSecret.from_settings(settings), scrypt_log2_n=settings.scrypt_log2_n
    )
    return WalletVault(stores.wallets, cipher, clock or SystemClock())


@asynccontextmanager
async def open_wallet_vault(
    settings: StoreSettings | None = None, master: MasterSecretSettings | None = None
) -> AsyncIterator[WalletVault]:
    """Yield a wallet vault over the configured PostgreSQL store."""
    master = master or master_secret_settings()
    async with open_store(settings) as stores:
        yield wallet_vault(stores, settings=master)


def read_keypair_file(path: Path) -> list[Keypair]:
    """Return the keypairs of a Solana CLI keypair file (``ConfigError`` if malformed)."""
    return _read_keypair_file(path)


# -- trading sessions (sim and paper modes) ------------------------------------------------------

_log = logging.getLogger("bmvbot.bootstrap")

DEFAULT_SCENARIO = "random_walk"
"""The market ``bmvbot run`` simulates unless ``--scenario`` names another."""
DEFAULT_SCENARIO_DURATION_S = 3600.0
"""Planned length of an open-ended run's scenario (its shocks are placed relative to it)."""


def scenario_names() -> tuple[str, ...]:
    """Return the names of the simulated market scenarios."""
    return tuple(sorted(SCENARIOS))


def system_clock() -> Clock:
    """Return the wall clock (UTC ns): for token times and other edges that need real time."""
    return SystemClock()


@dataclass(frozen=True, slots=True)
class TradingSession:
    """One composed trading setup: the service, its clock and pacing, the venue, the journal.

    Attributes:
        service: the trading loop.
        clock: the clock the venue and the service share.
        pacer: how the runner moves from one tick to the next.
        venue: the simulated venue (for the lab's extras: latent price, market time).
        market: the market's geometry (for displaying UI units).
        journal: the store recorder, None without a database.
    """

    service: TradingService
    clock: Clock
    pacer: Pacer
    venue: SimulatedVenue
    market: MarketSpec
    journal: TradingJournal | None = None


def simulated_session(
    params: StrategyParams,
    *,
    scenario: str = DEFAULT_SCENARIO,
    seed: int = 0,
    duration_s: float = DEFAULT_SCENARIO_DURATION_S,
    tip_lamports: int = 10_000,
    tick_interval_ns: int = DEFAULT_TICK_INTERVAL_NS,
    speed: float | None = None,
    clock: SimClock | None = None,
    journal: TradingJournal | None = None,
    base_price: float | None = None,
    volatility: float | None = None,
) -> TradingSession:
    """Return a session on a ``SimulatedVenue`` driven by a ``SimClock`` (sim mode).

    The runner steps the clock one tick interval at a time, as fast as it can (``speed``
    None) or ``speed`` times faster than the wall clock. The same seed gives the same run.
    ``base_price`` (quote per base) and ``volatility`` (fraction per square root of an hour)
    override the scenario's defaults when given (the Simulation Lab's form).

    Raises:
        ConfigError: an unknown scenario, or a bad interval or speed.
    """
    clock = clock or SimClock()
    shape = {
        name: value
        for name, value in (("base_price", base_price), ("volatility", volatility))
        if value is not None
    }
    recipe = sim_scenario(scenario, seed=seed, duration_s=duration_s, **shape)
    venue = SimulatedVenue.create(
        params.market, params.swarm.wallet_count, clock, recipe, seed=recipe.seed
    )
    service = TradingService(venue, clock, params, tip_lamports=tip_lamports, journal=journal)
    pacer = SteppedPacer(clock, tick_interval_ns, speed)
    return TradingSession(service, clock, pacer, venue, params.market, journal)


def paper_session(
    settings: Settings,
    *,
    scenario: str = DEFAULT_SCENARIO,
    seed: int = 0,
    speed: float | None = None,
    tick_interval_ns: int = DEFAULT_TICK_INTERVAL_NS,
    duration_s: float | None = None,
    stores: Stores | None = None,
) -> TradingSession:
    """Return the paper-trading session of ``bmvbot run`` (paper mode).

    ``speed`` None: the simulated market runs on the system clock, one tick per interval of
    wall time. A speed N: it runs on a ``SimClock`` starting at today's UTC midnight and paced
    N times faster than the wall clock (the same seed gives the same run). With ``stores``
    every trade and rebalance is recorded off the trading path.

    Raises:
        ConfigError: an unknown scenario, or a bad interval or speed.
    """
    params = settings.to_params()
    market_key = settings.market.address or f"sim:{settings.market.name}"
    journal = (
        None
        if stores is None
        else TradingJournal(stores.trades, stores.rebalances, market_key, params.market)
    )
    scenario_s = DEFAULT_SCENARIO_DURATION_S if duration_s is None else max(duration_s, 1.0)
    if speed is not None:
        # simulated time starts at today's UTC midnight: the swarm rotation (a whole number of
        # rotations per day) is then in the same phase every run, so a seed replays exactly
        today_ns = SystemClock().now_ns() // NS_PER_DAY * NS_PER_DAY
        clock = SimClock(today_ns)
        return simulated_session(
            params,
            scenario=scenario,
            seed=seed,
            duration_s=scenario_s,
            tip_lamports=settings.venue.tip_lamports,
            tick_interval_ns=tick_interval_ns,
            speed=speed,
            clock=clock,
            journal=journal,
        )
    wall = SystemClock()
    recipe = sim_scenario(scenario, seed=seed, duration_s=scenario_s)
    venue = SimulatedVenue.create(
        params.market, params.swarm.wallet_count, wall, recipe, seed=recipe.seed
    )
    service = TradingService(
        venue, wall, params, tip_lamports=settings.venue.tip_lamports, journal=journal
    )
    return TradingSession(
        service, wall, RealTimePacer(tick_interval_ns), venue, params.market, journal
    )


@asynccontextmanager
async def open_run_stores(*, is_enabled: bool) -> AsyncIterator[Stores | None]:
    """Yield the PostgreSQL stores for recording, or None when disabled or unavailable.

    A database that cannot be opened (embedded server fails to start, server unreachable,
    bad settings) is logged as a warning and the run goes on without recording.
    """
    if not is_enabled:
        yield None
        return
    try:
        database = await PostgresDatabase.open(store_settings())
    except (StoreError, ConfigError) as error:
        _log.warning("database unavailable, running without recording", extra={"error": str(error)})
        yield None
        return
    try:
        yield database.stores
    finally:
        await database.close()


def load_tape(path: Path, tick: DecimalStep, lot: DecimalStep) -> TapeSource:
    """Return the tape v1 CSV file ``path`` parsed into ticks of ``tick`` and lots of ``lot``.

    Raises:
        ConfigError: the file cannot be read or a row is malformed (the message names the line).
    """
    return CsvTapeSource.load(path, tick, lot)


def synthetic_execution_plan(
    wallet_count: int,
    orders: int = 32,
    *,
    is_delegate: bool = False,
    compute_budget: str = ComputeBudgetPolicy.WHEN_ROOM.value,
    tip_lamports: int = 10_000,
    seed: int = 0,
) -> ExecutionPlan:
    """Return the execution plan of a synthetic rebalance (``bmvbot plan``).

    The market, wallets, lookup table and blockhash are deterministic keys from ``seed``; the
    grid is ``orders`` levels, bids and asks split over the two halves of the swarm.

    Raises:
        ConfigError: a count, the policy (``always`` or ``when_room``) or the tip is invalid.
    """
    try:
        policy = ComputeBudgetPolicy(compute_budget)
    except ValueError:
        allowed = ", ".join(p.value for p in ComputeBudgetPolicy)
        raise ConfigError(
            f"compute_budget must be one of {allowed}, was {compute_budget!r}",
            key="compute_budget",
        ) from None
    params = PlannerParams(tip_lamports=tip_lamports, compute_budget=policy)
    swarm = synthetic_swarm(wallet_count, seed)
    return plan_synthetic(swarm, orders, is_delegate=is_delegate, params=params)


def describe_execution_plan(plan: ExecutionPlan) -> list[str]:
    """Return an execution plan as text lines (bundles, transactions, instructions)."""
    return describe(plan)


def rebalance_packing_table(orders: int = 32, seed: int = 0) -> str:
    """Return the README's packing table (transactions and bundles per swarm size), Markdown."""
    return packing_table_markdown(packing_table(orders=orders, seed=seed))


def run_localnet(
    *,
    host: str,
    ports: tuple[int, int, int],
    openbook_so: Path | None,
    seed_wallets: int,
    keypair_dir: Path,
    report: Callable[[list[str]], None],
    slot_interval_s: float = 0.4,
    jito_requests_per_s: float | None = None,
) -> None:
    """Run ``bmvbot localnet`` until interrupted: RPC, WebSocket and block engine on loopback.

    ``ports`` are (rpc, ws, jito). With ``seed_wallets`` > 0 a market and that many funded
    wallets are created first; their key pairs go to a 0600 file under ``keypair_dir`` and
    ``report`` receives the addresses and a config snippet (never a secret). A slot passes
    every ``slot_interval_s``; ``jito_requests_per_s`` rate-limits the block engine (HTTP 429).

    Raises:
        ConfigError: a non-loopback host, a wallet count out of range or an unreadable program.
    """
    # imported here: only this command needs the event loop and the localnet
    import asyncio

    from bmvbot.localnet.launch import LocalnetOptions, run

    options = LocalnetOptions(
        host=host, ports=ports, openbook_so=openbook_so, seed_wallets=seed_wallets,
        keypair_dir=keypair_dir, slot_interval_s=slot_interval_s,
        jito_requests_per_s=jito_requests_per_s,
    )  # fmt: skip
    asyncio.run(run(options, report))
