"""Migrations from an empty schema: complete, idempotent, safe when two processes start at once."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from bmvbot.adapters.postgres.migrate import current_revision, head_revision, upgrade
from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.adapters.postgres.tables import metadata

TABLES = {
    "alembic_version",
    "bot_state",
    "config_versions",
    "latency_history",
    "price_history",
    "rebalances",
    "trades_history",
    "wallets",
}


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, metadata))


@pytest.mark.asyncio
async def test_upgrade_empty_schema_creates_every_table_at_head(pg_settings: StoreSettings) -> None:
    database = await PostgresDatabase.open(pg_settings, migrate=False)
    try:
        before = await current_revision(database.engine, pg_settings.db_schema)

        revision = await upgrade(database.engine, pg_settings.db_schema)

        async with database.engine.connect() as connection:
            tables = await connection.run_sync(_table_names)
            diff = await connection.run_sync(_schema_diff)
    finally:
        await database.close()
    assert before is None
    assert revision == head_revision()
    assert tables == TABLES
    assert diff == []


@pytest.mark.asyncio
async def test_upgrade_twice_is_a_no_op(pg_database: PostgresDatabase) -> None:
    await pg_database.stores.state.put_state("marker", "1", 0)

    revision = await upgrade(pg_database.engine, pg_database.schema)

    assert revision == head_revision()
    assert await pg_database.stores.state.get_state("marker") == "1"


@pytest.mark.asyncio
async def test_open_two_processes_at_once_migrate_once(pg_settings: StoreSettings) -> None:
    first, second = await asyncio.gather(
        PostgresDatabase.open(pg_settings), PostgresDatabase.open(pg_settings)
    )
    try:
        revisions = (first.revision, second.revision)
        current = await current_revision(first.engine, pg_settings.db_schema)
    finally:
        await first.close()
        await second.close()

    assert revisions == (head_revision(), head_revision())
    assert current == head_revision()
