"""Shared fixtures: PostgreSQL servers for the store tests (contract, integration, benchmarks).

``pg_server`` is parametrised over the embedded server (always; started once per session in a
temporary data directory and stopped at the end) and the server named by ``DATABASE_URL`` (only
when it is set). ``pg_settings`` gives each test a fresh schema on that server and drops it
afterwards, so tests are isolated and leave nothing behind.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from bmvbot.adapters.postgres.embedded import EmbeddedPostgres
from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase

PG_TARGETS = ("embedded", "database_url")

# helpers import as ``tests.<dir>.<module>``, the name mypy gives them (see tests/golden)
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


@dataclass(frozen=True)
class PgServer:
    """One server the store tests run against."""

    name: str
    url: str


@pytest.fixture(scope="session")
def pg_embedded_url() -> Iterator[str]:
    # not under pytest's basetemp: pytest resets /tmp/pytest-of-<user> to mode 0700 in every
    # session, which locks out the unprivileged user the embedded server runs as under root
    data_root = Path(tempfile.mkdtemp(prefix="bmvbot-test-pg-"))
    server = EmbeddedPostgres(data_root / "postgres")
    try:
        url = server.start()
        yield url
    finally:
        server.stop()
        shutil.rmtree(data_root, ignore_errors=True)


def _target_url(request: pytest.FixtureRequest, target: str) -> str:
    if target == "database_url":
        url = os.environ.get("DATABASE_URL", "")
        if not url:
            pytest.skip("DATABASE_URL is not set")
        return url
    url = request.getfixturevalue("pg_embedded_url")
    assert isinstance(url, str)
    return url


@pytest.fixture(params=PG_TARGETS)
def pg_server(request: pytest.FixtureRequest) -> PgServer:
    return PgServer(request.param, _target_url(request, request.param))


async def _drop_schema(url: str, schema: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


def fresh_settings(url: str, tmp_path: Path) -> StoreSettings:
    return StoreSettings(
        database_url=url,
        data_dir=tmp_path,
        db_schema=f"t_{uuid.uuid4().hex[:16]}",
        db_pool_size=4,
        db_timeout_s=10.0,
    )


@pytest.fixture
def pg_settings(pg_server: PgServer, tmp_path: Path) -> Iterator[StoreSettings]:
    settings = fresh_settings(pg_server.url, tmp_path)
    yield settings
    asyncio.run(_drop_schema(pg_server.url, settings.db_schema))


@pytest_asyncio.fixture
async def pg_database(pg_settings: StoreSettings) -> AsyncIterator[PostgresDatabase]:
    database = await PostgresDatabase.open(pg_settings)
    yield database
    await database.close()


OpenDatabase = Callable[[str], Awaitable[PostgresDatabase]]


@pytest_asyncio.fixture
async def pg_open_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[OpenDatabase]:
    """Return ``open(target)``: a migrated database in a fresh schema on "embedded" or
    "database_url" (skips when DATABASE_URL is unset); all are closed and dropped afterwards."""
    opened: list[tuple[PostgresDatabase, str, str]] = []

    async def open_database(target: str) -> PostgresDatabase:
        url = _target_url(request, target)
        settings = fresh_settings(url, tmp_path)
        database = await PostgresDatabase.open(settings)
        opened.append((database, url, settings.db_schema))
        return database

    yield open_database
    for database, url, schema in opened:
        await database.close()
        await _drop_schema(url, schema)


@pytest.fixture(autouse=True)
def _sigint_handler_is_left_alone() -> Iterator[None]:
    # a test that leaves its own SIGINT handler installed (a server's, say) silently breaks
    # every later test of Ctrl-C handling: fail the test that leaked it instead
    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    if after is not before:
        signal.signal(signal.SIGINT, before)
        pytest.fail(f"the test left a SIGINT handler installed: {after!r}")
