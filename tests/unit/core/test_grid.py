import dataclasses
import math
from typing import Any

import pytest

from bmvbot.core.config import GridParams
from bmvbot.core.errors import InvariantError
from bmvbot.core.grid import MAX_PRICE_LOTS, AvailableFunds, GridBuilder
from bmvbot.core.types import (
    BaseLots,
    BookLevel,
    Grid,
    L2Snapshot,
    Level,
    MarketSpec,
    PriceLots,
    Side,
)

MARKET = MarketSpec()
FLAT = GridParams(
    levels_per_side=4,
    step_fraction=0.01,
    gamma=1.0,
    size_multiplier=1.0,
    bid_depth_base_lots=400,
    ask_depth_base_lots=400,
)


def builder(params: GridParams = FLAT, market: MarketSpec = MARKET) -> GridBuilder:
    return GridBuilder(params, market)


def flat(**changes: Any) -> GridParams:
    return dataclasses.replace(FLAT, **changes)


def prices(levels: tuple[Level, ...]) -> list[int]:
    return [level.price_lots for level in levels]


def sizes(levels: tuple[Level, ...]) -> list[int]:
    return [level.size_base_lots for level in levels]


def bl(price: int, size: int) -> BookLevel:
    return BookLevel(PriceLots(price), BaseLots(size))


def test_grid_build_flat_levels_match_formula() -> None:
    grid = builder().build(10_000.0)

    assert prices(grid.bids) == [9_900, 9_800, 9_700, 9_600]
    assert prices(grid.asks) == [10_100, 10_200, 10_300, 10_400]
    assert sizes(grid.bids) == sizes(grid.asks) == [100, 100, 100, 100]
    assert all(level.side is Side.BID for level in grid.bids)
    assert all(level.side is Side.ASK for level in grid.asks)


def test_grid_build_levels_equal_plain_level_values() -> None:
    grid = builder().build(10_000.0)

    first = grid.bids[0]

    assert first == Level(Side.BID, PriceLots(9_900), BaseLots(100))
    assert hash(first) == hash(Level(Side.BID, PriceLots(9_900), BaseLots(100)))


def test_grid_level_layout_is_what_the_builder_fills() -> None:
    # GridBuilder fills Level's three slots directly; a new field must be added there too
    assert [field.name for field in dataclasses.fields(Level)] == [
        "side",
        "price_lots",
        "size_base_lots",
    ]


def test_grid_build_absolute_step_with_gamma() -> None:
    grid = builder(flat(step_price_lots=10, gamma=2.0)).build(1_000.0)

    assert prices(grid.bids) == [990, 960, 910, 840]
    assert prices(grid.asks) == [1_010, 1_040, 1_090, 1_160]


def test_grid_build_sizes_grow_geometrically() -> None:
    grid = builder(flat(size_multiplier=2.0, bid_depth_base_lots=15, ask_depth_base_lots=16)).build(
        10_000.0
    )

    assert sizes(grid.bids) == [1, 2, 4, 8]
    assert sizes(grid.asks) == [1, 2, 4, 8]


def test_grid_build_deep_side_sizes_round_down_exactly() -> None:
    params = flat(levels_per_side=2, bid_depth_base_lots=9_481_831_419)

    grid = builder(params).build(10_000.0)

    assert sizes(grid.bids) == [4_740_915_709, 4_740_915_709]


def test_grid_build_deep_prices_round_to_the_safe_side() -> None:
    params = flat(levels_per_side=1, step_price_lots=1)

    grid = builder(params).build(2_000_000_000.7)

    assert prices(grid.bids) == [1_999_999_999]
    assert prices(grid.asks) == [2_000_000_002]


def test_grid_build_defaults_give_sixteen_levels_per_side() -> None:
    grid = builder(GridParams()).build(12_345.6)

    assert len(grid.bids) == len(grid.asks) == 16
    assert sum(sizes(grid.bids)) <= 1_000_000
    assert sum(sizes(grid.bids)) >= 1_000_000 - 16


