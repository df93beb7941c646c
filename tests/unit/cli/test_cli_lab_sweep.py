import _thread
import csv
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bmvbot.cli.lab_sweep import (
    MAX_COMBINATIONS,
    SweepParam,
    combinations,
    config_document,
    parse_param,
    sweep_settings,
    table_text,
)
from bmvbot.cli.main import main
from bmvbot.core.errors import ConfigError, InvalidConfigError

STEPS = "25"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BMVBOT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _sweep(*argv: str) -> int:
    return main(["lab", "sweep", "--steps", STEPS, "--no-progress", *argv])


def test_parse_param_splits_key_and_values() -> None:
    param = parse_param(" Grid.Step_Pct = 0.3, 0.5 ,0.8")

    assert param == SweepParam("grid", "step_pct", ("0.3", "0.5", "0.8"))
    assert param.dotted == "grid.step_pct"


@pytest.mark.parametrize(
    "text",
    ["grid.step_pct", "step_pct=1", "grid.=1", ".step_pct=1", "a.b.c=1", "grid.step_pct=1,,2"],
)
def test_parse_param_malformed_raises_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="--param"):
        parse_param(text)


def test_combinations_is_the_cartesian_product_first_param_slowest() -> None:
    params = [parse_param("grid.step_pct=0.3,0.5,0.8"), parse_param("guards.deviation_pct=1,2")]

    grid = combinations(params)

    assert len(grid) == 6
    assert grid[:3] == [
        {"grid.step_pct": "0.3", "guards.deviation_pct": "1"},
        {"grid.step_pct": "0.3", "guards.deviation_pct": "2"},
        {"grid.step_pct": "0.5", "guards.deviation_pct": "1"},
    ]
    assert len({tuple(values.items()) for values in grid}) == 6


def test_combinations_same_key_twice_raises_config_error() -> None:
    params = [parse_param("grid.step_pct=0.3"), parse_param("grid.step_pct=0.5")]

    with pytest.raises(ConfigError, match="given twice"):
        combinations(params)


def test_combinations_too_many_raises_config_error() -> None:
    values = ",".join(str(n) for n in range(1, 102))
    params = [parse_param(f"grid.levels_per_side={values}"), parse_param(f"grid.gamma={values}")]

    with pytest.raises(ConfigError, match=str(MAX_COMBINATIONS)):
        combinations(params)


def test_sweep_settings_applies_values_over_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "bmvbot.toml"
    config.write_text("[grid]\nstep_pct = 0.7\nlevels_per_side = 5\n")
    env = {"BMVBOT_GRID__GAMMA": "1.0", "BMVBOT_GRID__LEVELS_PER_SIDE": "6"}

    overrides = {"grid.step_pct": "0.4", "grid.levels_per_side": "3"}

    settings = sweep_settings(config_document(config, env), env, overrides)

    assert settings.grid.step_pct == 0.4
    assert settings.grid.levels_per_side == 3
    assert settings.grid.gamma == 1.0


def test_sweep_settings_alias_replaces_the_file_spelling(tmp_path: Path) -> None:
    config = tmp_path / "bmvbot.toml"
    config.write_text("[grid]\nfront_run_ticks = 1\n")

    document = config_document(config, {})

    settings = sweep_settings(document, {}, {"grid.front_run_tick_size_sol": "0.000002"})
    again = sweep_settings(document, {}, {})

    assert settings.to_params().grid.front_run_ticks == 2
    assert again.grid.front_run_ticks == 1  # the document is unchanged by a combination


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"grid.step_pcx": "0.3"}, "grid.step_pcx"),
        ({"gird.step_pct": "0.3"}, "gird"),
        ({"grid.step_pct": "-1"}, "grid.step_pct"),
        ({"grid.levels_per_side": "many"}, "grid.levels_per_side"),
    ],
)
def test_sweep_settings_bad_key_or_value_names_it(overrides: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidConfigError) as error:
        sweep_settings(config_document(None, {}), {}, overrides)

    assert named in str(error.value)


