import dataclasses

import pytest

from bmvbot.core.config import GuardParams
from bmvbot.core.errors import InvariantError
from bmvbot.core.guards import (
    GuardObservation,
    HoldReason,
    RebalanceDecision,
    RebalanceReason,
    check_deviation,
    check_entropy,
    check_proximity,
    decide_rebalance,
    fired_guard,
    is_material_change,
)
from bmvbot.core.types import NS_PER_S, BaseLots, Grid, Level, PriceLots, Side

NOW_NS = 10_000 * NS_PER_S
# deviation off and proximity/entropy far away unless a test turns them on
QUIET = GuardParams(
    is_deviation_enabled=False, is_proximity_enabled=False, is_entropy_enabled=False
)


def level(side: Side, price: int, size: int = 100) -> Level:
    return Level(side, PriceLots(price), BaseLots(size))


RESTING = Grid(
    (level(Side.BID, 950), level(Side.BID, 900)), (level(Side.ASK, 1050), level(Side.ASK, 1100))
)
MOVED = Grid(
    (level(Side.BID, 990), level(Side.BID, 940)), (level(Side.ASK, 1090), level(Side.ASK, 1140))
)


def observe(
    market: float | None = 1000.0,
    pivot: float | None = 1000.0,
    last_ns: int | None = NOW_NS - 60 * NS_PER_S,
    resting: Grid = RESTING,
    target: Grid = MOVED,
) -> GuardObservation:
    return GuardObservation(NOW_NS, market, pivot, last_ns, resting, target)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0, -5.0])
@pytest.mark.parametrize("field", ["market", "pivot"])
def test_guard_observation_bad_price_raises_invariant_error(bad: float, field: str) -> None:
    with pytest.raises(InvariantError, match="must be a finite price > 0 or None"):
        observe(**{field: bad})  # type: ignore[arg-type]  # field names a float parameter


@pytest.mark.parametrize(
    ("should", "reason", "held_by"),
    [
        (True, RebalanceReason.NONE, None),
        (False, RebalanceReason.DEVIATION, None),
        (True, RebalanceReason.DEVIATION, HoldReason.COOLDOWN),
        (False, RebalanceReason.NONE, HoldReason.COOLDOWN),
    ],
)
def test_rebalance_decision_inconsistent_fields_raise_invariant_error(
    should: bool, reason: RebalanceReason, held_by: HoldReason | None
) -> None:
    with pytest.raises(InvariantError, match="inconsistent decision"):
        RebalanceDecision(should, reason, "x", held_by)


def test_check_deviation_beyond_threshold_fires_with_figures() -> None:
    detail = check_deviation(observe(market=1021.0), GuardParams())

    assert detail == "market 1021.00 ticks is 2.10% from last pivot 1000.00 (threshold 2.00%)"


def test_check_deviation_at_threshold_is_silent() -> None:
    assert check_deviation(observe(market=980.0), GuardParams()) is None


@pytest.mark.parametrize(
    ("market", "pivot", "enabled"),
    [(None, 1000.0, True), (2000.0, None, True), (2000.0, 1000.0, False)],
)
def test_check_deviation_unknown_price_or_disabled_is_silent(
    market: float | None, pivot: float | None, enabled: bool
) -> None:
    params = GuardParams(is_deviation_enabled=enabled)

    assert check_deviation(observe(market=market, pivot=pivot), params) is None


def test_check_proximity_near_bid_fires() -> None:
    detail = check_proximity(observe(market=975.0), GuardParams(proximity_fraction=0.03))

    assert (
        detail == "market 975.00 ticks is within 3.00% of the resting bid at 950 ticks (2.63% away)"
    )


def test_check_proximity_near_ask_fires() -> None:
    detail = check_proximity(observe(market=1030.0), GuardParams(proximity_fraction=0.03))

    assert detail is not None
    assert "resting ask at 1050 ticks" in detail


def test_check_proximity_through_a_level_fires() -> None:
    detail = check_proximity(observe(market=1200.0), GuardParams(proximity_fraction=0.01))

    assert detail is not None
    assert "resting ask at 1050" in detail


def test_check_proximity_between_bands_is_silent() -> None:
    assert check_proximity(observe(market=1000.0), GuardParams(proximity_fraction=0.03)) is None


def test_check_proximity_unsorted_resting_grid_uses_nearest_levels() -> None:
    resting = Grid((level(Side.BID, 900), level(Side.BID, 950)), (level(Side.ASK, 1100),))

    detail = check_proximity(
        observe(market=960.0, resting=resting), GuardParams(proximity_fraction=0.03)
    )

    assert detail is not None
    assert "bid at 950" in detail


@pytest.mark.parametrize(
    ("market", "enabled", "resting"),
    [(None, True, RESTING), (975.0, False, RESTING), (975.0, True, Grid())],
)
def test_check_proximity_unknown_market_disabled_or_nothing_resting_is_silent(
    market: float | None, enabled: bool, resting: Grid
) -> None:
    params = GuardParams(is_proximity_enabled=enabled)

    assert check_proximity(observe(market=market, resting=resting), params) is None


def test_check_entropy_after_interval_fires() -> None:
    detail = check_entropy(observe(last_ns=NOW_NS - 3600 * NS_PER_S), GuardParams())

    assert detail == "last rebalance 3600 s ago (interval 3600 s)"


