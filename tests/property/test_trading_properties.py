"""Properties of the trading loop over random pivot moves, on the real SimulatedVenue.

The market has no outside resting orders (noise takers only), so a post-only order the venue
does not post can only have crossed a stale swarm order. Every tick replaces the whole grid
around a pivot that jumps by up to +/-10 %, which makes the new grid cross the old one: the
replacement order must keep every post-only order posted and the swarm must never trade with
itself.
"""

from __future__ import annotations

import asyncio
import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.factories import BASE_PRICE, seeded_params, trading

from bmvbot.adapters.sim.clock import SIM_EPOCH_NS
from bmvbot.adapters.sim.scenarios import ParticipantMix, Scenario
from bmvbot.core.pivot import TradeId
from bmvbot.core.types import NS_PER_S, BaseLots, MarketSpec, PriceLots, Rounding, Side, WalletId
from bmvbot.ports.venue import MarketTrade
from bmvbot.services.portfolio import Portfolio
from bmvbot.services.state import TradingState

TAKERS_ONLY = ParticipantMix(
    noise_rate_per_s=3.0,
    noise_slippage_bps=500.0,
    informed_rate_per_s=0.0,
    lp_count=0,
    whale_count=0,
)
NOBODY = dataclasses.replace(TAKERS_ONLY, noise_rate_per_s=0.0)
"""No participant: no trade, no market price, so nothing but the replacement order protects
the new grid from the stale one (with takers, the proximity band around the last trade also
keeps new levels away from the old grid)."""


async def _run(
    moves: list[float],
    wallet_count: int,
    levels: int,
    is_side_split: bool,
    seed: int,
    has_takers: bool = True,
) -> TradingState:
    base = seeded_params(SIM_EPOCH_NS)  # the trading() clock starts there
    params = dataclasses.replace(
        base,
        grid=dataclasses.replace(base.grid, levels_per_side=levels),
        swarm=dataclasses.replace(
            base.swarm, wallet_count=wallet_count, is_side_split=is_side_split
        ),
        guards=dataclasses.replace(base.guards, entropy_interval_ns=NS_PER_S, cooldown_ns=0),
    )
    mix = TAKERS_ONLY if has_takers else NOBODY
    scenario = Scenario("takers", BASE_PRICE, 0.02, seed, 3600.0, mix=mix)
    setup = trading(scenario, params=params)
    service, clock = setup.service, setup.clock
    price = BASE_PRICE
    await service.tick()
    for move in moves:
        price *= 1.0 + move
        lots = params.market.price_to_lots(price, Rounding.NEAREST)
        service.pivot.set_external(clock.now_ns(), lots, 1e18)
        clock.advance(2 * NS_PER_S)
        await service.tick()
        state = service.state
        assert state.execution.dropped_orders == 0
        assert state.execution.swarm_crossed_orders == 0
        assert state.pnl.self_trades == 0
    return service.state


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    moves=st.lists(st.floats(min_value=-0.10, max_value=0.10), min_size=2, max_size=8),
    wallet_count=st.sampled_from([2, 3, 4, 8, 16]),
    levels=st.sampled_from([2, 8, 16]),
    is_side_split=st.booleans(),
    seed=st.integers(min_value=0, max_value=10_000),
    has_takers=st.booleans(),
)
def test_trading_random_pivot_moves_drop_no_order_and_never_self_trade(
    moves: list[float],
    wallet_count: int,
    levels: int,
    is_side_split: bool,
    seed: int,
    has_takers: bool,
) -> None:
    state = asyncio.run(_run(moves, wallet_count, levels, is_side_split, seed, has_takers))

    execution = state.execution
    assert execution.rebalances >= 1
    assert execution.dropped_orders == 0
    assert execution.orders_lost == 0
    assert state.pnl.self_trades == 0
    assert execution.orders_placed == (
        len(state.orders)
        + execution.orders_cancelled
        + execution.orders_filled
        + execution.orders_unfunded
        + execution.orders_lost
    )


@given(
    fills=st.lists(
        st.tuples(
            st.sampled_from([Side.BID, Side.ASK]),
            st.integers(min_value=1, max_value=10**7),
            st.integers(min_value=1, max_value=10**6),
        ),
        max_size=40,
    ),
    mark=st.integers(min_value=1, max_value=10**7),
)
def test_trading_portfolio_pnl_equals_cash_flow_plus_marked_position(
    fills: list[tuple[Side, int, int]], mark: int
) -> None:
    market = MarketSpec(quote_lot_size=7)
    portfolio = Portfolio(market)
    trades = [
        MarketTrade(
            TradeId("p", i), i, PriceLots(price), BaseLots(size), side.opposite, WalletId("w")
        )
        for i, (side, price, size) in enumerate(fills)
    ]

    portfolio.add_trades(trades)
    portfolio.mark(mark)
    state = portfolio.state

    cash = sum((-1 if side is Side.BID else 1) * price * size * 7 for side, price, size in fills)
    position = sum((1 if side is Side.BID else -1) * size for side, _, size in fills)
    assert state.position_base_lots == position
    assert state.realized_quote_native + state.unrealized_quote_native == (
        cash + position * mark * 7
    )
    if position == 0:
        assert state.cost_quote_native == 0