def test_lab_sweep_csv_has_one_row_per_combination(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "table.csv"

    code = _sweep(
        "--scenario", "flash_crash",
        "--param", "grid.levels_per_side=2,4,8",
        "--param", "guards.deviation_pct=1,2",
        "--out", str(table),
    )  # fmt: skip

    assert code == 0
    rows = list(csv.DictReader(table.read_text().splitlines()))
    assert len(rows) == 6
    assert [(r["grid.levels_per_side"], r["guards.deviation_pct"]) for r in rows] == [
        ("2", "1"), ("2", "2"), ("4", "1"), ("4", "2"), ("8", "1"), ("8", "2"),
    ]  # fmt: skip
    assert all(row["ticks"] == STEPS for row in rows)
    for row in rows:
        assert int(row["orders_resting"]) <= 2 * int(row["grid.levels_per_side"])
    assert "6 rows written" in capsys.readouterr().out


def test_lab_sweep_json_row_of_the_default_value_equals_lab_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "table.json"

    code = _sweep("--scenario", "pump", "--seed", "4", "--param", "grid.step_pct=0.5,0.9",
                  "--out", str(table))  # fmt: skip
    capsys.readouterr()
    run_code = main(["lab", "run", "--scenario", "pump", "--seed", "4", "--steps", STEPS,
                     "--json", "--ignore-env"])  # fmt: skip
    single = json.loads(capsys.readouterr().out)

    assert code == run_code == 0
    rows = json.loads(table.read_text())
    assert [row.pop("grid.step_pct") for row in rows] == ["0.5", "0.9"]
    # 0.5 is the shipped default: the sweep's row is that run (missing reasons count 0)
    assert {key: rows[0][key] for key in single["metrics"]} == single["metrics"]
    assert rows[0] != rows[1]


def test_lab_sweep_without_out_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = _sweep("--scenario", "quiet", "--param", "guards.cooldown_s=1,10")

    assert code == 0
    out = capsys.readouterr().out
    assert "guards.cooldown_s" in out
    assert "pnl_quote" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--param", "grid.step_pcx=0.3,0.5"], "did you mean grid.step_pct"),
        (["--param", "grid.step_pct=0.3,-2"], "grid.step_pct must be"),
        (["--param", "grid.step_pct"], "must look like section.key=v1,v2"),
        (["--param", "grid.step_pct=0.3", "--out", "table.xlsx"], "--out must end in .csv"),
    ],
)
def test_lab_sweep_bad_param_exits_2_before_running(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "table.csv"
    out = [] if "--out" in argv else ["--out", str(table)]

    code = _sweep("--scenario", "pump", *argv, *out)

    assert code == 2
    assert message in capsys.readouterr().err
    assert not table.exists()


def test_lab_sweep_without_param_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        _sweep("--scenario", "pump")

    assert stopped.value.code == 2
    assert "--param" in capsys.readouterr().err


def test_table_text_fills_missing_counts_with_zero() -> None:
    rows: list[dict[str, object]] = [
        {"grid.gamma": "1", "rebalances_initial": 1},
        {"grid.gamma": "2", "rebalances_initial": 1, "rebalances_deviation": 3},
    ]

    text = table_text(rows, ".csv")
    as_json = json.loads(table_text(rows, ".json"))

    assert text.splitlines() == [
        "grid.gamma,rebalances_initial,rebalances_deviation",
        "1,1,0",
        "2,1,3",
    ]
    assert as_json[0]["rebalances_deviation"] == 0


def test_lab_sweep_interrupted_writes_the_finished_rows_and_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "table.csv"
    values = ",".join(f"{0.30 + n / 1000:.3f}" for n in range(100))
    # a real Ctrl-C, sent once the first rows are done: the sweep's own log line for each
    # finished run tells the watcher, so the interrupt lands mid-sweep on any machine
    finished_runs = _RunCounter()
    logging.getLogger("bmvbot.cli.lab_sweep").addHandler(finished_runs)
    watcher = threading.Thread(target=finished_runs.interrupt_after, args=(2,), daemon=True)
    watcher.start()
    try:
        code = _sweep("--scenario", "random_walk", "--steps", "20", "--log-level", "INFO",
                      "--param", f"grid.step_pct={values}", "--out", str(table))  # fmt: skip
    finally:
        logging.getLogger("bmvbot.cli.lab_sweep").removeHandler(finished_runs)
        finished_runs.stop()

    assert code == 130
    rows = list(csv.DictReader(table.read_text().splitlines()))
    assert 2 <= len(rows) < 100
    assert [row["grid.step_pct"] for row in rows] == values.split(",")[: len(rows)]
    assert f"interrupted: {len(rows)} of 100 rows written" in capsys.readouterr().out


class _RunCounter(logging.Handler):
    # counts the sweep's "run finished" records; interrupts the main thread after n of them
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self._finished = threading.Semaphore(0)
        self._is_stopped = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "sweep run finished":
            self._finished.release()

    def interrupt_after(self, n: int) -> None:
        for _ in range(n):
            while not self._finished.acquire(timeout=0.1):
                if self._is_stopped.is_set():
                    return
        if not self._is_stopped.is_set():
            _thread.interrupt_main()

    def stop(self) -> None:
        self._is_stopped.set()
