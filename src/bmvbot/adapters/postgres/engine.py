"""Connection pool (one SQLAlchemy ``AsyncEngine`` over asyncpg) and the shared read helpers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Executable, Row, and_
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bmvbot.adapters.postgres.errors import translated
from bmvbot.adapters.postgres.timestamps import to_datetime_ceil
from bmvbot.core.errors import ConfigError


def asyncpg_url(url: str) -> str:
    """Return ``url`` with the ``postgresql+asyncpg`` driver (accepts postgres:// as well).

    Raises:
        ConfigError: the URL cannot be parsed (the message never contains the URL).
    """
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError) as error:
        raise ConfigError(
            "DATABASE_URL is not a valid URL (expected postgresql://user@host:port/database)",
            key="DATABASE_URL",
        ) from error
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(url: str, *, schema: str, pool_size: int, timeout_s: float) -> AsyncEngine:
    """Return a pooled engine whose sessions use ``schema`` first on the search path."""
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=timeout_s,
        connect_args={
            "timeout": timeout_s,
            "command_timeout": max(timeout_s, 60.0),
            # temp_buffers holds the ingestion staging table in memory (set before first use)
            "server_settings": {"search_path": schema, "timezone": "UTC", "temp_buffers": "32MB"},
        },
    )


async def fetch_all(
    engine: AsyncEngine, statement: Executable, action: str
) -> Sequence[Row[tuple[Any, ...]]]:
    """Run a read-only ``statement`` on a pooled connection; raise ``StoreError`` on failure."""
    async with translated(action), engine.connect() as connection:
        return (await connection.execute(statement)).all()


def in_window(column: ColumnElement[datetime], start_ns: int, end_ns: int) -> ColumnElement[bool]:
    """Return ``start_ns <= column < end_ns`` for a ``timestamptz`` column (microsecond-exact)."""
    return and_(column >= to_datetime_ceil(start_ns), column < to_datetime_ceil(end_ns))
