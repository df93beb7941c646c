"""Cost of loading a configuration: TOML parse, every section, rules, conversions, core params.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_settings.py --benchmark-enable``.
Hot reload pays this once per reload; nothing on the trading path does.
"""

from __future__ import annotations

from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.settings import Settings, load_settings

FULL = Path(__file__).resolve().parents[1] / "data" / "config_full.toml"


def test_bench_load_settings_full_file(benchmark: BenchmarkFixture) -> None:
    settings = benchmark(load_settings, FULL, env={})

    assert isinstance(settings, Settings)


def test_bench_settings_to_params(benchmark: BenchmarkFixture) -> None:
    settings = load_settings(FULL, env={})

    params = benchmark(settings.to_params)

    assert params.grid.levels_per_side == settings.grid.levels_per_side
