import pytest

from bmvbot.core.config import GridParams, TargetParams, TreasuryParams
from bmvbot.core.errors import ConfigError, InvariantError
from bmvbot.core.treasury import (
    MixPlan,
    TopUpRequest,
    bid_throttle_factor,
    headroom_fraction,
    plan_mix,
    plan_top_ups,
    throttle_depth,
    throttle_grid_params,
)
from bmvbot.core.types import Lamports, WalletId

TARGET = TargetParams(
    total_emission_base_lots=1_000_000, soft_headroom_fraction=0.20, hard_headroom_fraction=0.05
)
MIX = TreasuryParams(
    mix_reference_price_lots=1_000,
    mix_zone_bounds_fraction=(-0.10, 0.10),
    mix_zone_base_fractions=(0.60, 0.50, 0.40),
    mix_tolerance_fraction=0.05,
)


def test_headroom_fraction_formula_subtracts_held_share() -> None:
    assert headroom_fraction(100_000, 150_000, 1_000_000) == pytest.approx(0.75)
    assert headroom_fraction(0, 0, 1_000_000) == 1.0


def test_headroom_fraction_holdings_above_emission_is_negative() -> None:
    assert headroom_fraction(700_000, 400_000, 1_000_000) == pytest.approx(-0.1)


def test_headroom_fraction_negative_amount_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match="inventory_base_lots must be >= 0, was -1"):
        headroom_fraction(0, -1, 10)


def test_headroom_fraction_zero_emission_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match="total_emission_base_lots must be > 0, was 0"):
        headroom_fraction(0, 0, 0)


@pytest.mark.parametrize(
    ("held", "factor"),
    [
        (0, 1.0),
        (800_000, 1.0),  # headroom 0.20 = soft
        (875_000, 0.5),  # headroom 0.125, half-way
        (950_000, 0.0),  # headroom 0.05 = hard
        (990_000, 0.0),
        (2_000_000, 0.0),
    ],
)
def test_bid_throttle_factor_is_linear_between_soft_and_hard(held: int, factor: float) -> None:
    assert bid_throttle_factor(TARGET, held // 2, held - held // 2) == pytest.approx(factor)


def test_bid_throttle_factor_without_emission_is_one() -> None:
    assert bid_throttle_factor(TargetParams(), 10**18, 10**18) == 1.0


def test_bid_throttle_factor_without_emission_still_rejects_negative_amounts() -> None:
    with pytest.raises(InvariantError, match="locked_base_lots must be >= 0"):
        bid_throttle_factor(TargetParams(), -5, 0)


def test_throttle_depth_rounds_down() -> None:
    assert throttle_depth(1_000, 0.3333) == 333
    assert throttle_depth(1_000, 1.0) == 1_000
    assert throttle_depth(0, 0.5) == 0


@pytest.mark.parametrize("factor", [-0.1, 1.1, float("nan")])
def test_throttle_depth_factor_outside_unit_interval_raises_invariant_error(
    factor: float,
) -> None:
    with pytest.raises(InvariantError, match="throttle factor must be in"):
        throttle_depth(10, factor)


def test_throttle_depth_negative_depth_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match="depth_base_lots must be >= 0"):
        throttle_depth(-1, 0.5)


def test_throttle_grid_params_touches_only_bid_depth() -> None:
    params = GridParams(bid_depth_base_lots=1_000, ask_depth_base_lots=2_000)

    throttled = throttle_grid_params(params, 0.25)

    assert throttled.bid_depth_base_lots == 250
    assert throttled.ask_depth_base_lots == 2_000
    assert throttled.levels_per_side == params.levels_per_side


def test_plan_top_ups_tops_wallets_below_minimum_up_to_target() -> None:
    params = TreasuryParams(min_balance_lamports=50, top_up_target_lamports=100)
    balances = [(WalletId("a"), 49), (WalletId("b"), 50), (WalletId("c"), 0)]

    requests = plan_top_ups(balances, params)

    assert requests == (
        TopUpRequest(WalletId("a"), Lamports(51)),
        TopUpRequest(WalletId("c"), Lamports(100)),
    )


