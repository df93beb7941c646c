"""``bmvbot run`` in process: summary, views, errors; and the terminal rendering."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from rich.console import Console
from tests.factories import lp_scenario, trading

from bmvbot.cli.main import EXIT_CONFIG, main
from bmvbot.cli.terminal import LiveView, LogLineView, render, state_line
from bmvbot.core.types import NS_PER_S
from bmvbot.services.simulation import SteppedPacer, run_simulation
from bmvbot.services.state import TradingState

FAST = ["run", "--speed", "1000000", "--no-db", "--scenario", "low_liquidity", "--seed", "1"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_run_command_prints_summary_and_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*FAST, "--duration", "120", "--view", "none", "--summary-json"])

    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert out[-2].startswith("summary: simulated 120 s")
    summary = json.loads(out[-1])["summary"]
    assert summary["duration_ns"] == 120 * NS_PER_S
    assert summary["orders_resting"] == 0
    assert summary["rebalances_by_reason"]["initial"] == 1
    assert summary["self_trades"] == 0


def test_run_command_without_terminal_writes_key_value_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([*FAST, "--duration", "10", "--view", "lines"])

    out = capsys.readouterr().out
    assert code == 0
    assert "mid=" in out
    assert "pivot=" in out
    assert "bundles_sent=" in out


def test_run_command_unknown_scenario_exits_with_config_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([*FAST[:-4], "--scenario", "nope", "--duration", "1", "--view", "none"])

    assert code == EXIT_CONFIG
    assert "scenario must be one of" in capsys.readouterr().err


def test_run_command_negative_duration_exits_with_config_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([*FAST, "--duration", "-5", "--view", "none"])

    assert code == EXIT_CONFIG
    assert "--duration" in capsys.readouterr().err


@pytest.mark.asyncio
async def test_terminal_views_render_grid_wallets_and_counters() -> None:
    setup = trading(lp_scenario())
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=True)
    live = LiveView(setup.params.market, console, refresh_per_second=1000.0)
    lines = io.StringIO()
    log_view = LogLineView(setup.params.market, lines, interval_s=0.0)
    live.start()
    log_view.start()

    def on_tick(state: TradingState) -> None:
        live.on_tick(state)
        log_view.on_tick(state)

    await run_simulation(
        setup.service,
        setup.clock,
        SteppedPacer(setup.clock, NS_PER_S),
        duration_ns=3 * NS_PER_S,
        on_tick=on_tick,
    )
    live.stop()
    log_view.stop()
    state = setup.service.state
    plain = Console(file=io.StringIO(), width=160)
    plain.print(render(state, setup.params.market))
    text = plain.file.getvalue()  # type: ignore[attr-defined]  # a StringIO, set above

    assert "grid" in text
    assert "inventory per wallet" in text
    assert "sim-wallet-00" in text
    assert "rebalances 1: initial=1" in text
    assert buffer.getvalue()
    assert len(lines.getvalue().splitlines()) == 4
    assert state_line(state, setup.params.market).startswith("ts=2026-01-01T00:00:03")
