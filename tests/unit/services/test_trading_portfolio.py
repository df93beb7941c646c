"""Portfolio: the swarm's fills as an average-cost position, in integers."""

from __future__ import annotations

from bmvbot.core.pivot import TradeId
from bmvbot.core.types import BaseLots, MarketSpec, PriceLots, Side, WalletId
from bmvbot.ports.venue import MarketTrade
from bmvbot.services.portfolio import Portfolio

MARKET = MarketSpec(quote_lot_size=10)
SWARM = WalletId("swarm-1")
OTHER = WalletId("swarm-2")


def _maker_fill(seq: int, our_side: Side, price: int, size: int, fee: int = 0) -> MarketTrade:
    return MarketTrade(
        TradeId("sig", seq),
        seq,
        PriceLots(price),
        BaseLots(size),
        taker_side=our_side.opposite,
        maker_wallet=SWARM,
        maker_fee_native=fee,
    )


def test_portfolio_round_trip_realizes_the_spread() -> None:
    portfolio = Portfolio(MARKET)

    portfolio.add_trades([_maker_fill(1, Side.BID, 100, 5), _maker_fill(2, Side.ASK, 110, 5)])
    state = portfolio.state

    assert state.realized_quote_native == 5 * 10 * 10
    assert state.position_base_lots == 0
    assert state.cost_quote_native == 0
    assert (state.bid_fills, state.ask_fills, state.fills) == (1, 1, 2)
    assert (state.bought_base_lots, state.sold_base_lots) == (5, 5)


def test_portfolio_average_cost_and_mark_give_unrealized() -> None:
    portfolio = Portfolio(MARKET)
    portfolio.add_trades([_maker_fill(1, Side.BID, 100, 2), _maker_fill(2, Side.BID, 130, 2)])

    portfolio.mark(120)
    state = portfolio.state

    assert state.cost_quote_native == (200 + 260) * 10
    assert state.unrealized_quote_native == 4 * 120 * 10 - 4600
    assert state.total_quote_native == state.unrealized_quote_native


def test_portfolio_sell_through_a_long_opens_a_short_at_the_trade_price() -> None:
    portfolio = Portfolio(MARKET)
    portfolio.add_trades([_maker_fill(1, Side.BID, 100, 3), _maker_fill(2, Side.ASK, 90, 5)])

    portfolio.mark(80)
    state = portfolio.state

    assert state.realized_quote_native == 3 * (90 - 100) * 10
    assert state.position_base_lots == -2
    assert state.cost_quote_native == -2 * 90 * 10
    assert state.unrealized_quote_native == -2 * 80 * 10 + 1800  # a short gains as price falls


def test_portfolio_partial_close_of_a_short_rounds_cost_share_toward_zero() -> None:
    portfolio = Portfolio(MARKET)
    portfolio.add_trades([_maker_fill(1, Side.ASK, 101, 1), _maker_fill(2, Side.ASK, 100, 2)])

    portfolio.add_trades([_maker_fill(3, Side.BID, 95, 1)])
    state = portfolio.state

    # cost -3010 over 3 lots: one lot's share is -1003 (toward zero), bought back for 950
    assert state.realized_quote_native == 1003 - 950
    assert state.cost_quote_native == -3010 + 1003
    assert state.position_base_lots == -2


def test_portfolio_counts_fees_and_rebates_and_ignores_outside_trades() -> None:
    portfolio = Portfolio(MARKET)
    outside = MarketTrade(TradeId("x", 0), 0, PriceLots(100), BaseLots(9), Side.BID)

    fills = portfolio.add_trades(
        [outside, _maker_fill(1, Side.BID, 100, 1, fee=7), _maker_fill(2, Side.ASK, 100, 1, -2)]
    )

    assert len(fills) == 2
    assert portfolio.state.fees_quote_native == 5
    assert portfolio.state.total_quote_native == -5


def test_portfolio_taker_fill_takes_the_taker_side_and_fee() -> None:
    portfolio = Portfolio(MARKET)
    taker = MarketTrade(
        TradeId("t", 0),
        0,
        PriceLots(100),
        BaseLots(4),
        Side.ASK,
        taker_wallet=SWARM,
        taker_fee_native=40,
    )

    portfolio.add_trades([taker])

    assert portfolio.state.position_base_lots == -4
    assert portfolio.state.fees_quote_native == 40


def test_portfolio_self_trade_is_counted_and_moves_no_position() -> None:
    portfolio = Portfolio(MARKET)
    self_trade = MarketTrade(
        TradeId("s", 0), 0, PriceLots(100), BaseLots(4), Side.BID, SWARM, OTHER
    )

    portfolio.add_trades([self_trade])

    assert portfolio.state.self_trades == 1
    assert portfolio.state.position_base_lots == 0
    assert portfolio.state.fills == 0


def test_portfolio_without_mark_has_no_unrealized() -> None:
    portfolio = Portfolio(MARKET)
    portfolio.add_trades([_maker_fill(1, Side.BID, 100, 2)])

    assert portfolio.state.unrealized_quote_native == 0
    assert portfolio.state.mark_price_lots is None
