"""Composition root: settings -> adapters -> services. The only module that imports adapters.

Store functions: ``open_store`` (PostgreSQL from ``DATABASE_URL`` or the embedded server, with
migrations applied), ``memory_store`` (the Simulation Lab's in-memory stores),
``upgrade_database`` (``bmvbot db upgrade``), ``open_wallet_vault`` (wallets with keys sealed
under the master secret) and ``read_keypair_file``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from solders.keypair import Keypair

from bmvbot.adapters.crypto.cipher import MasterSecret, WalletCipher
from bmvbot.adapters.crypto.settings import MasterSecretSettings
from bmvbot.adapters.crypto.vault import WalletVault
from bmvbot.adapters.crypto.vault import read_keypair_file as _read_keypair_file
from bmvbot.adapters.memory.store import memory_stores
from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.core.errors import ConfigError
from bmvbot.ports.clock import Clock
from bmvbot.ports.store import Stores

SettingsT = TypeVar("SettingsT")


class _WallClock(Clock):
    # the CLI's clock for wallet creation times; the trading modes get theirs from their own
    # composition (SimClock or the system clock adapter)
    def now_ns(self) -> int:
        return time.time_ns()


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
    return WalletVault(stores.wallets, cipher, clock or _WallClock())


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