def test_plan_top_ups_empty_swarm_gives_no_request() -> None:
    assert plan_top_ups([], TreasuryParams()) == ()


def test_plan_top_ups_negative_balance_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match="balance_lamports must be >= 0, was -3 for wallet=x"):
        plan_top_ups([(WalletId("x"), -3)], TreasuryParams())


def test_plan_top_ups_repeated_wallet_raises_invariant_error() -> None:
    balances = [(WalletId("x"), 1), (WalletId("x"), 2)]

    with pytest.raises(InvariantError, match="wallet=x twice"):
        plan_top_ups(balances, TreasuryParams())


def test_plan_mix_disabled_without_reference_is_none() -> None:
    assert plan_mix(TreasuryParams(), 1_000.0, 10, 10) is None


@pytest.mark.parametrize(
    ("pivot", "zone"), [(850.0, 0), (899.0, 0), (900.0, 1), (1_000.0, 1), (1_100.0, 2)]
)
def test_plan_mix_zone_follows_pivot_relative_to_reference(pivot: float, zone: int) -> None:
    plan = plan_mix(MIX, pivot, 0, 0)

    assert plan is not None
    assert plan.zone_index == zone
    assert plan.target_base_fraction == MIX.mix_zone_base_fractions[zone]


def test_plan_mix_too_much_base_at_high_pivot_sells_rounded_toward_zero() -> None:
    # value = 1_000 + 10 * 1_200 = 13_000; target 40 % is 5_200 quote = 4.33 base lots
    plan = plan_mix(MIX, 1_200.0, 10, 1_000)

    assert plan == MixPlan(2, 0.40, 12_000 / 13_000, -5)


def test_plan_mix_too_little_base_at_low_pivot_buys_rounded_down() -> None:
    # value = 10_000 + 1 * 800 = 10_800; target 60 % is 6_480 quote = 8.1 base lots
    plan = plan_mix(MIX, 800.0, 1, 10_000)

    assert plan == MixPlan(0, 0.60, 800 / 10_800, 7)


def test_plan_mix_within_tolerance_trades_nothing() -> None:
    plan = plan_mix(MIX, 1_000.0, 54, 46_000)

    assert plan is not None
    assert plan.base_fraction == pytest.approx(0.54)
    assert plan.base_lots_to_buy == 0


def test_plan_mix_empty_swarm_trades_nothing() -> None:
    assert plan_mix(MIX, 1_000.0, 0, 0) == MixPlan(1, 0.50, 0.0, 0)


@pytest.mark.parametrize("pivot", [0.0, -1.0, float("nan"), float("inf")])
def test_plan_mix_bad_pivot_raises_invariant_error(pivot: float) -> None:
    with pytest.raises(InvariantError, match="pivot_lots must be a finite price > 0"):
        plan_mix(MIX, pivot, 1, 1)


def test_plan_mix_negative_holdings_raise_invariant_error() -> None:
    with pytest.raises(InvariantError, match="quote_lots must be >= 0, was -1"):
        plan_mix(MIX, 1_000.0, 1, -1)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"mix_reference_price_lots": 0}, "treasury.mix_reference_price"),
        ({"mix_zone_bounds_fraction": (0.1, -0.1)}, "treasury.mix_zone_bounds_pct"),
        ({"mix_zone_bounds_fraction": (-1.0,)}, "treasury.mix_zone_bounds_pct"),
        ({"mix_zone_bounds_fraction": (float("nan"),)}, "treasury.mix_zone_bounds_pct"),
        ({"mix_zone_base_fractions": (0.5, 0.5)}, "treasury.mix_zone_base_pct"),
        ({"mix_zone_base_fractions": (0.5, 1.5, 0.5)}, "treasury.mix_zone_base_pct"),
        ({"mix_tolerance_fraction": -0.01}, "treasury.mix_tolerance_pct"),
    ],
)
def test_treasury_params_bad_mix_raises_config_error_naming_key(
    kwargs: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError, match=key) as caught:
        TreasuryParams(**kwargs)  # type: ignore[arg-type]  # each case sets one typed field

    assert caught.value.key == key
