"""Latency samples, rebalances, configuration versions and the warm-restart state in PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from bmvbot.adapters.postgres.engine import fetch_all, in_window
from bmvbot.adapters.postgres.errors import translated
from bmvbot.adapters.postgres.tables import (
    bot_state,
    config_versions,
    latency_history,
    rebalances,
)
from bmvbot.adapters.postgres.timestamps import to_datetime, to_ns
from bmvbot.core.errors import FatalStoreError
from bmvbot.core.types import BaseLots, Grid, Level, PriceLots, Side
from bmvbot.ports.store import (
    BotStateStore,
    ConfigVersionRecord,
    ConfigVersionStore,
    LatencySample,
    LatencyStore,
    RebalanceRecord,
    RebalanceStore,
    check_limit,
)

_GRID_KEY_PREFIX = "grid:"


def grid_to_json(grid: Grid) -> dict[str, list[list[int]]]:
    """Return ``grid`` as ``{"bids": [[price_lots, size_base_lots], ...], "asks": [...]}``."""
    return {
        "bids": [[level.price_lots, level.size_base_lots] for level in grid.bids],
        "asks": [[level.price_lots, level.size_base_lots] for level in grid.asks],
    }


def grid_from_json(document: object) -> Grid:
    """Return the grid encoded by ``grid_to_json``.

    Raises:
        FatalStoreError: the stored document is not a grid.
    """
    try:
        if not isinstance(document, dict):
            raise TypeError("not an object")
        bids = tuple(
            Level(Side.BID, PriceLots(int(p)), BaseLots(int(s))) for p, s in document["bids"]
        )
        asks = tuple(
            Level(Side.ASK, PriceLots(int(p)), BaseLots(int(s))) for p, s in document["asks"]
        )
    except (KeyError, TypeError, ValueError) as error:
        raise FatalStoreError(f"stored grid is malformed ({error}); save a new grid") from error
    return Grid(bids=bids, asks=asks)


class PostgresLatencyStore(LatencyStore):
    """``latency_history``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_latency_samples(self, samples: Sequence[LatencySample]) -> None:
        if not samples:
            return
        rows = [
            {
                "ts": to_datetime(s.ts_ns),
                "component": s.component,
                "operation": s.operation,
                "latency_ms": s.latency_ms,
                "is_ok": s.is_ok,
            }
            for s in samples
        ]
        async with translated("storing latency samples"), self._engine.begin() as connection:
            await connection.execute(insert(latency_history), rows)

    async def latency_samples(
        self, component: str, start_ns: int, end_ns: int
    ) -> list[LatencySample]:
        c = latency_history.c
        query = (
            select(latency_history)
            .where(
                c.component == component,
                in_window(c.ts, start_ns, end_ns),
            )
            .order_by(c.ts, c.id)
        )
        rows = await fetch_all(self._engine, query, "reading latency samples")
        return [
            LatencySample(to_ns(r.ts), r.component, r.operation, r.latency_ms, r.is_ok)
            for r in rows
        ]


def _rebalance(row: Row[tuple[object, ...]]) -> RebalanceRecord:
    m = row._mapping
    return RebalanceRecord(
        market=str(m["market"]),
        ts_ns=to_ns(m["ts"]),
        reason=str(m["reason"]),
        pivot_price_lots=float(m["pivot_price_lots"]),
        target_grid=grid_from_json(m["target_grid"]),
        bundle_ids=tuple(str(b) for b in m["bundle_ids"]),
        landing_result=str(m["landing_result"]),
        tips_lamports=int(m["tips_lamports"]),
        fees_lamports=int(m["fees_lamports"]),
    )


class PostgresRebalanceStore(RebalanceStore):
    """``rebalances``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_rebalance(self, rebalance: RebalanceRecord) -> None:
        row = {
            "ts": to_datetime(rebalance.ts_ns),
            "market": rebalance.market,
            "reason": rebalance.reason,
            "pivot_price_lots": rebalance.pivot_price_lots,
            "target_grid": grid_to_json(rebalance.target_grid),
            "bundle_ids": list(rebalance.bundle_ids),
            "landing_result": rebalance.landing_result,
            "tips_lamports": rebalance.tips_lamports,
            "fees_lamports": rebalance.fees_lamports,
        }
        async with translated("storing a rebalance"), self._engine.begin() as connection:
            await connection.execute(insert(rebalances), row)

    async def rebalances(self, market: str, start_ns: int, end_ns: int) -> list[RebalanceRecord]:
        c = rebalances.c
        query = (
            select(rebalances)
            .where(
                c.market == market,
                in_window(c.ts, start_ns, end_ns),
            )
            .order_by(c.ts, c.id)
        )
        rows = await fetch_all(self._engine, query, "reading rebalances")
        return [_rebalance(row) for row in rows]

    async def last_rebalance(self, market: str) -> RebalanceRecord | None:
        c = rebalances.c
        query = select(rebalances).where(c.market == market).order_by(c.ts.desc(), c.id.desc())
        async with translated("reading the last rebalance"), self._engine.connect() as connection:
            row = (await connection.execute(query.limit(1))).first()
        return None if row is None else _rebalance(row)


class PostgresConfigVersionStore(ConfigVersionStore):
    """``config_versions``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_config_version(self, version: ConfigVersionRecord) -> None:
        row = {
            "ts": to_datetime(version.ts_ns),
            "config_hash": version.config_hash,
            "diff": version.diff,
            "is_accepted": version.is_accepted,
            "reason": version.reason,
        }
        async with translated("storing a config version"), self._engine.begin() as connection:
            await connection.execute(insert(config_versions), row)

    async def config_versions(self, limit: int) -> list[ConfigVersionRecord]:
        check_limit(limit)
        c = config_versions.c
        query = select(config_versions).order_by(c.ts.desc(), c.id.desc()).limit(limit)
        rows = await fetch_all(self._engine, query, "reading config versions")
        return [
            ConfigVersionRecord(to_ns(r.ts), r.config_hash, r.diff, r.is_accepted, r.reason)
            for r in rows
        ]


class PostgresBotStateStore(BotStateStore):
    """``bot_state``: JSON documents by key; grids under ``grid:<market>``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _put(self, key: str, document: object, now_ns: int) -> None:
        statement = pg_insert(bot_state).values(
            key=key, value=document, updated_at=to_datetime(now_ns)
        )
        statement = statement.on_conflict_do_update(
            index_elements=[bot_state.c.key],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        async with translated(f"storing state key={key}"), self._engine.begin() as connection:
            await connection.execute(statement)

    async def _get(self, key: str) -> object | None:
        query = select(bot_state.c.value).where(bot_state.c.key == key)
        async with translated(f"reading state key={key}"), self._engine.connect() as connection:
            return (await connection.execute(query)).scalar_one_or_none()

    async def save_grid(self, market: str, grid: Grid, now_ns: int) -> None:
        await self._put(_GRID_KEY_PREFIX + market, grid_to_json(grid), now_ns)

    async def load_grid(self, market: str) -> Grid | None:
        document = await self._get(_GRID_KEY_PREFIX + market)
        return None if document is None else grid_from_json(document)

    async def put_state(self, key: str, value_json: str, now_ns: int) -> None:
        try:
            document = json.loads(value_json)
        except ValueError as error:
            raise FatalStoreError(f"state key={key} must be a JSON document ({error})") from error
        await self._put(key, document, now_ns)

    async def get_state(self, key: str) -> str | None:
        document = await self._get(key)
        return None if document is None else json.dumps(document)
