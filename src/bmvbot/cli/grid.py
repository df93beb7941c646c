"""``bmvbot grid --pivot P``: preview the target grid and its allocation over the swarm.

Builds the grid the strategy would rest around a given pivot with the configured parameters
(``GridBuilder``), optionally front-running the walls of an L2 book snapshot, and spreads it
over the swarm (``core.swarm.allocate``) at one rotation epoch. Nothing is sent anywhere.

The snapshot (``--book FILE``) is JSON with UI prices (quote per base) and UI sizes (base
tokens), each side a list of ``[price, size]`` pairs in any order::

    {"bids": [[1.244, 120.0], [1.24, 25000.0]], "asks": [[1.256, 90.0]]}

Prices are rounded to the nearest tick and sizes to the nearest lot (a pair below one tick
or one lot is refused); pairs on one tick are summed. The preview assumes every wallet holds
enough funds; only OpenOrders slots limit the allocation, and a level no wallet can take is
shown as unplaced.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bmvbot.core.config import StrategyParams
from bmvbot.core.errors import ConfigError
from bmvbot.core.grid import GridBuilder
from bmvbot.core.swarm import Allocation, WalletFunds, allocate
from bmvbot.core.types import (
    BaseLots,
    BookLevel,
    Grid,
    L2Snapshot,
    Level,
    MarketSpec,
    PriceLots,
    QuoteLots,
    Rounding,
    Side,
    WalletId,
)
from bmvbot.settings import config_path, load_settings
from bmvbot.settings.fields import datetime_to_ns, ui_number

FRONT_RUN_NOTE = "ahead of a wall"


def _fail(message: str) -> ConfigError:
    return ConfigError(message)


def _pairs(data: dict[str, Any], side: str, path: Path) -> list[tuple[float, float]]:
    rows = data.get(side, [])
    if not isinstance(rows, list):
        raise _fail(f"--book {path}: {side} must be a list of [price, size] pairs")
    pairs = []
    for index, row in enumerate(rows):
        is_pair = isinstance(row, list) and len(row) == 2
        numbers = is_pair and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
            for v in row
        )
        if not numbers:
            raise _fail(
                f"--book {path}: {side}[{index}] must be [price, size] with two numbers > 0, "
                f"was {json.dumps(row)[:60]}"
            )
        pairs.append((float(row[0]), float(row[1])))
    return pairs


def _side_levels(
    pairs: list[tuple[float, float]], market: MarketSpec, side: Side, path: Path
) -> tuple[BookLevel, ...]:
    sizes: dict[int, int] = {}
    name = f"{side.name.lower()}s"
    for index, (price_ui, size_ui) in enumerate(pairs):
        price = market.price_to_lots(price_ui, Rounding.NEAREST)
        size = market.size_to_lots(size_ui, Rounding.NEAREST)
        if price < 1 or size < 1:
            raise _fail(
                f"--book {path}: {name}[{index}] is below one tick "
                f"({ui_number(market.ui_per_price_lot)}) or one lot "
                f"({ui_number(market.ui_per_base_lot)}) of this market, was "
                f"[{ui_number(price_ui)}, {ui_number(size_ui)}]"
            )
        sizes[price] = sizes.get(price, 0) + size
    ordered = sorted(sizes, reverse=side is Side.BID)
    return tuple(BookLevel(PriceLots(p), BaseLots(sizes[p])) for p in ordered)


def read_book_snapshot(path: Path, market: MarketSpec) -> L2Snapshot:
    """Return the L2 snapshot in ``path`` (see the module docstring) in ticks and lots.

    Raises:
        ConfigError: the file is missing, not JSON, or not in the documented shape.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise _fail(f"--book {path} cannot be read: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _fail(f"--book {path} is not JSON: {error}") from None
    if not isinstance(data, dict) or not set(data) <= {"bids", "asks"}:
        raise _fail(f'--book {path} must be an object with "bids" and "asks" lists')
    return L2Snapshot(
        bids=_side_levels(_pairs(data, "bids", path), market, Side.BID, path),
        asks=_side_levels(_pairs(data, "asks", path), market, Side.ASK, path),
    )


def _pivot_lots(pivot_ui: float, market: MarketSpec) -> float:
    if not (math.isfinite(pivot_ui) and pivot_ui > 0):
        raise _fail(f"--pivot must be a price > 0 in quote per base, was {pivot_ui}")
    return pivot_ui / market.ui_per_price_lot


def _now_ns(text: str | None) -> int:
    if text is None:
        return 0
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"--at must be an ISO 8601 date-time, was {text!r}") from None
    if moment.tzinfo is None:
        raise _fail(f"--at needs a UTC offset (e.g. 2026-11-24T12:00:00Z), was {text!r}")
    return datetime_to_ns(moment.astimezone(UTC))


