"""End to end: ``bmvbot run`` paper-trades a simulated hour with a flash crash, into PostgreSQL.

The installed console script runs as a subprocess at 1000x speed, recording into its own
embedded PostgreSQL (or ``DATABASE_URL`` when set, in a fresh schema); the test reads the final
JSON summary line and the rows the run recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bmvbot.adapters.postgres.embedded import EmbeddedPostgres

RUN_TIMEOUT_S = 240
SEED = 7


def _bmvbot() -> str:
    found = shutil.which("bmvbot", path=str(Path(sys.executable).parent))
    assert found is not None, "the bmvbot console script is not installed in this environment"
    return found


async def _query(url: str, schema: str) -> tuple[int, int, dict[str, int]]:
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        trades = await connection.fetchval("SELECT count(*) FROM trades_history")
        fills = await connection.fetchval(
            "SELECT count(*) FROM trades_history WHERE wallet IS NOT NULL"
        )
        rows = await connection.fetch(
            "SELECT reason, count(*) AS n FROM rebalances GROUP BY reason"
        )
        return int(trades), int(fills), {row["reason"]: int(row["n"]) for row in rows}
    finally:
        await connection.close()


async def _drop(url: str, schema: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


@dataclass(frozen=True)
class Database:
    """Where the run records: ``DATABASE_URL`` when set, else its own embedded server."""

    data_dir: Path
    schema: str
    url: str | None

    @contextlib.contextmanager
    def connected_url(self) -> Iterator[str]:
        """Yield a URL to read the run's rows (restarting the run's embedded server)."""
        if self.url is not None:
            yield self.url
            return
        server = EmbeddedPostgres(self.data_dir / "postgres")
        try:
            yield server.start()
        finally:
            server.stop()


@pytest.fixture
def database() -> Iterator[Database]:
    # not under pytest's basetemp: the embedded server's unprivileged user must reach it
    data_dir = Path(tempfile.mkdtemp(prefix="bmvbot-e2e-"))
    database = Database(
        data_dir, f"e2e_{uuid.uuid4().hex[:12]}", os.environ.get("DATABASE_URL") or None
    )
    yield database
    if database.url is not None:
        asyncio.run(_drop(database.url, database.schema))
    shutil.rmtree(data_dir, ignore_errors=True)


def _run(database: Database) -> tuple[dict[str, Any], str]:
    env = {
        **os.environ,
        "BMVBOT_DB_SCHEMA": database.schema,
        "BMVBOT_DATA_DIR": str(database.data_dir),
    }
    env.pop("BMVBOT_CONFIG", None)
    command = [
        _bmvbot(),
        "run",
        "--speed",
        "1000",
        "--scenario",
        "flash_crash",
        "--seed",
        str(SEED),
        "--duration",
        "3600",
        "--summary-json",
        "--view",
        "lines",
    ]
    completed = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    last = completed.stdout.strip().splitlines()[-1]
    summary: dict[str, Any] = json.loads(last)["summary"]
    return summary, completed.stdout + completed.stderr


@pytest.mark.slow
def test_run_flash_crash_hour_fills_both_sides_follows_guards_loses_no_order(
    database: Database,
) -> None:
    summary, output = _run(database)

    assert summary["duration_ns"] == 3600 * 10**9
    assert summary["bid_fills"] > 0
    assert summary["ask_fills"] > 0
    reasons = summary["rebalances_by_reason"]
    assert summary["rebalances"] == sum(reasons.values()) > 0
    assert reasons["initial"] == 1
    assert reasons.get("deviation", 0) > 0  # the crash moved the market away from the pivot
    assert set(reasons) <= {"initial", "deviation", "proximity", "entropy", "repair"}
    assert summary["orders_resting"] == 0  # Ctrl-C path: the shutdown cancelled everything
    assert summary["orders_placed"] == (
        summary["orders_resting"]
        + summary["orders_cancelled"]
        + summary["orders_filled"]
        + summary["orders_unfunded"]
        + summary["orders_lost"]
    )
    assert summary["orders_lost"] == 0
    assert summary["dropped_orders"] == 0
    assert summary["swarm_crossed_orders"] == 0
    assert summary["self_trades"] == 0
    assert summary["bundles_landed"] <= summary["bundles_sent"]
    assert summary["tips_lamports"] == 10_000 * summary["bundles_landed"]
    assert "msg=rebalance" in output
    with database.connected_url() as url:
        trades, fills, recorded = asyncio.run(_query(url, database.schema))
    assert fills == summary["fills"]
    assert trades > fills
    assert recorded == reasons
