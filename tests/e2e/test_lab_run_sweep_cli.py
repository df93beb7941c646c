"""``bmvbot lab run`` and ``bmvbot lab sweep`` as a user runs them: the console script."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

BMVBOT = str(Path(sys.executable).with_name("bmvbot"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _bmvbot(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BMVBOT_")}
    return subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [BMVBOT, *args], capture_output=True, text=True, timeout=300, check=False, env=env
    )


def test_lab_run_cli_flash_crash_500_steps_prints_metrics_and_writes_the_chart(
    tmp_path: Path,
) -> None:
    chart = tmp_path / "out.png"

    done = _bmvbot("lab", "run", "--scenario", "flash_crash", "--steps", "500", "--seed", "3",
                   "--plot", str(chart), "--json")  # fmt: skip

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["metrics"]["ticks"] == 500
    assert result["metrics"]["self_trades"] == 0
    # the crash moves the market: the swarm's bids fill on the way down
    assert result["metrics"]["bid_fills"] > 0
    assert chart.read_bytes()[:8] == PNG_MAGIC


def test_lab_sweep_cli_writes_one_row_per_combination_and_shows_progress(
    tmp_path: Path,
) -> None:
    table = tmp_path / "table.csv"

    done = _bmvbot("lab", "sweep", "--scenario", "pump", "--steps", "30",
                   "--param", "grid.step_pct=0.3,0.5,0.8", "--param", "guards.deviation_pct=1,2",
                   "--out", str(table))  # fmt: skip

    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(table.read_text().splitlines()))
    assert len(rows) == 6
    assert {(r["grid.step_pct"], r["guards.deviation_pct"]) for r in rows} == {
        (step, deviation) for step in ("0.3", "0.5", "0.8") for deviation in ("1", "2")
    }
    assert "6/6" in done.stderr
    assert done.stdout.strip() == f"6 rows written to {table}"


def test_lab_sweep_cli_unknown_key_exits_2_with_the_config_error(tmp_path: Path) -> None:
    table = tmp_path / "table.csv"

    done = _bmvbot("lab", "sweep", "--scenario", "pump", "--param", "guards.deviaton_pct=1,2",
                   "--out", str(table))  # fmt: skip

    assert done.returncode == 2
    assert "guards.deviaton_pct is not a known key" in done.stderr
    assert "Traceback" not in done.stderr
    assert not table.exists()
