"""Plan self-trade check and the order ledger."""

from __future__ import annotations

import pytest

from bmvbot.core.errors import InvariantError
from bmvbot.core.pivot import TradeId
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import (
    BaseLots,
    BaseNative,
    Lamports,
    Level,
    MarketSpec,
    PriceLots,
    QuoteNative,
    Side,
    WalletId,
)
from bmvbot.ports.venue import MarketTrade, OwnOrder, WalletBalance
from bmvbot.services.reconciliation import OrderLedger, check_plan_uncrossed

A = WalletId("a")
B = WalletId("b")
MARKET = MarketSpec(base_lot_size=1000, quote_lot_size=10)


def _bid(price: int, size: int = 10) -> Level:
    return Level(Side.BID, PriceLots(price), BaseLots(size))


def _ask(price: int, size: int = 10) -> Level:
    return Level(Side.ASK, PriceLots(price), BaseLots(size))


def _replace(wallet: WalletId, *levels: Level) -> ReplacementStep:
    bids = tuple(level for level in levels if level.side is Side.BID)
    asks = tuple(level for level in levels if level.side is Side.ASK)
    return ReplacementStep(wallet, StepKind.REPLACE, bids, asks)


def test_plan_check_new_bid_at_another_wallets_stale_ask_raises() -> None:
    resting = {A: [_bid(90)], B: [_ask(100)]}
    plan = ReplacementPlan((_replace(A, _bid(100)), _replace(B, _ask(110))))

    with pytest.raises(InvariantError, match="wallet=a"):
        check_plan_uncrossed(resting, plan)


def test_plan_check_replacing_the_stale_ask_first_passes() -> None:
    resting = {A: [_bid(90)], B: [_ask(100)]}

    check_plan_uncrossed(resting, ReplacementPlan((_replace(B, _ask(110)), _replace(A, _bid(100)))))


def test_plan_check_own_stale_orders_do_not_count() -> None:
    resting = {A: [_bid(90), _ask(100)]}

    check_plan_uncrossed(resting, ReplacementPlan((_replace(A, _bid(105), _ask(110)),)))


def test_plan_check_new_ask_below_a_later_placed_bid_raises() -> None:
    plan = ReplacementPlan((_replace(A, _bid(100)), _replace(B, _ask(100))))

    with pytest.raises(InvariantError, match="wallet=b"):
        check_plan_uncrossed({}, plan)


def test_plan_check_cancel_step_frees_the_way() -> None:
    resting = {A: [_bid(90)], B: [_ask(100)]}
    plan = ReplacementPlan(
        (ReplacementStep(B, StepKind.CANCEL), _replace(A, _bid(100)), _replace(B, _ask(110)))
    )

    check_plan_uncrossed(resting, plan)


def _order(wallet: WalletId, level: Level, order_id: int = 1) -> OwnOrder:
    return OwnOrder(wallet, level.side, level.price_lots, level.size_base_lots, order_id, 0)


def _balance(wallet: WalletId, quote: int = 10**12, base: int = 10**12) -> WalletBalance:
    return WalletBalance(
        wallet, BaseNative(base), QuoteNative(quote), BaseNative(0), QuoteNative(0), Lamports(0)
    )


def _fill(wallet: WalletId, our_side: Side, price: int, size: int) -> MarketTrade:
    return MarketTrade(
        TradeId("f", price), 0, PriceLots(price), BaseLots(size), our_side.opposite, wallet
    )


def test_ledger_fills_partial_then_full_and_replace_cancels_the_rest() -> None:
    ledger = OrderLedger(MARKET)
    ledger.replace(A, [_bid(90), _bid(80), _ask(110)])

    ledger.add_fills([_fill(A, Side.BID, 90, 4), _fill(B, Side.BID, 90, 4)])
    ledger.add_fills([_fill(A, Side.BID, 90, 6), _fill(A, Side.ASK, 999, 1)])
    ledger.replace(A, [_ask(120)])

    assert (ledger.placed, ledger.filled, ledger.cancelled, ledger.resting) == (4, 1, 2, 1)


def test_ledger_reconcile_matching_book_reports_nothing() -> None:
    ledger = OrderLedger(MARKET)
    ledger.replace(A, [_bid(90), _ask(110)])

    found = ledger.reconcile([_order(A, _bid(90)), _order(A, _ask(110))], [_balance(A)])

    assert not found.should_repair
    assert ledger.lost == ledger.unfunded == ledger.adopted == 0


def test_ledger_reconcile_missing_funded_order_is_lost() -> None:
    ledger = OrderLedger(MARKET)
    ledger.replace(A, [_bid(90), _ask(110)])

    found = ledger.reconcile([_order(A, _ask(110))], [_balance(A)])

    assert found.should_repair
    assert found.problems == ("missing bid of wallet=a at 90 x 10",)
    assert (ledger.lost, ledger.resting) == (1, 1)


def test_ledger_reconcile_missing_order_of_a_short_wallet_is_unfunded() -> None:
    ledger = OrderLedger(MARKET)
    ledger.replace(A, [_bid(90), _ask(110)])

    found = ledger.reconcile([], [_balance(A, quote=90 * 10 * 10 - 1, base=10 * 1000 - 1)])

    assert found.problems == ()
    assert len(found.unfunded) == 2
    assert found.should_repair
    assert (ledger.unfunded, ledger.lost) == (2, 0)


def test_ledger_reconcile_adopts_unknown_and_larger_smaller_quietly() -> None:
    ledger = OrderLedger(MARKET)
    ledger.replace(A, [_bid(90, 10), _ask(110, 10)])

    found = ledger.reconcile(
        [_order(A, _bid(90, 7)), _order(A, _ask(110, 12)), _order(B, _ask(120))], []
    )

    assert len(found.problems) == 2  # the larger ask and the unknown order
    assert ledger.adopted == 1
    assert ledger.resting == 3
    assert not ledger.reconcile(
        [_order(A, _bid(90, 7)), _order(A, _ask(110, 12)), _order(B, _ask(120))], []
    ).should_repair