def _unlimited_funds(grid: Grid, params: StrategyParams) -> list[WalletFunds]:
    # enough for the whole grid in every wallet: the preview shows rotation and slots only
    quote = sum(level.price_lots * level.size_base_lots for level in grid.bids) * 2 + 1
    base = sum(level.size_base_lots for level in grid.asks) + 1
    return [
        WalletFunds(WalletId(f"#{index}"), BaseLots(base), QuoteLots(quote))
        for index in range(params.swarm.wallet_count)
    ]


def preview_rows(
    params: StrategyParams, pivot_ui: float, book: L2Snapshot | None, now_ns: int
) -> list[dict[str, Any]]:
    """Return the grid's levels as rows, asks from the outermost down, then bids.

    Each row: ``side``, ``level`` (1 = innermost), ``price`` and ``size`` (UI), ``price_lots``,
    ``size_base_lots``, ``wallet`` (swarm position, None when unplaced) and ``note``.
    """
    market = params.market
    builder = GridBuilder(params.grid, market)
    pivot = _pivot_lots(pivot_ui, market)
    grid = builder.build(pivot, book)
    plain = builder.build(pivot) if book is not None else grid
    placed = _wallet_of(allocate(grid, _unlimited_funds(grid, params), params.swarm, now_ns))
    rows: list[dict[str, Any]] = []
    for side, levels, computed in (
        (Side.ASK, grid.asks, plain.asks),
        (Side.BID, grid.bids, plain.bids),
    ):
        side_rows = [
            _row(side, index + 1, level, market, placed.get(level), level not in computed)
            for index, level in enumerate(levels)
        ]
        rows.extend(reversed(side_rows) if side is Side.ASK else side_rows)
    return rows


def _wallet_of(allocation: Allocation) -> dict[Level, int]:
    placed: dict[Level, int] = {}
    for position, orders in enumerate(allocation.wallets):
        for level in orders.levels:
            placed[level] = position
    return placed


def _row(
    side: Side, index: int, level: Level, market: MarketSpec, wallet: int | None, moved: bool
) -> dict[str, Any]:
    return {
        "side": side.name.lower(),
        "level": index,
        # UI values for reading, rounded off float noise; the lots are the exact values
        "price": round(market.price_to_ui(level.price_lots), 12),
        "size": round(market.size_to_ui(level.size_base_lots), 12),
        "price_lots": int(level.price_lots),
        "size_base_lots": int(level.size_base_lots),
        "wallet": wallet,
        "note": FRONT_RUN_NOTE if moved else ("unplaced" if wallet is None else ""),
    }


def _table(rows: list[dict[str, Any]], caption: str) -> Table:
    table = Table(title="bmvbot grid preview", caption=caption)
    for name in ("side", "level", "price", "size", "price_lots", "size_lots", "wallet", "note"):
        table.add_column(name, justify="left" if name in ("side", "note") else "right")
    for row in rows:
        table.add_row(
            row["side"],
            str(row["level"]),
            ui_number(row["price"]),
            ui_number(row["size"]),
            str(row["price_lots"]),
            str(row["size_base_lots"]),
            "-" if row["wallet"] is None else f"#{row['wallet']}",
            row["note"],
        )
    return table


def _run(args: argparse.Namespace) -> int:
    environment = {} if args.ignore_env else os.environ
    settings = load_settings(config_path(args.config, environment), env=environment)
    params = settings.to_params()
    book = read_book_snapshot(args.book, params.market) if args.book is not None else None
    rows = preview_rows(params, args.pivot, book, _now_ns(args.at))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    caption = (
        f"pivot {ui_number(args.pivot)} = "
        f"{ui_number(round(_pivot_lots(args.pivot, params.market), 6))} ticks; "
        f"{len(rows)} levels over {params.swarm.wallet_count} wallets "
        f"({'side split' if params.swarm.is_side_split else 'shared'}); "
        f"rotation at {args.at or 'epoch 0'}; funds not limited"
    )
    width = None if sys.stdout.isatty() else 120
    Console(file=sys.stdout, width=width).print(_table(rows, caption))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``grid`` command."""
    parser = subparsers.add_parser(
        "grid",
        help="preview the grid around a pivot and its wallets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--pivot", type=float, required=True, help="pivot price, quote per base (e.g. 1.25)"
    )
    parser.add_argument("--config", type=Path, default=None, metavar="FILE", help="config file")
    parser.add_argument("--book", type=Path, default=None, metavar="FILE", help="L2 snapshot")
    parser.add_argument(
        "--at", default=None, metavar="DATETIME", help="rotation time (default: epoch 0)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array of the levels")
    parser.add_argument("--ignore-env", action="store_true", help="ignore BMVBOT_* overrides")
    parser.set_defaults(handler=_run)
