"""Every golden OpenBook V2 trace replays through the pure exchange model, step by step.

What is compared after every transaction and what is skipped (with the reasons) is listed in
``exchange_golden_replay``'s docstring.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.golden.exchange_golden_replay import GOLDEN_DIR, GoldenReplay, load_trace, trace_files

TRACES = trace_files()


def test_golden_traces_all_present() -> None:
    assert GOLDEN_DIR.is_dir(), f"golden traces expected in {GOLDEN_DIR}"
    assert len(TRACES) == 23


@pytest.mark.parametrize("path", TRACES, ids=[p.name.split(".")[0] for p in TRACES])
def test_exchange_golden_trace_replays_every_step(path: Path) -> None:
    replay = GoldenReplay(load_trace(path))

    mismatches = replay.run()

    assert mismatches == [], "\n".join(mismatches[:20])
