"""The indexed tape book and the queue-position fill model, against a row-by-row reference."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.tape_generator import generate_tape

from bmvbot.adapters.tape.book import NO_ASK, NO_BID, TapeBook
from bmvbot.adapters.tape.loader import ASK, BID, TapeColumns, read_tape
from bmvbot.adapters.tape.market import NumpyTapeMarket
from bmvbot.core.types import BaseLots, BookLevel, Grid, L2Snapshot, Level, PriceLots, Side
from bmvbot.ports.tape import EVERY_EVENT, DecimalStep, ReplayLatency, ReplayWatch
from bmvbot.services.market_view import market_price_lots

TICK = DecimalStep.parse("0.0001", "tick")
LOT = DecimalStep.parse("0.01", "lot")
Fill = tuple[int, int, int, int]


def _tape(
    tmp_path: Path, rows: int, seed: int, *, depth: int, trade_share: float = 0.12
) -> TapeColumns:
    path = generate_tape(
        tmp_path / f"tape{seed}.csv", rows, seed=seed, depth=depth, trade_share=trade_share
    )
    return read_tape(path, TICK, LOT)


def _rows(columns: TapeColumns) -> list[tuple[int, bool, int, int, int]]:
    return list(
        zip(
            columns.ts_ns.tolist(),
            columns.is_trade.tolist(),
            columns.side.tolist(),
            columns.price_lots.tolist(),
            columns.size_base_lots.tolist(),
            strict=True,
        )
    )


def _snapshot(books: list[dict[int, int]], depth: int) -> L2Snapshot:
    bids = sorted(books[BID].items(), reverse=True)[:depth]
    asks = sorted(books[ASK].items())[:depth]
    return L2Snapshot(
        bids=tuple(BookLevel(PriceLots(p), BaseLots(s)) for p, s in bids),
        asks=tuple(BookLevel(PriceLots(p), BaseLots(s)) for p, s in asks),
    )


def _apply(books: list[dict[int, int]], side: int, price: int, size: int) -> None:
    if size:
        books[side][price] = size
    else:
        books[side].pop(price, None)


def _handmade(tmp_path: Path) -> TapeColumns:
    path = tmp_path / "hand.csv"
    path.write_text(
        "ts_ns,kind,side,price,qty\n"
        "1,trade,buy,1.0000,1\n"
        "2,book,bid,0.9990,5\n"
        "3,book,ask,1.0010,5\n"
        "4,book,bid,0.9990,0\n"
        "5,book,bid,0.9995,2\n"
        "6,book,ask,1.0010,0\n"
        "7,trade,sell,0.9995,1\n"
        "8,book,ask,1.0005,3\n"
    )
    return read_tape(path, TICK, LOT)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tape_book_arrays_match_row_by_row_book(tmp_path: Path, seed: int) -> None:
    columns = _tape(tmp_path, 4_000, seed, depth=12)
    book = TapeBook(columns)
    books: list[dict[int, int]] = [{}, {}]
    last_trade: int | None = None

    for index, (_, is_trade, side, price, size) in enumerate(_rows(columns)):
        if is_trade:
            last_trade = price
        else:
            _apply(books, side, price, size)
        snapshot = _snapshot(books, 5)
        expected = market_price_lots(snapshot, last_trade)

        assert book.best_bid[index] == (snapshot.best_bid or NO_BID)
        assert book.best_ask[index] == (snapshot.best_ask or NO_ASK)
        assert book.market_price[index] == expected
        if index % 97 == 0:
            assert book.snapshot(index, 5) == snapshot
            prices = np.array([*sorted(books[BID])[:3], 1], dtype=np.int64)
            shown = [books[BID].get(int(p), 0) for p in prices]
            assert book.displayed(BID, prices, index).tolist() == shown


def test_tape_book_empty_sides_market_price_falls_back(tmp_path: Path) -> None:
    book = TapeBook(_handmade(tmp_path))

    assert book.best_bid.tolist() == [NO_BID, 9990, 9990, NO_BID, 9995, 9995, 9995, 9995]
    assert book.best_ask.tolist() == [NO_ASK, NO_ASK, 10010, 10010, 10010, NO_ASK, NO_ASK, 10005]
    assert book.market_price.tolist() == [
        10000.0,
        9990.0,
        10000.0,
        10010.0,
        10002.5,
        9995.0,
        9995.0,
        10000.0,
    ]
    assert book.snapshot(5, 1) == L2Snapshot(bids=(BookLevel(PriceLots(9995), BaseLots(200)),))


# -- the fill model ----------------------------------------------------------------------------


def _reference_fills(
    columns: TapeColumns, placed_after: int, levels: list[tuple[int, int, int]]
) -> tuple[list[Fill], int]:
    # tape v1 semantics row by row: books as dicts, orders as [side, price, leaves, queue]
    books: list[dict[int, int]] = [{}, {}]
    orders: list[list[int]] = []
    fills: list[Fill] = []
    rejects = 0
    for index, (ts, is_trade, side, price, size) in enumerate(_rows(columns)):
        if index > placed_after:
            if is_trade:
                _reference_print(orders, fills, ts, side, price, size)
            else:
                _apply(books, side, price, size)
                _reference_book_row(books, orders, fills, ts, side, price, size)
        elif not is_trade:
            _apply(books, side, price, size)
        if index == placed_after:
            for level_side, level_price, level_size in levels:
                best_ask = min(books[ASK], default=NO_ASK)
                best_bid = max(books[BID], default=NO_BID)
                crosses = level_price >= best_ask if level_side == BID else level_price <= best_bid
                if crosses:
                    rejects += 1
                    continue
                shown = books[level_side].get(level_price, 0)
                orders.append([level_side, level_price, level_size, shown])
    return fills, rejects


def _reference_print(
    orders: list[list[int]], fills: list[Fill], ts: int, side: int, price: int, size: int
) -> None:
    for order in list(orders):
        if order[0] != side:
            continue
        better = order[1] > price if side == BID else order[1] < price
        if better:
            fills.append((ts, side, order[1], order[2]))
            orders.remove(order)
        elif order[1] == price:
            order[3] -= size
            if order[3] < 0:
                filled = min(-order[3], order[2])
                order[3] = 0
                order[2] -= filled
                fills.append((ts, side, order[1], filled))
                if order[2] == 0:
                    orders.remove(order)


def _reference_book_row(
    books: list[dict[int, int]],
    orders: list[list[int]],
    fills: list[Fill],
    ts: int,
    side: int,
    price: int,
    size: int,
) -> None:
    for order in orders:
        if order[0] == side and order[1] == price:
            order[3] = min(order[3], size)
    best_ask = min(books[ASK], default=NO_ASK)
    best_bid = max(books[BID], default=NO_BID)
    for order in list(orders):
        crossed = order[1] >= best_ask if order[0] == BID else order[1] <= best_bid
        if crossed:
            fills.append((ts, order[0], order[1], order[2]))
            orders.remove(order)


def _market_fills(
    columns: TapeColumns, placed_after: int, grid: Grid
) -> tuple[list[Fill], NumpyTapeMarket]:
    market = NumpyTapeMarket(TapeBook(columns), ReplayLatency())
    step = market.advance(EVERY_EVENT)
    while step is not None and step.index < placed_after:
        step = market.advance(EVERY_EVENT)
    market.replace(grid)
    fills: list[Fill] = []
    while (step := market.advance(ReplayWatch())) is not None:
        fills.extend((f.ts_ns, int(f.side), f.price_lots, f.size_base_lots) for f in step.fills)
    return fills, market


def _grid_near_touch(book: TapeBook, index: int, offsets: list[int]) -> Grid:
    bid, ask = int(book.best_bid[index]), int(book.best_ask[index])
    bids = tuple(Level(Side.BID, PriceLots(bid - k), BaseLots(300 + 50 * k)) for k in offsets)
    asks = tuple(Level(Side.ASK, PriceLots(ask + k), BaseLots(300 + 50 * k)) for k in offsets)
    return Grid(bids=bids, asks=asks)


@pytest.mark.parametrize(("seed", "offsets"), [(4, [0, 1, 3]), (5, [0, 2]), (6, [-1, 0, 5])])
def test_tape_market_fills_match_row_by_row_reference(
    tmp_path: Path, seed: int, offsets: list[int]
) -> None:
    columns = _tape(tmp_path, 5_000, seed, depth=10, trade_share=0.25)
    placed_after = 120
    grid = _grid_near_touch(TapeBook(columns), placed_after, offsets)
    levels = [(int(lv.side), int(lv.price_lots), int(lv.size_base_lots)) for lv in grid.levels]
    expected, rejects = _reference_fills(columns, placed_after, levels)

    actual, market = _market_fills(columns, placed_after, grid)

    assert expected, "the scenario must fill something"
    assert sorted(actual) == sorted(expected)
    assert market.counters.post_only_rejects == rejects
    assert market.counters.orders_submitted == len(levels)


def test_tape_market_queue_ahead_shrinks_with_book_and_prints(tmp_path: Path) -> None:
    path = tmp_path / "queue.csv"
    path.write_text(
        "ts_ns,kind,side,price,qty\n"
        "1,book,bid,0.9999,10\n"
        "2,book,ask,1.0001,10\n"
        "3,book,bid,0.9999,4\n"
        "4,trade,sell,0.9999,3\n"
        "5,trade,sell,0.9999,3\n"
        "6,trade,sell,0.9999,5\n"
    )
    columns = read_tape(path, TICK, LOT)
    grid = Grid(bids=(Level(Side.BID, PriceLots(9999), BaseLots(400)),))

    fills, market = _market_fills(columns, 1, grid)

    # queue 10.00 -> 4.00 (book) -> 1.00 -> fill 2.00 of 4.00 -> fill the remaining 2.00
    assert fills == [(5, BID, 9999, 200), (6, BID, 9999, 200)]
    assert market.counters.open_orders == 0


def test_tape_market_kept_order_keeps_queue_and_crossing_rejected(tmp_path: Path) -> None:
    path = tmp_path / "keep.csv"
    path.write_text(
        "ts_ns,kind,side,price,qty\n"
        "1,book,bid,0.9999,10\n"
        "2,book,ask,1.0001,10\n"
        "3,book,bid,0.9999,30\n"
        "4,trade,sell,0.9999,10.5\n"
    )
    market = NumpyTapeMarket(TapeBook(read_tape(path, TICK, LOT)), ReplayLatency())
    first = Level(Side.BID, PriceLots(9999), BaseLots(100))
    market.advance(EVERY_EVENT)
    market.advance(EVERY_EVENT)
    market.replace(Grid(bids=(first,)))
    market.advance(EVERY_EVENT)
    crossing = Level(Side.ASK, PriceLots(9999), BaseLots(100))

    market.replace(Grid(bids=(first,), asks=(crossing,)))
    step = market.advance(EVERY_EVENT)

    assert step is not None
    # queue stayed at 10.00 (placed before the level grew to 30.00): 0.50 fills
    assert [(f.price_lots, f.size_base_lots) for f in step.fills] == [(9999, 50)]
    assert market.counters == type(market.counters)(2, 1, 1)


@pytest.mark.parametrize(
    ("latency", "filled_lots"),
    [(ReplayLatency(), 1), (ReplayLatency(events=2), 0), (ReplayLatency(ns=2), 0)],
)
def test_tape_market_latency_orders_arrive_late(
    tmp_path: Path, latency: ReplayLatency, filled_lots: int
) -> None:
    path = tmp_path / "late.csv"
    path.write_text(
        "ts_ns,kind,side,price,qty\n"
        "1,book,bid,0.9999,10\n"
        "3,book,ask,1.0001,10\n"
        "4,book,ask,1.0002,10\n"
        "5,book,ask,1.0003,10\n"
        "6,book,ask,1.0001,0\n"
        "7,trade,buy,1.0002,0.01\n"
    )
    market = NumpyTapeMarket(TapeBook(read_tape(path, TICK, LOT)), latency)
    market.advance(EVERY_EVENT)
    market.advance(EVERY_EVENT)
    # sent after ts 3: at once, the ask is first at 1.0002 (nothing shown there yet); two
    # events (or 2 ns) later it queues behind the 10.00 shown since ts 4
    market.replace(Grid(asks=(Level(Side.ASK, PriceLots(10002), BaseLots(100)),)))

    steps = []
    while (step := market.advance(ReplayWatch())) is not None:
        steps.append(step)

    assert sum(f.size_base_lots for s in steps for f in s.fills) == filled_lots
    assert steps[-1].ts_ns == 7
    assert not steps[-1].is_pending


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    placed_after=st.integers(0, 300),
    offsets=st.lists(st.integers(-1, 6), min_size=1, max_size=4, unique=True),
)
def test_tape_market_random_tapes_match_reference(
    seed: int, placed_after: int, offsets: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = generate_tape(Path(folder) / "t.csv", 1_500, seed=seed, depth=8, trade_share=0.3)
        columns = read_tape(path, TICK, LOT)
    grid = _grid_near_touch(TapeBook(columns), placed_after, offsets)
    levels = [(int(lv.side), int(lv.price_lots), int(lv.size_base_lots)) for lv in grid.levels]
    expected, rejects = _reference_fills(columns, placed_after, levels)

    actual, market = _market_fills(columns, placed_after, grid)

    assert sorted(actual) == sorted(expected)
    assert market.counters.post_only_rejects == rejects


def test_tape_market_sent_at_last_event_rests_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "end.csv"
    path.write_text("ts_ns,kind,side,price,qty\n1,book,bid,0.9999,10\n2,book,ask,1.0001,10\n")
    market = NumpyTapeMarket(TapeBook(read_tape(path, TICK, LOT)), ReplayLatency())
    market.advance(EVERY_EVENT)
    last = market.advance(EVERY_EVENT)
    grid = Grid(
        bids=(Level(Side.BID, PriceLots(9998), BaseLots(100)),),
        asks=(Level(Side.ASK, PriceLots(10001), BaseLots(100)),),
    )

    market.replace(grid)
    after = market.advance(ReplayWatch())

    assert last is not None
    assert last.index == 1
    assert after is None
    assert market.counters == type(market.counters)(2, 0, 2)
