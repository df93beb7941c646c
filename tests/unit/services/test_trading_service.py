"""TradingService driven through the real SimulatedVenue and SimClock (no mocks)."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from tests.factories import (
    BASE_PRICE,
    Trading,
    default_params,
    lp_scenario,
    seeded_params,
    trading,
)

from bmvbot.adapters.sim.bundles import BundleParams
from bmvbot.adapters.sim.clock import SimClock
from bmvbot.adapters.sim.scenarios import PriceShock, scenario
from bmvbot.adapters.sim.venue import SwarmFunding
from bmvbot.core.errors import ConfigError
from bmvbot.core.types import Rounding, Side
from bmvbot.ports.venue import LandingStatus, MarketSnapshot, OwnOrder


async def _snapshot(setup: Trading) -> MarketSnapshot:
    # a look at the venue outside the service (drains trades the service will not see)
    return await setup.venue.snapshot()


def _assert_clean(setup: Trading) -> None:
    state = setup.service.state
    assert state.pnl.self_trades == 0
    assert state.execution.dropped_orders == 0
    assert state.execution.orders_lost == 0


@pytest.mark.asyncio
async def test_trading_first_tick_places_full_grid_over_sixteen_wallets() -> None:
    setup = trading("quiet")

    outcome = await setup.service.tick()

    assert outcome.reason == "initial"
    assert outcome.report is not None
    assert outcome.report.status is LandingStatus.LANDED
    orders = (await _snapshot(setup)).orders
    assert len(orders) == 32
    per_wallet = Counter(order.wallet for order in orders)
    assert len(per_wallet) == 16
    assert set(per_wallet.values()) == {2}
    wallets = await setup.venue.wallets()
    bid_wallets = {o.wallet for o in orders if o.side is Side.BID}
    assert bid_wallets == set(wallets[:8])
    assert max(o.price_lots for o in orders if o.side is Side.BID) < min(
        o.price_lots for o in orders if o.side is Side.ASK
    )
    assert setup.service.state.execution.orders_placed == 32
    _assert_clean(setup)


@pytest.mark.asyncio
async def test_trading_unchanged_market_sends_nothing() -> None:
    setup = trading(lp_scenario())
    await setup.service.tick()

    outcomes = []
    for _ in range(10):
        setup.advance_s(1)
        outcomes.append(await setup.service.tick())

    assert all(outcome.report is None for outcome in outcomes)
    assert {outcome.reason for outcome in outcomes} == {"none"}
    assert setup.service.state.execution.rebalances == 1
    _assert_clean(setup)


@pytest.mark.asyncio
async def test_trading_no_pivot_waits_without_placing() -> None:
    setup = trading("quiet", params=default_params())

    outcome = await setup.service.tick()

    assert outcome.reason == "no_pivot"
    assert (await _snapshot(setup)).orders == ()


@pytest.mark.asyncio
async def test_trading_pivot_move_beyond_threshold_rebalances_for_deviation() -> None:
    # the seed pivot is 5 % above the market; once the pivot comes down to the market, the
    # market is 4.8 % from the last pivot
    clock_start = SimClock().now_ns()
    params = seeded_params(clock_start, seed_price=BASE_PRICE * 1.05)
    setup = trading(lp_scenario(), params=params)
    await setup.service.tick()
    market_lots = params.market.price_to_lots(BASE_PRICE, Rounding.NEAREST)
    setup.advance_s(10)
    setup.service.pivot.set_external(setup.clock.now_ns(), market_lots, 10.0**15)

    outcome = await setup.service.tick()

    assert outcome.reason == "deviation"
    assert outcome.report is not None
    state = setup.service.state
    assert state.pivot_price_lots == pytest.approx(market_lots, rel=1e-3)
    assert dict(state.execution.rebalances_by_reason) == {"initial": 1, "deviation": 1}
    _assert_clean(setup)


@pytest.mark.asyncio
async def test_trading_market_near_a_level_rebalances_for_proximity() -> None:
    # the latent price rises 0.4 %: the market comes within 0.25 % of the innermost ask
    shock = PriceShock(start_s=5.0, duration_s=1.0, move_fraction=0.004)
    setup = trading(lp_scenario(shock))
    await setup.service.tick()
    resting_asks = [o.price_lots for o in (await _snapshot(setup)).orders if o.side is Side.ASK]

    outcomes = []
    for _ in range(15):
        setup.advance_s(1)
        outcomes.append(await setup.service.tick())

    sent = [outcome for outcome in outcomes if outcome.report is not None]
    assert [outcome.reason for outcome in sent] == ["proximity"]
    asks = [o.price_lots for o in (await _snapshot(setup)).orders if o.side is Side.ASK]
    assert min(asks) > min(resting_asks)  # the crowded ask was left out
    assert ("deviation", 1) not in setup.service.state.execution.guard_triggers
    _assert_clean(setup)


@pytest.mark.asyncio
async def test_trading_entropy_interval_refreshes_an_unchanged_grid() -> None:
    setup = trading(lp_scenario())
    await setup.service.tick()
    before = {(o.wallet, o.price_lots) for o in (await _snapshot(setup)).orders}
    setup.advance_s(3601)

    outcome = await setup.service.tick()

    assert outcome.reason == "entropy"
    assert outcome.report is not None
    assert outcome.report.status is LandingStatus.LANDED
    after = {(o.wallet, o.price_lots) for o in (await _snapshot(setup)).orders}
    assert {price for _, price in after} == {price for _, price in before}
    assert after != before  # rotated to other wallets
    _assert_clean(setup)


@pytest.mark.asyncio
async def test_trading_guard_within_cooldown_is_held_then_sent() -> None:
    clock_start = SimClock().now_ns()
    params = seeded_params(clock_start, seed_price=BASE_PRICE * 1.05)
    setup = trading(lp_scenario(), params=params)
    await setup.service.tick()
    market_lots = params.market.price_to_lots(BASE_PRICE, Rounding.NEAREST)
    setup.advance_s(1)
    setup.service.pivot.set_external(setup.clock.now_ns(), market_lots, 10.0**15)

    held = await setup.service.tick()
    setup.advance_s(5)
    sent = await setup.service.tick()

    assert held.reason == "deviation"
    assert held.report is None
    assert "cool-down" in held.detail
    assert sent.reason == "deviation"
    assert sent.report is not None
    assert ("cooldown", 1) in setup.service.state.execution.holds_by_reason


@pytest.mark.asyncio
async def test_trading_failed_rebalance_is_repaired_on_next_tick() -> None:
    setup = trading("quiet", bundles=BundleParams(landing_probability=0.0))
    failed = await setup.service.tick()
    setup.venue.bundle_params = BundleParams()
    setup.advance_s(1)

    repaired = await setup.service.tick()

    assert failed.report is not None
    assert failed.report.status is LandingStatus.FAILED
    assert repaired.reason == "repair"
    assert repaired.report is not None
    assert repaired.report.status is LandingStatus.LANDED
    assert len((await _snapshot(setup)).orders) == 32
    assert setup.service.state.execution.failed_rebalances == 1


async def _partial_setup() -> Trading:
    # 128 levels over 16 wallets need two bundles; find a seed whose first bundle lands alone
    clock_start = SimClock().now_ns()
    base = default_params()
    grid = dataclasses.replace(base.grid, levels_per_side=64)
    params = seeded_params(clock_start, params=dataclasses.replace(base, grid=grid))
    for seed in range(40):
        setup = trading(
            "quiet", params=params, seed=seed, bundles=BundleParams(landing_probability=0.5)
        )
        outcome = await setup.service.tick()
        assert outcome.report is not None
        if outcome.report.status is LandingStatus.PARTIAL:
            return setup
    raise AssertionError("no seed in 0..39 gave a partly landed first rebalance")


@pytest.mark.asyncio
async def test_trading_partly_landed_rebalance_is_repaired_on_next_tick() -> None:
    setup = await _partial_setup()
    assert setup.service.state.needs_repair
    landed_before = len((await _snapshot(setup)).orders)
    setup.venue.bundle_params = BundleParams()
    setup.advance_s(1)  # within the cool-down: only a repair may send

    outcome = await setup.service.tick()

    assert outcome.reason == "repair"
    assert outcome.report is not None
    assert outcome.report.status is LandingStatus.LANDED
    orders = (await _snapshot(setup)).orders
    assert landed_before < len(orders) == 128
    state = setup.service.state
    assert not state.needs_repair
    assert state.execution.partial_rebalances == 1
    assert dict(state.execution.rebalances_by_reason) == {"initial": 1, "repair": 1}
    _assert_clean(setup)


@pytest.mark.asyncio
async def test_trading_small_funds_scale_the_grid_down() -> None:
    funding = SwarmFunding(base_native=10 * 10**9, quote_native=5 * 10**9)
    setup = trading("quiet", funding=funding)

    await setup.service.tick()

    orders = (await _snapshot(setup)).orders
    market = setup.params.market
    bids = [o for o in orders if o.side is Side.BID]
    asks = [o for o in orders if o.side is Side.ASK]
    assert bids
    assert asks
    assert sum(o.size_base_lots for o in asks) * market.base_lot_size <= 8 * 10 * 10**9
    assert sum(market.quote_native(o.price_lots, o.size_base_lots) for o in bids) <= 8 * 5 * 10**9
    assert sum(o.size_base_lots for o in asks) < setup.params.grid.ask_depth_base_lots
    _assert_clean(setup)


@pytest.mark.asyncio
async def test_trading_pause_holds_and_shutdown_cancels_every_order() -> None:
    setup = trading(lp_scenario())
    await setup.service.tick()
    setup.service.pause()
    setup.advance_s(1)

    paused = await setup.service.tick()
    resting_while_paused = len((await _snapshot(setup)).orders)
    report = await setup.service.shutdown()

    assert paused.reason == "paused"
    assert paused.report is None
    assert resting_while_paused == 32
    assert report.status is LandingStatus.LANDED
    assert (await _snapshot(setup)).orders == ()
    state = setup.service.state
    assert state.is_paused
    assert state.orders == ()
    assert state.execution.orders_cancelled == 32


@pytest.mark.asyncio
async def test_trading_resume_after_cancel_places_the_grid_again() -> None:
    setup = trading(lp_scenario())
    await setup.service.tick()
    await setup.service.shutdown()
    setup.service.resume()
    setup.advance_s(1)

    outcome = await setup.service.tick()

    assert outcome.reason == "initial"
    assert len((await _snapshot(setup)).orders) == 32


@pytest.mark.asyncio
async def test_trading_refused_rebalance_is_counted_and_repaired() -> None:
    setup = trading("quiet", tip_lamports=500)  # below the Jito minimum: the venue refuses

    outcome = await setup.service.tick()

    assert outcome.reason == "initial"
    assert outcome.report is None
    state = setup.service.state
    assert state.needs_repair
    assert state.execution.failed_rebalances == 1
    assert state.execution.venue_errors == 1


@pytest.mark.asyncio
async def test_trading_fills_update_pnl_and_inventory() -> None:
    # a crash 90 s into a 300 s scenario sweeps through the bids
    setup = trading(scenario("flash_crash", seed=2, duration_s=300), params=default_params())

    for _ in range(150):
        await setup.service.tick()
        setup.advance_s(1)

    state = setup.service.state
    assert state.pnl.fills > 0
    assert state.pnl.bought_base_lots - state.pnl.sold_base_lots == state.pnl.position_base_lots
    assert len(state.wallets) == 16
    execution = state.execution
    assert execution.orders_placed == (
        len(state.orders)
        + execution.orders_cancelled
        + execution.orders_filled
        + execution.orders_unfunded
        + execution.orders_lost
    )
    assert state.pnl.self_trades == 0


def test_trading_negative_tip_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="tip_lamports"):
        trading("quiet", tip_lamports=-1)


@pytest.mark.asyncio
async def test_trading_wallet_count_mismatch_is_a_config_error() -> None:
    setup = trading("quiet")
    swarm = dataclasses.replace(setup.params.swarm, wallet_count=8)
    other = type(setup.service)(
        setup.venue,
        setup.clock,
        dataclasses.replace(setup.params, swarm=swarm),
        tip_lamports=10_000,
    )

    with pytest.raises(ConfigError, match="wallet_count"):
        await other.tick()


def test_trading_state_before_first_tick_is_empty() -> None:
    state = trading("quiet").service.state

    assert state.ts_ns == 0
    assert state.orders == ()
    assert state.pivot_price_lots is None
    assert state.spread_lots is None


@pytest.mark.asyncio
async def test_trading_entropy_with_the_same_rotation_sends_nothing() -> None:
    setup = trading(lp_scenario())
    await setup.service.tick()
    setup.advance_s(3840)  # 64 rotations: every segment is back on its wallet

    outcome = await setup.service.tick()

    assert outcome.reason == "entropy"
    assert outcome.report is None
    state = setup.service.state
    assert dict(state.execution.rebalances_by_reason) == {"initial": 1, "entropy": 1}
    assert state.last_rebalance_ns == state.ts_ns


@pytest.mark.asyncio
async def test_trading_target_control_throttles_the_bids() -> None:
    base = seeded_params(SimClock().now_ns())
    # the swarm holds 16 x 1000 base: with an emission of 17,000 the headroom is ~6 %
    emission = base.market.size_to_lots(17_000.0)
    target = dataclasses.replace(base.target, total_emission_base_lots=emission)
    throttled = trading("quiet", params=dataclasses.replace(base, target=target))
    full = trading("quiet")

    await throttled.service.tick()
    await full.service.tick()

    def bid_depth(orders: tuple[OwnOrder, ...]) -> int:
        return sum(o.size_base_lots for o in orders if o.side is Side.BID)

    throttled_orders = (await _snapshot(throttled)).orders
    full_orders = (await _snapshot(full)).orders
    assert 0 < bid_depth(throttled_orders) < bid_depth(full_orders) // 2
    assert [o for o in throttled_orders if o.side is Side.ASK] == [
        o for o in full_orders if o.side is Side.ASK
    ]


@pytest.mark.asyncio
async def test_trading_market_spec_mismatch_is_a_config_error() -> None:
    setup = trading("quiet")
    market = dataclasses.replace(setup.params.market, quote_lot_size=7)
    other = type(setup.service)(
        setup.venue,
        setup.clock,
        dataclasses.replace(setup.params, market=market),
        tip_lamports=10_000,
    )

    with pytest.raises(ConfigError, match="market parameters differ"):
        await other.tick()


@pytest.mark.asyncio
async def test_trading_decide_is_a_dry_run_that_sends_nothing() -> None:
    setup = trading("quiet")
    await setup.service.wallets()
    snapshot = await _snapshot(setup)

    first = setup.service.decide(snapshot)
    second = setup.service.decide(snapshot)

    assert first.reason == second.reason == "initial"
    assert first.plan is not None
    assert first.plan == second.plan
    assert sum(len(step.bids) + len(step.asks) for step in first.plan.steps) == 32
    assert (await _snapshot(setup)).orders == ()
    assert setup.service.state.execution.rebalances == 0
