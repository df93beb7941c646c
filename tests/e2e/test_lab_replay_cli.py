"""``bmvbot lab replay`` as a user runs it: the console script on a small generated tape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tape_generator import generate_tape

from bmvbot.services.replay import SUMMARY_FIELDS

BMVBOT = str(Path(sys.executable).with_name("bmvbot"))
FIELDS = [
    "events",
    "wall_s",
    "events_per_s",
    "fills",
    "filled_qty",
    "buy_qty",
    "sell_qty",
    "inventory",
    "cash",
    "fees",
    "pnl",
    "rebalances",
    "orders_submitted",
    "post_only_rejects",
    "open_orders_end",
    "peak_rss_mb",
]
TIMING = {"wall_s", "events_per_s", "peak_rss_mb"}
CONFIG = """
[market]
maker_fee_ppm = -50
taker_fee_ppm = 300
[grid]
levels_per_side = 4
step_ticks = 3
gamma = 1.0
size_multiplier = 1.0
bid_depth = 40.0
ask_depth = 40.0
[guards]
deviation_pct = 0.2
proximity_pct = 0.01
cooldown_s = 1.0
"""


def _replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [BMVBOT, "lab", "replay", "--ignore-env", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_tape(tmp_path_factory.mktemp("tape") / "tape.csv", 8_000, seed=5, depth=15)


def test_lab_replay_cli_json_line_and_identical_rerun(tape: Path, tmp_path: Path) -> None:
    config = tmp_path / "bmvbot.toml"
    config.write_text(CONFIG)
    args = ("--tape", str(tape), "--tick", "0.0001", "--lot", "0.01", "--config", str(config))

    first = _replay(*args)
    second = _replay(*args)

    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert list(result) == FIELDS
    assert tuple(FIELDS) == SUMMARY_FIELDS
    assert result["events"] == 8_000
    assert result["fills"] > 0
    assert result["rebalances"] > 0
    assert result["wall_s"] > 0
    assert result["peak_rss_mb"] > 0
    rerun = json.loads(second.stdout)
    assert {k: v for k, v in rerun.items() if k not in TIMING} == {
        k: v for k, v in result.items() if k not in TIMING
    }


def test_lab_replay_cli_latency_and_limited_balances_run(tape: Path) -> None:
    base = ("--tape", str(tape), "--tick", "0.0001", "--lot", "0.01")

    late = _replay(*base, "--latency-events", "3", "--no-unlimited-balances")
    nanos = _replay(*base, "--latency-ns", "1000000", "--base-balance", "5", "--quote-balance", "5")

    assert late.returncode == 0, late.stderr
    assert nanos.returncode == 0, nanos.stderr
    assert json.loads(late.stdout)["events"] == 8_000


def test_lab_replay_cli_malformed_tape_exit_2_names_line(tmp_path: Path) -> None:
    tape = tmp_path / "bad.csv"
    tape.write_text("ts_ns,kind,side,price,qty\n1,book,bid,0.9999,1\n2,book,bid,0.99995,1\n")

    run = _replay("--tape", str(tape), "--tick", "0.0001", "--lot", "0.01")

    assert run.returncode == 2
    assert "line 3" in run.stderr
    assert "multiple of 0.0001" in run.stderr
    assert run.stdout == ""


def test_lab_replay_cli_both_latencies_usage_error(tape: Path) -> None:
    run = _replay(
        "--tape",
        str(tape),
        "--tick",
        "0.0001",
        "--lot",
        "0.01",
        "--latency-events",
        "1",
        "--latency-ns",
        "5",
    )

    assert run.returncode == 2
    assert "not allowed with" in run.stderr
