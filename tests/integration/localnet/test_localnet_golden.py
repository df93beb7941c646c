"""The emulator-backed localnet replays every golden trace as signed transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.localnet.localnet_golden_replay import (
    LocalnetReplay,
    load_trace,
    trace_files,
)

TRACES = trace_files()


@pytest.mark.parametrize("path", TRACES, ids=[p.name.split(".")[0] for p in TRACES])
def test_localnet_golden_trace_replays_recorded_state(path: Path) -> None:
    replay = LocalnetReplay(load_trace(path))

    mismatches = replay.run()

    assert mismatches == []
    assert replay.compared > 0


@pytest.mark.parametrize("path", TRACES, ids=[p.name.split(".")[0] for p in TRACES])
def test_localnet_golden_trace_writes_program_bytes(path: Path) -> None:
    replay = LocalnetReplay(load_trace(path))

    replay.run()

    assert replay.byte_identical == replay.compared


def test_localnet_golden_traces_are_present() -> None:
    assert len(TRACES) == 23
