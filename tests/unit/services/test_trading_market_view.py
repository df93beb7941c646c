"""Conversions between the venue's snapshot and the core's values."""

from __future__ import annotations

import pytest

from bmvbot.core.config import SwarmParams
from bmvbot.core.types import (
    BaseLots,
    BaseNative,
    BookLevel,
    Grid,
    L2Snapshot,
    Lamports,
    Level,
    MarketSpec,
    PriceLots,
    QuoteNative,
    Side,
    WalletId,
)
from bmvbot.ports.venue import MarketSnapshot, OwnOrder, WalletBalance
from bmvbot.services.market_view import (
    MarketView,
    inventory_of,
    market_price_lots,
    side_funds,
    skip_crossing_levels,
    swarm_base_lots,
    wallet_funds,
)

MARKET = MarketSpec(base_lot_size=1000, quote_lot_size=10)


def _book(bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> L2Snapshot:
    return L2Snapshot(
        tuple(BookLevel(PriceLots(p), BaseLots(n)) for p, n in bids),
        tuple(BookLevel(PriceLots(p), BaseLots(n)) for p, n in asks),
    )


def _grid(bids: list[int], asks: list[int]) -> Grid:
    return Grid(
        tuple(Level(Side.BID, PriceLots(p), BaseLots(1)) for p in bids),
        tuple(Level(Side.ASK, PriceLots(p), BaseLots(1)) for p in asks),
    )


def _balance(wallet: str, base: int, quote: int, base_locked: int = 0) -> WalletBalance:
    return WalletBalance(
        WalletId(wallet),
        BaseNative(base),
        QuoteNative(quote),
        BaseNative(base_locked),
        QuoteNative(5),
        Lamports(1),
        blocked_slots=2,
    )


def test_market_price_is_mid_then_touch_then_last_trade() -> None:
    assert market_price_lots(_book([(99, 1)], [(101, 1)]), 7) == 100.0
    assert market_price_lots(_book([(99, 1)], []), 7) == 99.0
    assert market_price_lots(_book([], [(101, 1)]), 7) == 101.0
    assert market_price_lots(_book([], []), 7) == 7.0
    assert market_price_lots(_book([], []), None) is None


def test_skip_crossing_keeps_levels_outside_the_band() -> None:
    grid = _grid([998, 990], [1002, 1010])

    kept, skipped = skip_crossing_levels(grid, _book([(999, 1)], [(1001, 1)]), 1000.0, 0.005)

    assert kept == _grid([990], [1010])
    assert skipped == 2


def test_skip_crossing_without_band_drops_only_crossing_levels() -> None:
    grid = _grid([1001, 999], [999, 1001])

    kept, skipped = skip_crossing_levels(grid, _book([(999, 1)], [(1001, 1)]), None, 0.0)

    assert kept == _grid([999], [1001])
    assert skipped == 2


def test_skip_crossing_one_sided_book_limits_bids_to_the_band_above_the_bid() -> None:
    grid = _grid([1020, 1004, 990], [1030])

    kept, _ = skip_crossing_levels(grid, _book([(1000, 1)], []), 1000.0, 0.005)

    assert kept.bids == _grid([990], []).bids
    assert kept.asks == grid.asks


def test_skip_crossing_empty_book_and_no_price_keeps_everything() -> None:
    grid = _grid([10], [20])

    assert skip_crossing_levels(grid, _book([], []), None, 0.01) == (grid, 0)


def test_wallet_funds_add_locked_and_floor_to_lots() -> None:
    funds = wallet_funds([_balance("w", 2999, 1001, base_locked=1000)], MARKET)

    assert (funds[0].base_lots, funds[0].quote_lots, funds[0].blocked_slots) == (3, 100, 2)


def test_side_funds_split_and_mixed() -> None:
    funds = wallet_funds(
        [_balance("a", 1000, 100), _balance("b", 2000, 200), _balance("c", 4000, 400)], MARKET
    )

    split = side_funds(funds, SwarmParams(wallet_count=3, is_side_split=True))
    mixed = side_funds(funds, SwarmParams(wallet_count=3, is_side_split=False))

    assert (split.quote_lots, split.base_lots) == (10 + 20, 4)
    assert (mixed.quote_lots, mixed.base_lots) == (70, 7)


def test_swarm_base_lots_splits_locked_and_held() -> None:
    balances = [_balance("a", 5000, 0, base_locked=2000), _balance("b", 1000, 0, 3000)]

    assert swarm_base_lots(balances, MARKET) == (5, 6)


def _snapshot() -> MarketSnapshot:
    orders = (
        OwnOrder(WalletId("a"), Side.BID, PriceLots(90), BaseLots(1), 1, 1),
        OwnOrder(WalletId("b"), Side.ASK, PriceLots(120), BaseLots(2), 2, 2),
        OwnOrder(WalletId("a"), Side.BID, PriceLots(95), BaseLots(3), 3, 3),
        OwnOrder(WalletId("b"), Side.ASK, PriceLots(110), BaseLots(4), 4, 4),
    )
    book = _book([(95, 3), (92, 7), (90, 1)], [(110, 4), (120, 2)])
    balances = (_balance("a", 1000, 10), _balance("b", 0, 0))
    return MarketSnapshot(10, book, orders, balances)


def test_market_view_sorts_orders_and_removes_them_from_the_book() -> None:
    view = MarketView.of(_snapshot(), depth=20)

    assert [o.price_lots for o in view.orders] == [95, 90, 110, 120]
    assert [level.price_lots for level in view.resting.bids] == [95, 90]
    assert [level.price_lots for level in view.resting.asks] == [110, 120]
    assert view.external == _book([(92, 7)], [])
    assert sorted(view.resting_by_wallet) == ["a", "b"]
    assert view.ts_ns == 10
    assert view.with_market_price(92.0).market_price_lots == 92.0


def test_inventory_counts_orders_per_wallet() -> None:
    inventory = inventory_of(_snapshot())

    assert [(w.wallet, w.bid_count, w.ask_count) for w in inventory] == [("a", 2, 0), ("b", 0, 2)]
    assert inventory[0].quote_native == 15


@pytest.mark.parametrize("band", [0.0, 0.003])
def test_skip_crossing_never_keeps_a_bid_at_or_above_an_ask(band: float) -> None:
    grid = _grid([1000, 995, 990], [1005, 1010])
    book = _book([(996, 1)], [(997, 1)])

    kept, _ = skip_crossing_levels(grid, book, 996.5, band)

    assert all(b.price_lots < 997 for b in kept.bids)
    assert all(a.price_lots > 996 for a in kept.asks)
