import dataclasses
import itertools

from hypothesis import given
from hypothesis import strategies as st

from bmvbot.core.book import external_book, find_walls, scan_walls
from bmvbot.core.config import GridParams
from bmvbot.core.grid import AvailableFunds, GridBuilder
from bmvbot.core.types import (
    FEES_SCALE,
    BaseLots,
    BookLevel,
    Grid,
    L2Snapshot,
    Level,
    MarketSpec,
    PriceLots,
    Side,
)

pivots = st.floats(min_value=0.5, max_value=1e12, allow_nan=False, allow_infinity=False)


@st.composite
def grid_params(draw: st.DrawFn, with_walls: bool = False) -> GridParams:
    front_run_ticks = draw(st.integers(1, 2))
    return GridParams(
        levels_per_side=draw(st.integers(1, 64)),
        step_fraction=draw(st.floats(1e-6, 0.49)),
        step_price_lots=draw(st.none() | st.integers(1, 10_000)),
        gamma=draw(st.floats(0.5, 3.0)),
        size_multiplier=draw(st.floats(1.0, 3.0)),
        bid_depth_base_lots=draw(st.integers(0, 10**12)),
        ask_depth_base_lots=draw(st.integers(0, 10**12)),
        min_size_base_lots=draw(st.integers(1, 5)),
        wall_threshold_quote_lots=draw(st.integers(1, 10**9)) if with_walls else 0,
        front_run_ticks=front_run_ticks,
        max_front_run_ticks=draw(st.integers(front_run_ticks, 50)),
        l2_scan_depth=draw(st.integers(1, 30)),
    )


def is_strictly_monotone(prices: list[int], sign: int) -> bool:
    return all((b - a) * sign > 0 for a, b in itertools.pairwise(prices))


def prices(levels: tuple[Level, ...]) -> list[int]:
    return [level.price_lots for level in levels]


@given(params=grid_params(), pivot=pivots)
def test_grid_levels_move_strictly_away_from_pivot_on_ticks(
    params: GridParams, pivot: float
) -> None:
    grid = GridBuilder(params, MarketSpec()).build(pivot)

    bids, asks = prices(grid.bids), prices(grid.asks)

    assert all(type(price) is int and price > 0 for price in bids + asks)
    assert all(price < pivot for price in bids)
    assert all(price > pivot for price in asks)
    assert is_strictly_monotone(bids, -1)
    assert is_strictly_monotone(asks, 1)


@given(params=grid_params(), pivot=pivots)
def test_grid_side_sizes_sum_to_depth_within_a_lot_per_level(
    params: GridParams, pivot: float
) -> None:
    params = dataclasses.replace(params, min_size_base_lots=1)
    builder = GridBuilder(params, MarketSpec())

    grid = builder.build(pivot)

    for side, levels, depth in (
        (Side.BID, grid.bids, params.bid_depth_base_lots),
        (Side.ASK, grid.asks, params.ask_depth_base_lots),
    ):
        total = sum(level.size_base_lots for level in levels)
        is_any_dropped_for_price = len(levels) < sum(map(bool, builder.size_base_lots(side)))
        if not is_any_dropped_for_price:
            assert depth - params.levels_per_side <= total <= depth


@st.composite
def books(draw: st.DrawFn, pivot: float) -> L2Snapshot:
    center = max(2, round(pivot))
    spread_from = max(1, center - draw(st.integers(0, 3 * center)))
    bid_prices = draw(st.lists(st.integers(1, center + 5), max_size=25, unique=True))
    ask_floor = max([*bid_prices, spread_from]) + 1
    ask_prices = draw(
        st.lists(st.integers(ask_floor, ask_floor + 3 * center), max_size=25, unique=True)
    )
    size = st.integers(1, 10**7)
    return L2Snapshot(
        bids=tuple(
            BookLevel(PriceLots(p), BaseLots(draw(size))) for p in sorted(bid_prices, reverse=True)
        ),
        asks=tuple(BookLevel(PriceLots(p), BaseLots(draw(size))) for p in sorted(ask_prices)),
    )


