"""Alembic migrations run in code: ``bmvbot db upgrade`` and every start call ``upgrade``.

The migrations live in ``migrations/`` next to this module (shipped in the wheel). An advisory
lock serialises concurrent starts, so two processes never migrate at once, and running the
upgrade on an up-to-date database does nothing (idempotent).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bmvbot.adapters.postgres.errors import translated

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# any constant shared by all bmvbot processes; "bmvbot" in ASCII
_ADVISORY_LOCK_ID = 0x626D76626F74


def _config(connection: Connection, schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


def head_revision() -> str:
    """Return the newest revision shipped with this version of bmvbot."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration found in {MIGRATIONS_DIR}")
    return head


def _upgrade_sync(connection: Connection, schema: str) -> str | None:
    connection.execute(
        text("SELECT pg_advisory_xact_lock(:lock_id)"), {"lock_id": _ADVISORY_LOCK_ID}
    )
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
    command.upgrade(_config(connection, schema), "head")
    return MigrationContext.configure(
        connection, opts={"version_table_schema": schema}
    ).get_current_revision()


async def upgrade(engine: AsyncEngine, schema: str) -> str:
    """Bring ``schema`` to the newest revision and return it; a no-op when already there.

    Raises:
        RetryableStoreError: the server is unreachable.
        FatalStoreError: the server refused the migration.
    """
    async with translated("migrating the schema"), engine.begin() as connection:
        revision = await connection.run_sync(_upgrade_sync, schema)
    return revision or ""


async def current_revision(engine: AsyncEngine, schema: str) -> str | None:
    """Return the schema's revision, or None before the first migration."""

    def _read(connection: Connection) -> str | None:
        context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
        return context.get_current_revision()

    async with translated("reading the schema revision"), engine.connect() as connection:
        return await connection.run_sync(_read)
