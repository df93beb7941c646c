"""Opening and closing the PostgreSQL stores: URL or embedded server, pool, migrations."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bmvbot.adapters.postgres.embedded import EmbeddedPostgres
from bmvbot.adapters.postgres.engine import create_engine
from bmvbot.adapters.postgres.errors import translated
from bmvbot.adapters.postgres.journals import (
    PostgresBotStateStore,
    PostgresConfigVersionStore,
    PostgresLatencyStore,
    PostgresRebalanceStore,
)
from bmvbot.adapters.postgres.migrate import upgrade
from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.trades import PostgresPriceHistoryStore, PostgresTradeStore
from bmvbot.adapters.postgres.wallets import PostgresWalletStore
from bmvbot.ports.store import Stores

_log = logging.getLogger(__name__)


def postgres_stores(engine: AsyncEngine) -> Stores:
    """Return every store port over ``engine``."""
    return Stores(
        trades=PostgresTradeStore(engine),
        prices=PostgresPriceHistoryStore(engine),
        latency=PostgresLatencyStore(engine),
        wallets=PostgresWalletStore(engine),
        rebalances=PostgresRebalanceStore(engine),
        config_versions=PostgresConfigVersionStore(engine),
        state=PostgresBotStateStore(engine),
    )


class PostgresDatabase:
    """A connection pool on the configured server (``DATABASE_URL``) or the embedded one.

    Use ``await PostgresDatabase.open(settings)`` and ``await database.close()`` (or
    ``async with``); ``close`` disposes of the pool and stops the embedded server.
    """

    def __init__(self, engine: AsyncEngine, schema: str, embedded: EmbeddedPostgres | None) -> None:
        self.engine = engine
        self.schema = schema
        self.embedded = embedded
        self.stores = postgres_stores(engine)
        self.revision = ""

    @classmethod
    async def open(cls, settings: StoreSettings, *, migrate: bool = True) -> PostgresDatabase:
        """Connect (starting the embedded server when no URL is set) and apply migrations.

        Raises:
            RetryableStoreError: the server is unreachable.
            FatalStoreError: the embedded server cannot start or the schema cannot be migrated.
        """
        embedded: EmbeddedPostgres | None = None
        if settings.database_url is None:
            embedded = EmbeddedPostgres(settings.embedded_data_dir)
            url = embedded.start()
        else:
            url = settings.database_url.get_secret_value()
        engine = create_engine(
            url,
            schema=settings.db_schema,
            pool_size=settings.db_pool_size,
            timeout_s=settings.db_timeout_s,
        )
        database = cls(engine, settings.db_schema, embedded)
        try:
            if migrate:
                database.revision = await upgrade(engine, settings.db_schema)
            else:
                await database.ping()
        except BaseException:
            await database.close()
            raise
        _log.info(
            "store opened backend=%s schema=%s revision=%s",
            "embedded" if embedded else "database_url",
            settings.db_schema,
            database.revision or "unchecked",
        )
        return database

    async def ping(self) -> None:
        """Run ``SELECT 1``; raise a ``StoreError`` when the server does not answer."""
        async with translated("checking the connection"), self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Dispose of the pool and stop the embedded server (if this process started it)."""
        await self.engine.dispose()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None

    async def __aenter__(self) -> PostgresDatabase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
