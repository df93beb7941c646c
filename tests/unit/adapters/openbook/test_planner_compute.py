"""Compute-unit model: covers every measured figure and golden trace, within the runtime cap."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bmvbot.adapters.openbook import compute
from bmvbot.core.errors import ConfigError

GOLDEN_DIR = Path(__file__).resolve().parents[4].parent / "shared" / "golden" / "openbook-v2"

# openbook-v2.md section 9: (cancelled, placed) -> measured CU on a book with 480 foreign orders
DEEP_BOOK_MEASUREMENTS = {(1, 1): 32_661, (8, 8): 100_722, (16, 16): 180_704, (24, 24): 264_923}
FIRST_PLACEMENT = {(0, 1): 28_058, (0, 8): 72_353, (0, 16): 123_397, (0, 24): 176_049}


@pytest.mark.parametrize(
    ("counts", "measured"), [*DEEP_BOOK_MEASUREMENTS.items(), *FIRST_PLACEMENT.items()]
)
def test_planner_compute_estimate_with_margin_covers_measurements(
    counts: tuple[int, int], measured: int
) -> None:
    estimate = compute.with_margin(compute.batch_compute_units(*counts))

    assert measured <= estimate <= 2 * measured


def _golden_batches() -> list[tuple[str, int, int]]:
    # every batch instruction recorded from the real program: (name, entries, compute units)
    batches = []
    for path in sorted(GOLDEN_DIR.glob("*.json.gz")):
        with gzip.open(path) as stream:
            trace = json.load(stream)
        for step in trace["steps"]:
            for instruction in step.get("instructions", []):
                name = instruction["name"].rsplit(".", 1)[-1]
                if name in ("cancel_all_and_place_orders", "place_orders"):
                    args = instruction["args"]
                    entries = len(args["bids"]) + len(args["asks"])
                    batches.append((name, entries, instruction["compute_units"]))
    return batches


def test_planner_compute_estimate_covers_golden_batches() -> None:
    batches = [b for b in _golden_batches() if b[1] <= compute.MAX_ORDERS_PER_ACCOUNT]

    assert len(batches) >= 10
    for name, entries, used in batches:
        # at most 24 orders rest before a batch, so a full cancel is the worst case
        assert used <= compute.with_margin(compute.batch_compute_units(24, entries)), name


def test_planner_compute_transaction_adds_builtins_and_margin() -> None:
    units = compute.transaction_compute_units([10_000, 20_000], builtin_instructions=3)

    assert units == -(-(30_000 + 3 * 150) * 125 // 100)


def test_planner_compute_default_limit_is_capped() -> None:
    assert compute.default_compute_units(2, 1) == 403_000
    assert compute.default_compute_units(8, 0) == compute.MAX_COMPUTE_UNITS_PER_TX


@pytest.mark.parametrize(("cancelled", "placed"), [(-1, 0), (0, 25), (25, 0)])
def test_planner_compute_counts_out_of_range_raise(cancelled: int, placed: int) -> None:
    with pytest.raises(ConfigError, match=r"must be 0\.\.24"):
        compute.batch_compute_units(cancelled, placed)


def test_planner_compute_negative_margin_raises() -> None:
    with pytest.raises(ConfigError, match="compute_margin_pct"):
        compute.with_margin(1, -1)
