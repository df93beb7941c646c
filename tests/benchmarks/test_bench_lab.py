"""Speed of ``bmvbot lab run``: 50 and 1,000 steps of ``flash_crash``, in process and as a process.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_lab.py --benchmark-enable``.

- in process: ``main(["lab", "run", ...])`` as the console script calls it (settings load,
  session composition, the real ``TradingService`` on the simulated venue, one tick per
  simulated second, the metrics line); the steps per second are in
  ``extra_info["steps_per_s"]``.
- as a process: the ``bmvbot`` console script in a fresh interpreter, what a user waits for
  (interpreter and import start-up included).

Both run the default config with the environment ignored and print ``--json``.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.cli.main import main

BMVBOT = str(Path(sys.executable).with_name("bmvbot"))
SCENARIO = "flash_crash"


def _argv(steps: int) -> list[str]:
    return ["lab", "run", "--scenario", SCENARIO, "--steps", str(steps), "--seed", "1",
            "--json", "--ignore-env", "--log-level", "ERROR"]  # fmt: skip


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("steps", [50, 1000])
def test_bench_lab_run_in_process(
    benchmark: BenchmarkFixture, capsys: pytest.CaptureFixture[str], steps: int
) -> None:
    code = benchmark.pedantic(  # type: ignore[no-untyped-call]  # pytest-benchmark is untyped
        main, args=(_argv(steps),), rounds=3, iterations=1, warmup_rounds=1
    )

    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    ticks = {json.loads(line)["metrics"]["ticks"] for line in lines}
    assert ticks == {steps}
    if benchmark.stats is not None:
        benchmark.extra_info["steps_per_s"] = round(steps / benchmark.stats.stats.mean, 1)


def _process(steps: int) -> str:
    done = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [BMVBOT, *_argv(steps)], capture_output=True, text=True, timeout=300, check=True
    )
    return done.stdout


@pytest.mark.parametrize("steps", [50, 1000])
def test_bench_lab_run_as_a_process(benchmark: BenchmarkFixture, steps: int) -> None:
    out = benchmark.pedantic(  # type: ignore[no-untyped-call]  # pytest-benchmark is untyped
        _process, args=(steps,), rounds=2, iterations=1
    )

    assert json.loads(out)["metrics"]["ticks"] == steps
