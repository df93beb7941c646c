"""Alembic environment: runs on the connection handed over by ``bmvbot.adapters.postgres.migrate``.

There is no ``alembic.ini``; ``migrate.upgrade`` builds the configuration in code, opens a
connection, takes an advisory lock so that concurrent starts migrate once, and passes the
connection and the target schema through ``config.attributes``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bmvbot.adapters.postgres.tables import metadata


def _run(connection: Connection, schema: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "bmvbot migrations run through `bmvbot db upgrade` (or at start), not the alembic CLI"
        )
    _run(connection, str(context.config.attributes.get("schema", "public")))


_main()
