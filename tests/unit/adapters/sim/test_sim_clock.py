import time

import pytest

from bmvbot.adapters.sim.clock import SIM_EPOCH_NS, SimClock
from bmvbot.adapters.system import SystemClock
from bmvbot.core.errors import InvariantError
from bmvbot.ports.clock import Clock


def test_sim_clock_default_starts_at_the_fixed_epoch() -> None:
    clock = SimClock()

    assert clock.now_ns() == SIM_EPOCH_NS == 1_767_225_600_000_000_000


def test_sim_clock_advance_moves_forward_and_returns_the_new_time() -> None:
    clock = SimClock(start_ns=1_000)

    result = clock.advance(500)

    assert result == clock.now_ns() == 1_500


def test_sim_clock_set_jumps_to_an_absolute_time() -> None:
    clock = SimClock(start_ns=1_000)

    clock.set(5_000)

    assert clock.now_ns() == 5_000


def test_sim_clock_advance_backwards_raises_invariant_error() -> None:
    clock = SimClock(start_ns=1_000)

    with pytest.raises(InvariantError, match="ns >= 0, was -1"):
        clock.advance(-1)

    assert clock.now_ns() == 1_000


def test_sim_clock_set_backwards_raises_invariant_error() -> None:
    clock = SimClock(start_ns=1_000)

    with pytest.raises(InvariantError, match="cannot go backwards"):
        clock.set(999)

    assert clock.now_ns() == 1_000


def test_sim_clock_negative_start_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match="start_ns"):
        SimClock(start_ns=-1)


def test_system_clock_reads_the_wall_clock_in_ns() -> None:
    clock: Clock = SystemClock()

    before = time.time_ns()
    now = clock.now_ns()
    after = time.time_ns()

    assert before <= now <= after


def test_clocks_subclass_the_clock_protocol() -> None:
    assert Clock in SimClock.__mro__
    assert Clock in SystemClock.__mro__
