"""Tape replay throughput: events per second on a 1-million-row synthetic tape.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_replay.py --benchmark-enable``.
The tape is written once per session by the seeded generator (``tests/tape_generator.py``,
tick 0.0001, lot 0.01) in a temporary directory and parsed once; one round is what ``wall_s``
of ``bmvbot lab replay`` times: index the tape's book, then replay it through the strategy
(the shipped default configuration on the tape's instrument). ``extra_info`` holds the event
count and the counters; events/s = events / mean. Target: >= 1M events/s.

``BMVBOT_BENCH_LARGE=1`` adds a 5-million-row tape (written, loaded and replayed once) and
records the process's peak RSS, to show a large tape stays within memory.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from tests.tape_generator import generate_tape

from bmvbot.adapters.tape.source import CsvTapeSource
from bmvbot.cli.lab import tape_params
from bmvbot.core.config import StrategyParams
from bmvbot.ports.tape import DecimalStep, ReplayLatency
from bmvbot.services.replay import ReplayResult, TapeReplayService
from bmvbot.settings import load_settings

ROWS = 1_000_000
LARGE_ROWS = 5_000_000
TICK = DecimalStep.parse("0.0001", "tick")
LOT = DecimalStep.parse("0.01", "lot")


@pytest.fixture(scope="module")
def params() -> StrategyParams:
    return tape_params(load_settings(None, env={}), TICK, LOT)


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> CsvTapeSource:
    path = generate_tape(tmp_path_factory.mktemp("tape") / "million.csv", ROWS, seed=7)
    return CsvTapeSource.load(path, TICK, LOT)


def _replay(source: CsvTapeSource, params: StrategyParams) -> ReplayResult:
    return TapeReplayService(source.open_market(ReplayLatency()), params).run()


def test_bench_replay_million_row_tape(
    benchmark: BenchmarkFixture, million: CsvTapeSource, params: StrategyParams
) -> None:
    result = benchmark.pedantic(  # type: ignore[no-untyped-call]  # pytest-benchmark is untyped
        _replay, args=(million, params), rounds=3, iterations=1
    )

    benchmark.extra_info["events"] = result.events
    benchmark.extra_info["rebalances"] = result.rebalances
    benchmark.extra_info["orders_submitted"] = result.orders_submitted
    assert result.events == ROWS
    assert result.rebalances > 0


@pytest.mark.skipif(
    os.environ.get("BMVBOT_BENCH_LARGE") != "1", reason="set BMVBOT_BENCH_LARGE=1 (5M rows)"
)
def test_bench_replay_five_million_rows_within_memory(
    benchmark: BenchmarkFixture, tmp_path: Path, params: StrategyParams
) -> None:
    path = generate_tape(tmp_path / "large.csv", LARGE_ROWS, seed=9)
    source = CsvTapeSource.load(path, TICK, LOT)

    result = benchmark.pedantic(  # type: ignore[no-untyped-call]  # pytest-benchmark is untyped
        _replay, args=(source, params), rounds=1, iterations=1
    )

    # ru_maxrss is in KiB on Linux
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    benchmark.extra_info["events"] = result.events
    benchmark.extra_info["peak_rss_mb"] = round(peak_rss_mb, 1)
    assert result.events == LARGE_ROWS
    assert peak_rss_mb < 4096
