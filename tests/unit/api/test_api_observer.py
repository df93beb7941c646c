"""The venue tap forwards every call unchanged and keeps what the API shows; percentiles."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmvbot import bootstrap
from bmvbot.api.observer import RECENT_EVENTS, observe, percentile
from bmvbot.api.routes.metrics import Exposition
from bmvbot.services.simulation import run_simulation
from bmvbot.settings import load_settings


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=200), st.floats(0.01, 1.0))
def test_percentile_nearest_rank_is_a_sample_with_enough_below(
    samples: list[float], fraction: float
) -> None:
    value = percentile(samples, fraction)

    assert value in samples
    assert sum(1 for s in samples if s <= value) >= math.ceil(fraction * len(samples))
    assert sum(1 for s in samples if s < value) < max(1, math.ceil(fraction * len(samples)))


def test_percentile_empty_is_none() -> None:
    assert percentile([], 0.5) is None


@pytest.mark.asyncio
async def test_venue_tap_run_equals_untapped_run_and_records_events() -> None:
    params = load_settings(None, env={}).to_params()
    plain = bootstrap.simulated_session(params, scenario="pump", seed=5)
    tapped, tap = observe(bootstrap.simulated_session(params, scenario="pump", seed=5),
                          tip_lamports=10_000)  # fmt: skip

    runs = [
        await run_simulation(s.service, s.clock, s.pacer, duration_ns=120 * 10**9)
        for s in (plain, tapped)
    ]

    assert runs[0].summary == runs[1].summary
    assert tap.book is not None
    assert len(tap.fills) == min(RECENT_EVENTS, runs[1].summary.fills)
    bundles = sum(len(e.report.bundle_ids) for e in tap.rebalances if e.report is not None)
    assert bundles == runs[1].state.execution.bundles_sent > 0
    seqs = [e.seq for e in tap.fills] + [e.seq for e in tap.rebalances]
    assert len(set(seqs)) == len(seqs)
    assert tap.latency_percentiles()["snapshot"][2] == runs[1].summary.ticks + len(tap.rebalances)


def test_exposition_escapes_label_values() -> None:
    out = Exposition()

    out.add("x_total", "counter", "help", [({"reason": 'a"b\\c\nd'}, 1), ({}, None)])

    lines = out.text().splitlines()
    assert lines == ["# HELP bmvbot_x_total help", "# TYPE bmvbot_x_total counter",
                     'bmvbot_x_total{reason="ab\\\\cd"} 1']  # fmt: skip