def test_grid_build_small_levels_are_dropped_without_taking_a_tick() -> None:
    params = flat(size_multiplier=2.0, bid_depth_base_lots=15, ask_depth_base_lots=15)
    grid = builder(dataclasses.replace(params, min_size_base_lots=3)).build(10_000.0)

    assert prices(grid.bids) == [9_700, 9_600]
    assert sizes(grid.bids) == [4, 8]
    assert builder(params).size_base_lots(Side.ASK) == (1, 2, 4, 8)


def test_grid_build_zero_depth_gives_empty_side() -> None:
    grid = builder(flat(bid_depth_base_lots=0)).build(10_000.0)

    assert grid.bids == ()
    assert len(grid.asks) == 4
    assert builder(flat(bid_depth_base_lots=0)).size_base_lots(Side.BID) == (0, 0, 0, 0)


def test_grid_build_levels_never_share_a_tick() -> None:
    grid = builder(flat(step_price_lots=1, gamma=0.5)).build(3.0)

    assert prices(grid.bids) == [2, 1]
    assert prices(grid.asks) == [4, 5, 6, 7]


@pytest.mark.parametrize(
    ("pivot", "step_fraction", "best_bid", "best_ask"),
    [
        (100.0, 1e-6, 99, 101),
        (100.0, 1e-12, 99, 101),
        (100.5, 1e-6, 100, 101),
        (100.001, 1e-6, 100, 101),
    ],
)
def test_grid_build_tiny_step_stays_strictly_off_pivot(
    pivot: float, step_fraction: float, best_bid: int, best_ask: int
) -> None:
    grid = builder(flat(step_fraction=step_fraction)).build(pivot)

    assert grid.bids[0].price_lots == best_bid
    assert grid.asks[0].price_lots == best_ask


def test_grid_build_non_positive_bids_are_dropped() -> None:
    grid = builder(flat(step_fraction=0.4)).build(10.0)

    assert prices(grid.bids) == [6, 2]
    assert prices(grid.asks) == [14, 18, 22, 26]


def test_grid_build_asks_beyond_i64_are_dropped() -> None:
    grid = builder().build(float(2**63))

    assert grid.asks == ()
    assert all(0 < level.price_lots <= MAX_PRICE_LOTS for level in grid.bids)
    assert len(grid.bids) == 4


@pytest.mark.parametrize("pivot", [math.nan, math.inf, -math.inf, 0.0, -1.0])
def test_grid_build_bad_pivot_raises(pivot: float) -> None:
    with pytest.raises(InvariantError, match="pivot_price_lots must be finite and > 0"):
        builder().build(pivot)


def test_available_funds_negative_raises() -> None:
    with pytest.raises(InvariantError, match="quote_lots must be >= 0"):
        AvailableFunds(quote_lots=-1)
    with pytest.raises(InvariantError, match="base_lots must be >= 0"):
        AvailableFunds(base_lots=-1)


def test_grid_build_bids_scaled_to_quote_funds() -> None:
    grid = builder().build(10_000.0, funds=AvailableFunds(quote_lots=1_950_000))

    assert sizes(grid.bids) == [50, 50, 50, 50]
    assert sizes(grid.asks) == [100, 100, 100, 100]


def test_grid_build_enough_funds_keep_sizes() -> None:
    funds = AvailableFunds(quote_lots=3_900_000, base_lots=400)

    grid = builder().build(10_000.0, funds=funds)

    assert sizes(grid.bids) == sizes(grid.asks) == [100, 100, 100, 100]