@given(data=st.data(), params=grid_params(with_walls=True))
def test_grid_wall_shift_never_crosses(data: st.DataObject, params: GridParams) -> None:
    pivot = data.draw(st.floats(2.0, 1e6))
    book = data.draw(books(pivot))
    builder = GridBuilder(params, MarketSpec())
    plain = builder.build(pivot)
    own = data.draw(st.sampled_from([Grid(), plain]))

    grid = builder.build(pivot, book=book, own=own)

    bids, asks = prices(grid.bids), prices(grid.asks)
    assert not bids or not asks or max(bids) < min(asks)
    assert is_strictly_monotone(bids, -1)
    assert is_strictly_monotone(asks, 1)
    external = external_book(book, own, params.l2_scan_depth)
    for moved, computed, best_opposite, sign in (
        (bids, prices(plain.bids), external.best_ask, 1),
        (asks, prices(plain.asks), external.best_bid, -1),
    ):
        assert len(moved) == len(computed)
        for new, old in zip(moved, computed, strict=True):
            assert 0 <= (new - old) * sign <= params.max_front_run_ticks
            if new != old:
                assert (new - pivot) * sign < 0
                assert best_opposite is None or (best_opposite - new) * sign > 0


@given(
    params=grid_params(),
    pivot=st.floats(1.0, 1e9),
    quote_lots=st.integers(0, 10**15),
    base_lots=st.integers(0, 10**12),
    maker_fee_ppm=st.integers(-1_000, 10_000),
)
def test_grid_never_locks_more_than_funds(
    params: GridParams, pivot: float, quote_lots: int, base_lots: int, maker_fee_ppm: int
) -> None:
    market = MarketSpec(maker_fee_ppm=maker_fee_ppm, taker_fee_ppm=10_000)
    funds = AvailableFunds(quote_lots=quote_lots, base_lots=base_lots)

    grid = GridBuilder(params, market).build(pivot, funds=funds)

    fee = max(maker_fee_ppm, 0)
    cost = 0
    for level in grid.bids:
        quote = level.price_lots * level.size_base_lots
        cost += quote + -(-quote * fee // FEES_SCALE)
    assert cost <= quote_lots
    assert sum(level.size_base_lots for level in grid.asks) <= base_lots
    assert all(level.size_base_lots >= params.min_size_base_lots for level in grid.levels)


@given(data=st.data(), depth=st.integers(1, 30), threshold=st.integers(0, 10**9))
def test_grid_l2_scan_matches_reference(data: st.DataObject, depth: int, threshold: int) -> None:
    book = data.draw(books(1_000.0))
    own_sizes = st.lists(st.none() | st.integers(1, 10**7), min_size=25, max_size=25)
    bid_sizes, ask_sizes = data.draw(own_sizes), data.draw(own_sizes)
    # some of our orders rest on book prices, a few split over two wallets
    own = Grid(
        bids=tuple(
            Level(Side.BID, level.price_lots, BaseLots(size))
            for level, size in zip(book.bids, bid_sizes, strict=False)
            if size is not None
            for _ in range(1 + size % 2)
        ),
        asks=tuple(
            Level(Side.ASK, level.price_lots, BaseLots(size))
            for level, size in zip(book.asks, ask_sizes, strict=False)
            if size is not None
            for _ in range(1 + size % 2)
        ),
    )

    external = external_book(book, own, depth)
    scan = scan_walls(book, own, depth, threshold)

    for levels, mine, got in (
        (book.bids, own.bids, external.bids),
        (book.asks, own.asks, external.asks),
    ):
        expected = []
        for level in levels:
            left = level.size_base_lots - sum(
                o.size_base_lots for o in mine if o.price_lots == level.price_lots
            )
            if left > 0:
                expected.append(BookLevel(level.price_lots, BaseLots(left)))
        assert list(got) == expected[:depth]
    assert scan.best_bid_price_lots == external.best_bid
    assert scan.best_ask_price_lots == external.best_ask
    assert scan.bid_wall_prices == find_walls(external.bids, threshold)
    assert scan.ask_wall_prices == find_walls(external.asks, threshold)
