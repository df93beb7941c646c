import json
import logging
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bmvbot.cli.lab_plot import plot_result
from bmvbot.cli.lab_run import MAX_STEPS, metrics, simulate
from bmvbot.cli.main import main
from bmvbot.core.errors import ConfigError
from bmvbot.services.simulation import SimulationResult
from bmvbot.settings import load_settings

STEPS = 40
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL_GRID = """
[grid]
levels_per_side = 3
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BMVBOT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # the command installs a stderr handler; capsys closes that stream after the test
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = main(["lab", "run", "--steps", str(STEPS), "--json", *argv])
    assert code == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def test_lab_run_json_flash_crash_reports_every_tick_and_no_self_trade(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = _run_json(capsys, "--scenario", "flash_crash", "--seed", "2")

    values = result["metrics"]
    assert (result["scenario"], result["seed"], result["steps"]) == ("flash_crash", 2, STEPS)
    assert values["ticks"] == STEPS
    assert values["duration_s"] == STEPS - 1
    assert values["self_trades"] == 0
    assert values["rebalances"] >= 1
    by_reason = sum(v for k, v in values.items() if k.startswith("rebalances_"))
    assert by_reason == values["rebalances"]
    assert values["pnl_quote"] == pytest.approx(values["pnl_quote_native"] / 10**9)


def test_lab_run_same_seed_twice_gives_identical_metrics(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = _run_json(capsys, "--scenario", "pump", "--seed", "5")
    second = _run_json(capsys, "--scenario", "pump", "--seed", "5")

    assert first["metrics"] == second["metrics"]


def test_lab_run_other_seed_gives_another_market(capsys: pytest.CaptureFixture[str]) -> None:
    first = _run_json(capsys, "--scenario", "random_walk", "--seed", "1", "--steps", "200")
    second = _run_json(capsys, "--scenario", "random_walk", "--seed", "2", "--steps", "200")

    assert first["metrics"] != second["metrics"]


def test_lab_run_plot_writes_a_png_chart(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    chart = tmp_path / "run.png"

    code = main(["lab", "run", "--scenario", "flash_crash", "--steps", "60", "--plot", str(chart)])

    assert code == 0
    assert _png_size(chart) == (1100, 800)
    assert chart.stat().st_size > 20_000
    out = capsys.readouterr().out
    assert f"chart written to {chart}" in out
    assert "ticks" in out


def test_lab_run_plot_not_png_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["lab", "run", "--scenario", "pump", "--plot", str(tmp_path / "run.svg")])

    assert code == 2
    assert "--plot must name a .png file" in capsys.readouterr().err
    assert not (tmp_path / "run.svg").exists()


def test_lab_run_plot_unwritable_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    chart = tmp_path / "missing" / "run.png"

    code = main(["lab", "run", "--scenario", "pump", "--steps", "5", "--plot", str(chart)])

    assert code == 2
    assert "cannot be written" in capsys.readouterr().err


def test_lab_run_config_file_sets_the_grid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "bmvbot.toml"
    config.write_text(SMALL_GRID)

    result = _run_json(capsys, "--scenario", "random_walk", "--config", str(config))

    values = result["metrics"]
    assert 0 < values["orders_resting"] <= 6


def test_lab_run_environment_override_is_applied_unless_ignored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BMVBOT_GRID__LEVELS_PER_SIDE", "2")

    with_env = _run_json(capsys, "--scenario", "random_walk", "--steps", "5")
    without_env = _run_json(capsys, "--scenario", "random_walk", "--steps", "5", "--ignore-env")

    assert with_env["metrics"]["orders_placed"] == 4
    assert without_env["metrics"]["orders_placed"] == 32


@pytest.mark.parametrize(
    "argv",
    [
        ["--scenario", "no_such_market"],
        ["--scenario", "pump", "--steps", "0"],
        ["--scenario", "pump", "--steps", "many"],
        ["--steps", "10"],
    ],
)
def test_lab_run_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["lab", "run", *argv])

    assert stopped.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_lab_run_bad_tick_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lab", "run", "--scenario", "pump", "--tick-s", "0"])

    assert code == 2
    assert "tick_s must be > 0" in capsys.readouterr().err


@pytest.mark.parametrize(("steps", "tick_s"), [(0, 1.0), (MAX_STEPS + 1, 1.0), (5, -1.0)])
def test_simulate_out_of_range_raises_config_error(steps: int, tick_s: float) -> None:
    settings = load_settings(None, env={})

    with pytest.raises(ConfigError):
        simulate(settings, scenario="pump", steps=steps, tick_s=tick_s)


def test_simulate_tick_interval_sets_simulated_duration() -> None:
    settings = load_settings(None, env={})

    result = simulate(settings, scenario="quiet", steps=4, tick_s=2.5)

    assert result.summary.ticks == 4
    assert result.summary.duration_ns == 3 * 2_500_000_000
    assert [point.ts_ns - result.points[0].ts_ns for point in result.points] == [
        0,
        2_500_000_000,
        5_000_000_000,
        7_500_000_000,
    ]


def test_metrics_flattens_reasons_and_converts_units() -> None:
    settings = load_settings(None, env={})
    result = simulate(settings, scenario="flash_crash", steps=30, seed=1)

    values = metrics(result.summary, settings.market.to_spec())

    assert not any(isinstance(value, dict) for value in values.values())
    assert values["rebalances_initial"] == 1
    assert values["guard_initial"] == 1
    assert values["position_base"] == pytest.approx(result.summary.position_base_lots / 1000)
    assert values["one_sided_s"] == result.summary.one_sided_ns / 10**9


def test_plot_result_without_points_raises_config_error(tmp_path: Path) -> None:
    settings = load_settings(None, env={})
    result = simulate(settings, scenario="quiet", steps=2, max_points=0)
    empty = SimulationResult((), result.summary, result.state)

    with pytest.raises(ConfigError, match="no sample"):
        plot_result(empty, settings.market.to_spec(), tmp_path / "x.png", title="t")


def test_simulate_base_price_moves_the_market_there() -> None:
    settings = load_settings(None, env={})
    market = settings.market.to_spec()

    result = simulate(settings, scenario="random_walk", steps=20, base_price=3.5, volatility=0.0)

    prices = [market.price_to_ui(p.market_price_lots) for p in result.points if p.market_price_lots]
    assert prices
    assert all(abs(price / 3.5 - 1) < 0.02 for price in prices)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--base-price", "0", "base_price must be > 0"),
        ("--base-price", "inf", "base_price must be > 0"),
        ("--volatility", "-0.1", "volatility must be >= 0"),
        ("--volatility", "nan", "volatility must be >= 0"),
    ],
)
def test_lab_run_bad_market_shape_exits_2(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["lab", "run", "--scenario", "pump", "--steps", "5", option, value])

    assert code == 2
    assert message in capsys.readouterr().err
