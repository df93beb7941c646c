"""Every driver error the PostgreSQL adapter can meet maps into the store error tree.

The errors are real: the server raises them (``RAISE ... USING ERRCODE``, a terminated backend,
a statement timeout, a missing table) or the network refuses the connection.
"""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from bmvbot.adapters.postgres.engine import create_engine
from bmvbot.adapters.postgres.errors import translate_error, translated
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.core.errors import FatalStoreError, RetryableStoreError, StoreError
from bmvbot.core.types import Side
from bmvbot.ports.store import TradeRecord

RETRYABLE_SQLSTATES = [
    "08000",  # connection exception
    "08006",  # connection failure
    "40001",  # serialization failure
    "40P01",  # deadlock detected
    "53100",  # disk full
    "53300",  # too many connections
    "55P03",  # lock not available
    "57014",  # query canceled
    "57P01",  # admin shutdown
    "57P03",  # cannot connect now
    "58030",  # io error
]
FATAL_SQLSTATES = [
    "22003",  # numeric value out of range
    "22P02",  # invalid text representation
    "23505",  # unique violation
    "42501",  # insufficient privilege
    "42P01",  # undefined table
    "XX000",  # internal error
]


def _raise_sql(sqlstate: str) -> str:
    return f"DO $$ BEGIN RAISE EXCEPTION 'raised for the test' USING ERRCODE = '{sqlstate}'; END $$"


@pytest.mark.asyncio
@pytest.mark.parametrize("sqlstate", RETRYABLE_SQLSTATES)
async def test_translated_retryable_sqlstate_through_sqlalchemy_retryable(
    pg_database: PostgresDatabase, sqlstate: str
) -> None:
    with pytest.raises(RetryableStoreError, match=f"sqlstate={sqlstate}") as caught:
        async with translated("testing"), pg_database.engine.connect() as connection:
            await connection.execute(text(_raise_sql(sqlstate)))

    assert isinstance(caught.value.__cause__, sa_exc.DBAPIError)


@pytest.mark.asyncio
@pytest.mark.parametrize("sqlstate", FATAL_SQLSTATES)
async def test_translated_fatal_sqlstate_through_sqlalchemy_fatal(
    pg_database: PostgresDatabase, sqlstate: str
) -> None:
    with pytest.raises(FatalStoreError, match=f"sqlstate={sqlstate}"):
        async with translated("testing"), pg_database.engine.connect() as connection:
            await connection.execute(text(_raise_sql(sqlstate)))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("sqlstate", "expected"), [("40P01", RetryableStoreError), ("23505", FatalStoreError)]
)
async def test_translate_error_raw_asyncpg_error_by_sqlstate(
    pg_database: PostgresDatabase, sqlstate: str, expected: type[StoreError]
) -> None:
    async with pg_database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        with pytest.raises(asyncpg.PostgresError) as caught:
            await driver.execute(_raise_sql(sqlstate))

    assert isinstance(translate_error(caught.value, "testing"), expected)


@pytest.mark.asyncio
async def test_translated_connection_refused_retryable() -> None:
    engine = create_engine(
        "postgresql://postgres@127.0.0.1:1/none", schema="public", pool_size=1, timeout_s=2
    )
    try:
        with pytest.raises(RetryableStoreError, match="unreachable"):
            async with translated("connecting"), engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


@pytest.mark.asyncio
async def test_translated_terminated_backend_retryable(pg_database: PostgresDatabase) -> None:
    async with pg_database.engine.connect() as victim:
        pid = (await victim.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with pg_database.engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        with pytest.raises(RetryableStoreError):
            async with translated("querying a terminated connection"):
                await victim.execute(text("SELECT 1"))


@pytest.mark.asyncio
async def test_translated_statement_timeout_retryable(pg_database: PostgresDatabase) -> None:
    async with pg_database.engine.connect() as connection:
        await connection.execute(text("SET statement_timeout = 50"))

        with pytest.raises(RetryableStoreError, match="sqlstate=57014"):
            async with translated("waiting"):
                await connection.execute(text("SELECT pg_sleep(5)"))


@pytest.mark.asyncio
async def test_add_trades_value_beyond_bigint_fatal(pg_database: PostgresDatabase) -> None:
    too_large = TradeRecord("M", "sig", 0, 0, Side.BID, 1, 1, 1, 2**63)

    with pytest.raises(FatalStoreError, match="OverflowError"):
        await pg_database.stores.trades.add_trades([too_large])


@pytest.mark.asyncio
async def test_trades_missing_table_fatal(pg_database: PostgresDatabase) -> None:
    async with pg_database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE trades_history CASCADE"))

    with pytest.raises(FatalStoreError, match="db upgrade"):
        await pg_database.stores.trades.trades("M", 0, 1)


def test_translate_error_store_error_passes_through_unchanged() -> None:
    original = RetryableStoreError("already translated")

    assert translate_error(original, "anything") is original


def test_translate_error_sqlalchemy_usage_error_fatal() -> None:
    error = sa_exc.ArgumentError("bad argument")

    assert isinstance(translate_error(error, "building a query"), FatalStoreError)


def test_translate_error_closed_asyncpg_connection_retryable() -> None:
    error = asyncpg.InterfaceError("connection is closed")

    assert isinstance(translate_error(error, "querying"), RetryableStoreError)
