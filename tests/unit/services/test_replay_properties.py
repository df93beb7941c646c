"""Tape replay over random tapes: the jumps never change a counter; reruns are identical."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.tape_generator import generate_tape

from bmvbot.adapters.tape.source import CsvTapeSource
from bmvbot.cli.lab import tape_params
from bmvbot.core.config import StrategyParams
from bmvbot.ports.tape import DecimalStep, ReplayLatency
from bmvbot.services.replay import ReplayOptions, TapeReplayService
from bmvbot.settings import load_settings

TICK = DecimalStep.parse("0.0001", "tick")
LOT = DecimalStep.parse("0.01", "lot")


def _params(
    step_ticks: int, proximity_pct: float, cooldown_s: float, entropy_s: float
) -> StrategyParams:
    text = (
        "[market]\nmaker_fee_ppm = -20\ntaker_fee_ppm = 200\n"
        f"[grid]\nlevels_per_side = 3\nstep_ticks = {step_ticks}\ngamma = 1.0\n"
        "bid_depth = 30.0\nask_depth = 30.0\n"
        f"[guards]\ndeviation_pct = 0.15\nproximity_pct = {proximity_pct}\n"
        f"cooldown_s = {cooldown_s}\nentropy_interval_s = {entropy_s}\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bmvbot.toml"
        path.write_text(text)
        return tape_params(load_settings(path, env={}), TICK, LOT)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    step_ticks=st.integers(2, 6),
    proximity_pct=st.sampled_from([0.005, 0.01, 0.02]),
    cooldown_s=st.sampled_from([0.0, 0.5, 2.0]),
    entropy_s=st.sampled_from([5.0, 30.0, 600.0]),
    latency=st.sampled_from(
        [ReplayLatency(), ReplayLatency(events=2), ReplayLatency(ns=40_000_000)]
    ),
    is_unlimited=st.booleans(),
)
def test_replay_random_tape_jumps_equal_every_event(
    seed: int,
    step_ticks: int,
    proximity_pct: float,
    cooldown_s: float,
    entropy_s: float,
    latency: ReplayLatency,
    is_unlimited: bool,
) -> None:
    params = _params(step_ticks, proximity_pct, cooldown_s, entropy_s)
    with tempfile.TemporaryDirectory() as folder:
        path = generate_tape(Path(folder) / "t.csv", 2_500, seed=seed, depth=8, trade_share=0.2)
        source = CsvTapeSource.load(path, TICK, LOT)
    options = ReplayOptions(is_unlimited_balances=is_unlimited)
    reference = ReplayOptions(is_unlimited_balances=is_unlimited, is_every_event=True)

    jumped = TapeReplayService(source.open_market(latency), params, options).run()
    again = TapeReplayService(source.open_market(latency), params, options).run()
    every = TapeReplayService(source.open_market(latency), params, reference).run()

    assert jumped == again
    assert jumped == every
