import pytest

from bmvbot.core.book import WallScan, external_book, find_walls, front_run, scan_walls
from bmvbot.core.errors import InvariantError
from bmvbot.core.types import BaseLots, BookLevel, Grid, L2Snapshot, Level, PriceLots, Side


def bl(price: int, size: int) -> BookLevel:
    return BookLevel(PriceLots(price), BaseLots(size))


def bid(price: int, size: int) -> Level:
    return Level(Side.BID, PriceLots(price), BaseLots(size))


def ask(price: int, size: int) -> Level:
    return Level(Side.ASK, PriceLots(price), BaseLots(size))


BOOK = L2Snapshot(
    bids=(bl(99, 5), bl(98, 10), bl(97, 1), bl(96, 7)),
    asks=(bl(101, 3), bl(102, 4), bl(103, 50)),
)


def test_external_book_without_own_orders_is_top_depth() -> None:
    external = external_book(BOOK, Grid(), depth=2)

    assert external.bids == (bl(99, 5), bl(98, 10))
    assert external.asks == (bl(101, 3), bl(102, 4))


def test_external_book_subtracts_own_sizes_and_skips_own_levels() -> None:
    own = Grid(bids=(bid(99, 5), bid(98, 4), bid(98, 2)), asks=(ask(101, 10),))

    external = external_book(BOOK, own, depth=2)

    assert external.bids == (bl(98, 4), bl(97, 1))
    assert external.asks == (bl(102, 4), bl(103, 50))


def test_external_book_zero_depth_reads_nothing() -> None:
    assert external_book(BOOK, Grid(), depth=0) == L2Snapshot()


def test_external_book_split_own_level_is_summed() -> None:
    own = Grid(asks=(ask(102, 1), ask(102, 3), ask(103, 49)))

    external = external_book(BOOK, own, depth=20)

    assert external.asks == (bl(101, 3), bl(103, 1))


def test_external_book_empty_book_stays_empty() -> None:
    external = external_book(L2Snapshot(), Grid(bids=(bid(5, 1),)), depth=20)

    assert external == L2Snapshot()


@pytest.mark.parametrize(
    ("book", "match"),
    [
        (L2Snapshot(bids=(bl(0, 1),)), "positive price and size"),
        (L2Snapshot(asks=(bl(5, 0),)), "positive price and size"),
        (L2Snapshot(bids=(bl(5, 1), bl(6, 1))), "sorted best first"),
        (L2Snapshot(bids=(bl(5, 1), bl(5, 1))), "sorted best first"),
        (L2Snapshot(asks=(bl(6, 1), bl(5, 1))), "sorted best first"),
    ],
)
def test_external_book_malformed_raises(book: L2Snapshot, match: str) -> None:
    with pytest.raises(InvariantError, match=match):
        external_book(book, Grid(), depth=20)


def test_find_walls_strictly_above_threshold_in_book_order() -> None:
    walls = find_walls(BOOK.bids, threshold_quote_lots=98 * 10 - 1)
    at_threshold = find_walls(BOOK.bids, threshold_quote_lots=98 * 10)

    assert walls == (98,)
    assert at_threshold == ()


def test_find_walls_zero_threshold_disables() -> None:
    assert find_walls(BOOK.asks, threshold_quote_lots=0) == ()


def test_scan_walls_matches_external_book_and_find_walls() -> None:
    own = Grid(bids=(bid(99, 5),))

    scan = scan_walls(BOOK, own, depth=20, threshold_quote_lots=600)

    assert scan == WallScan(
        best_bid_price_lots=PriceLots(98),
        best_ask_price_lots=PriceLots(101),
        bid_wall_prices=(PriceLots(98), PriceLots(96)),
        ask_wall_prices=(PriceLots(103),),
    )


def test_scan_walls_empty_book_has_no_best_price() -> None:
    scan = scan_walls(L2Snapshot(), Grid(), depth=20, threshold_quote_lots=1)

    assert scan == WallScan()


def test_scan_walls_zero_threshold_reports_best_prices_only() -> None:
    scan = scan_walls(BOOK, Grid(), depth=20, threshold_quote_lots=0)

    assert scan == WallScan(best_bid_price_lots=PriceLots(99), best_ask_price_lots=PriceLots(101))


def shift(
    prices: list[int],
    side: Side,
    walls: list[int],
    bound: int,
    ticks: int = 1,
    cap: int = 5,
) -> list[int]:
    return front_run(
        prices,
        side,
        walls,
        bound_price_lots=bound,
        front_run_ticks=ticks,
        max_front_run_ticks=cap,
    )


def test_front_run_bid_moves_one_tick_above_wall() -> None:
    assert shift([100, 95, 90], Side.BID, [97], bound=110) == [100, 98, 90]


def test_front_run_ask_moves_one_tick_below_wall() -> None:
    assert shift([110, 115, 120], Side.ASK, [117], bound=100) == [110, 115, 116]


def test_front_run_level_on_wall_price_moves_ahead() -> None:
    assert shift([100, 97, 90], Side.BID, [97], bound=110, ticks=2) == [100, 99, 90]


def test_front_run_no_walls_returns_prices() -> None:
    assert shift([100, 95], Side.BID, [], bound=110) == [100, 95]


def test_front_run_wall_behind_every_level_changes_nothing() -> None:
    assert shift([100, 95], Side.BID, [90], bound=110) == [100, 95]


def test_front_run_beyond_cap_stays() -> None:
    assert shift([100, 90], Side.BID, [97], bound=110, cap=5) == [100, 90]


def test_front_run_two_ticks_falls_back_to_one_at_spread() -> None:
    moved = shift([100, 95], Side.BID, [97], bound=99, ticks=2)
    blocked = shift([100, 95], Side.BID, [98], bound=99, ticks=2)

    assert moved == [100, 98]
    assert blocked == [100, 95]


def test_front_run_never_lands_on_better_own_level() -> None:
    assert shift([100, 95], Side.BID, [99], bound=110) == [100, 95]
    assert shift([100, 95], Side.BID, [98], bound=110) == [100, 99]


def test_front_run_innermost_level_stays_inside_bound() -> None:
    assert shift([100, 95], Side.BID, [101], bound=102) == [100, 95]
    assert shift([110, 115], Side.ASK, [109], bound=108) == [110, 115]


def test_front_run_each_wall_claims_next_level() -> None:
    moved = shift([100, 96, 93, 80], Side.BID, [98, 97, 95], bound=110)

    assert moved == [100, 99, 98, 80]


def test_front_run_blocked_level_serves_next_wall() -> None:
    moved = shift([100, 95, 90], Side.BID, [99, 96], bound=110, cap=2)

    assert moved == [100, 97, 90]
