"""Translation of database driver errors into the store branch of the error tree (STYLE 7).

Connection loss, timeouts, server shutdown, lock conflicts and resource exhaustion are
``RetryableStoreError`` (buffer and retry); everything else the server refuses (constraint
violations, bad data, a missing table, permissions) is ``FatalStoreError``. SQLSTATE classes:
08 connection, 40 transaction rollback, 53 insufficient resources, 55P03 lock not available,
57 operator intervention (shutdown, cancel), 58 system error, are retryable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy import exc as sa_exc

from bmvbot.core.errors import FatalStoreError, RetryableStoreError, StoreError

_RETRYABLE_SQLSTATE_PREFIXES = ("08", "40", "53", "55P03", "57", "58")


def _sqlstate(error: BaseException) -> str | None:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return None


def _is_connection_level(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    # OSError covers refused and reset sockets; asyncpg's InterfaceError a closed connection
    connection_types = (
        OSError,
        TimeoutError,
        asyncio.TimeoutError,
        asyncpg.InterfaceError,
        asyncpg.exceptions.ConnectionDoesNotExistError,
        sa_exc.TimeoutError,
        sa_exc.DisconnectionError,
    )
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, connection_types):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def translate_error(error: BaseException, action: str) -> StoreError:
    """Return the store error for a driver or SQLAlchemy ``error`` raised while doing ``action``."""
    if isinstance(error, StoreError):
        return error
    state = _sqlstate(error)
    detail = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    if state is not None:
        if state.startswith(_RETRYABLE_SQLSTATE_PREFIXES):
            return RetryableStoreError(
                f"database unavailable while {action} (sqlstate={state}, {detail}); "
                "retried when it is back"
            )
        return FatalStoreError(
            f"database refused {action} (sqlstate={state}, {detail}); check the schema "
            "(`bmvbot db upgrade`) and the data"
        )
    if _is_connection_level(error):
        return RetryableStoreError(
            f"database unreachable while {action} ({detail}); retried when it is back"
        )
    return FatalStoreError(f"database error while {action} ({detail})")


_TRANSLATED = (
    sa_exc.SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
    OverflowError,
)


@asynccontextmanager
async def translated(action: str) -> AsyncIterator[None]:
    """Run the body and raise any driver error as a ``StoreError`` (``raise ... from``)."""
    try:
        yield
    except _TRANSLATED as error:
        raise translate_error(error, action) from error