def test_grid_build_maker_fee_is_part_of_bid_cost() -> None:
    market = MarketSpec(maker_fee_ppm=1_000, taker_fee_ppm=1_000)
    exact = 3_900_000 + 990 + 980 + 970 + 960

    fits = builder(market=market).build(10_000.0, funds=AvailableFunds(quote_lots=exact))
    short = builder(market=market).build(10_000.0, funds=AvailableFunds(quote_lots=exact - 1))

    assert sizes(fits.bids) == [100, 100, 100, 100]
    assert sizes(short.bids) == [99, 99, 99, 99]


def test_grid_build_no_quote_gives_no_bids() -> None:
    market = MarketSpec(maker_fee_ppm=1_000, taker_fee_ppm=1_000)

    grid = builder(market=market).build(10_000.0, funds=AvailableFunds(quote_lots=3))

    assert grid.bids == ()
    assert len(grid.asks) == 4


def test_grid_build_asks_scaled_to_base_funds() -> None:
    grid = builder().build(10_000.0, funds=AvailableFunds(base_lots=203))

    assert sizes(grid.asks) == [50, 50, 50, 50]
    assert builder().build(10_000.0, funds=AvailableFunds(base_lots=0)).asks == ()


WALLS = flat(wall_threshold_quote_lots=1_000_000, max_front_run_ticks=100)
WALL_BOOK = L2Snapshot(
    bids=(bl(9_950, 1), bl(9_850, 1_000), bl(9_700, 1)),
    asks=(bl(10_050, 1), bl(10_150, 1_000), bl(10_300, 1)),
)


def test_grid_build_front_runs_walls_on_both_sides() -> None:
    grid = builder(WALLS).build(10_000.0, book=WALL_BOOK)

    assert prices(grid.bids) == [9_900, 9_851, 9_700, 9_600]
    assert prices(grid.asks) == [10_100, 10_149, 10_300, 10_400]


def test_grid_build_own_orders_are_no_wall() -> None:
    own = Grid(
        bids=(Level(Side.BID, PriceLots(9_850), BaseLots(1_000)),),
        asks=(Level(Side.ASK, PriceLots(10_150), BaseLots(999)),),
    )

    grid = builder(WALLS).build(10_000.0, book=WALL_BOOK, own=own)

    assert prices(grid.bids) == [9_900, 9_800, 9_700, 9_600]
    assert prices(grid.asks) == [10_100, 10_200, 10_300, 10_400]


def test_grid_build_without_book_or_threshold_keeps_prices() -> None:
    unshifted = [9_900, 9_800, 9_700, 9_600]

    no_book = builder(WALLS).build(10_000.0)
    empty_book = builder(WALLS).build(10_000.0, book=L2Snapshot())
    no_threshold = builder(flat(max_front_run_ticks=100)).build(10_000.0, book=WALL_BOOK)

    assert prices(no_book.bids) == prices(empty_book.bids) == unshifted
    assert prices(no_threshold.bids) == unshifted


def test_grid_build_wall_shift_never_crosses_spread_or_pivot() -> None:
    params = flat(wall_threshold_quote_lots=1_000_000, max_front_run_ticks=200, front_run_ticks=2)
    tight = L2Snapshot(bids=(bl(9_999, 1_000),), asks=(bl(10_000, 1_000),))
    crossed = L2Snapshot(bids=(bl(10_005, 1_000),), asks=(bl(10_010, 1),))

    at_spread = builder(params).build(10_000.0, book=tight)
    past_pivot = builder(params).build(10_000.0, book=crossed)

    assert prices(at_spread.bids)[0] == 9_900
    assert prices(at_spread.asks)[0] == 10_100
    assert prices(past_pivot.bids)[0] == 9_900
    assert prices(past_pivot.asks)[0] == 10_100


def test_grid_build_malformed_book_raises() -> None:
    book = L2Snapshot(bids=(bl(9_000, 1), bl(9_500, 1)))

    with pytest.raises(InvariantError, match="sorted best first"):
        builder(WALLS).build(10_000.0, book=book)


def test_grid_builder_exposes_params() -> None:
    assert builder().params is FLAT