def test_check_entropy_before_interval_or_clock_backwards_is_silent() -> None:
    assert check_entropy(observe(last_ns=NOW_NS - 3599 * NS_PER_S), GuardParams()) is None
    assert check_entropy(observe(last_ns=NOW_NS + NS_PER_S), GuardParams()) is None


def test_check_entropy_no_recorded_rebalance_fires() -> None:
    assert check_entropy(observe(last_ns=None), GuardParams()) == (
        "no rebalance recorded for the resting grid"
    )


def test_check_entropy_disabled_is_silent() -> None:
    assert check_entropy(observe(last_ns=None), GuardParams(is_entropy_enabled=False)) is None


def test_fired_guard_priority_is_initial_deviation_proximity_entropy() -> None:
    everything = observe(market=960.0, pivot=1000.0, last_ns=0)

    wide = GuardParams(proximity_fraction=0.03)
    assert fired_guard(observe(resting=Grid()), wide)[0] is RebalanceReason.INITIAL
    assert fired_guard(everything, wide)[0] is RebalanceReason.DEVIATION
    no_deviation = dataclasses.replace(wide, is_deviation_enabled=False)
    assert fired_guard(everything, no_deviation)[0] is RebalanceReason.PROXIMITY
    only_entropy = dataclasses.replace(QUIET, is_entropy_enabled=True)
    assert fired_guard(everything, only_entropy)[0] is RebalanceReason.ENTROPY
    assert fired_guard(everything, QUIET) == (RebalanceReason.NONE, "no guard fired")


def test_is_material_change_identical_grids_is_false() -> None:
    assert not is_material_change(RESTING, RESTING, GuardParams())
    assert not is_material_change(Grid(), Grid(), GuardParams())


def test_is_material_change_within_tolerances_is_false() -> None:
    params = GuardParams(tolerance_price_lots=2, tolerance_size_fraction=0.1)
    target = Grid(
        (level(Side.BID, 952, 110), level(Side.BID, 898, 91)),
        (level(Side.ASK, 1051), level(Side.ASK, 1100)),
    )

    assert not is_material_change(RESTING, target, params)


@pytest.mark.parametrize(
    "target",
    [
        Grid((level(Side.BID, 953), level(Side.BID, 900)), RESTING.asks),
        Grid(RESTING.bids, (level(Side.ASK, 1050, 112), level(Side.ASK, 1100))),
        Grid(RESTING.bids[:1], RESTING.asks),
        Grid(RESTING.bids, RESTING.asks[:1]),
    ],
)
def test_is_material_change_beyond_tolerance_or_other_count_is_true(target: Grid) -> None:
    params = GuardParams(tolerance_price_lots=2, tolerance_size_fraction=0.1)

    assert is_material_change(RESTING, target, params)


def test_decide_rebalance_nothing_fired_holds_without_reason() -> None:
    decision = decide_rebalance(observe(), QUIET)

    assert decision == RebalanceDecision(False, RebalanceReason.NONE, "no guard fired")


def test_decide_rebalance_deviation_after_cooldown_rebalances() -> None:
    decision = decide_rebalance(observe(market=1030.0), GuardParams(proximity_fraction=0.01))

    assert decision.should_rebalance
    assert decision.reason is RebalanceReason.DEVIATION
    assert decision.held_by is None


def test_decide_rebalance_within_cooldown_is_held() -> None:
    observation = observe(market=1030.0, last_ns=NOW_NS - 2 * NS_PER_S)

    decision = decide_rebalance(observation, GuardParams())

    assert not decision.should_rebalance
    assert decision.reason is RebalanceReason.DEVIATION
    assert decision.held_by is HoldReason.COOLDOWN
    assert decision.detail.endswith("; cool-down for 3.000 s more")


def test_decide_rebalance_initial_is_not_held_by_cooldown() -> None:
    observation = observe(resting=Grid(), last_ns=NOW_NS - 1)

    decision = decide_rebalance(observation, GuardParams())

    assert decision == RebalanceDecision(True, RebalanceReason.INITIAL, "no resting orders")


def test_decide_rebalance_initial_with_empty_target_sends_nothing() -> None:
    decision = decide_rebalance(observe(resting=Grid(), target=Grid()), GuardParams())

    assert not decision.should_rebalance
    assert decision.held_by is HoldReason.NO_MATERIAL_CHANGE


def test_decide_rebalance_unchanged_target_is_held() -> None:
    decision = decide_rebalance(observe(market=1030.0, target=RESTING), GuardParams())

    assert decision.reason is RebalanceReason.DEVIATION
    assert decision.held_by is HoldReason.NO_MATERIAL_CHANGE
    assert "target equals the resting grid within tolerance" in decision.detail


def test_decide_rebalance_entropy_refreshes_even_an_unchanged_grid() -> None:
    params = dataclasses.replace(QUIET, is_entropy_enabled=True)

    decision = decide_rebalance(observe(last_ns=None, target=RESTING), params)

    assert decision.should_rebalance
    assert decision.reason is RebalanceReason.ENTROPY


def test_decide_rebalance_no_recorded_rebalance_is_not_held_by_cooldown() -> None:
    decision = decide_rebalance(observe(market=1030.0, last_ns=None), GuardParams())

    assert decision.should_rebalance
    assert decision.reason is RebalanceReason.DEVIATION
