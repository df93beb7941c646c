from __future__ import annotations

from bmvbot.core.types import Side
from bmvbot.exchange import RestingOrder, order_id_for
from bmvbot.exchange.book import BookSide


def _order(side: Side, price: int, seq: int, quantity: int = 1, tif: int = 0) -> RestingOrder:
    return RestingOrder(
        side, order_id_for(side, price, seq), price, quantity, "owner", 0, 100, tif, seq, seq
    )


def test_book_bids_iterate_best_price_first_then_fifo() -> None:
    book = BookSide(Side.BID)
    for price, seq in ((100, 1), (102, 2), (100, 3), (101, 4)):
        book.insert(_order(Side.BID, price, seq))

    order = [(o.price_lots, o.seq_num) for o in book.iter_orders()]

    assert order == [(102, 2), (101, 4), (100, 1), (100, 3)]
    assert order == [
        (o.price_lots, o.seq_num) for o in sorted(book.by_id.values(), key=lambda o: -o.order_id)
    ]


def test_book_asks_iterate_in_ascending_order_id() -> None:
    book = BookSide(Side.ASK)
    for price, seq in ((100, 1), (99, 2), (100, 3)):
        book.insert(_order(Side.ASK, price, seq))

    ids = [o.order_id for o in book.iter_orders()]

    assert ids == sorted(ids)
    assert book.best_price(now_s=0) == 99


def test_book_rollback_restores_fifo_positions_and_quantities() -> None:
    book = BookSide(Side.ASK)
    orders = [_order(Side.ASK, 100, seq, quantity=5) for seq in range(1, 5)]
    for order in orders:
        book.insert(order)
    before = [(o.order_id, o.quantity) for o in book.iter_orders()]
    bump_index = book.bump_index
    book.begin_journal()

    book.remove(orders[1])
    book.set_quantity(orders[0], 2)
    book.remove(orders[3])
    book.insert(_order(Side.ASK, 98, 9))
    book.rollback(bump_index)

    assert [(o.order_id, o.quantity) for o in book.iter_orders()] == before
    assert book.prices == [100]
    assert book.bump_index == bump_index


def test_book_capacity_full_at_512_orders() -> None:
    book = BookSide(Side.BID)
    for seq in range(1, 512):
        book.insert(_order(Side.BID, 1000 + seq, seq))
    was_full = book.is_full

    book.insert(_order(Side.BID, 5000, 600))

    assert not was_full
    assert book.is_full
    assert book.bump_index == 1023
    assert book.free_list_len == 0


def test_book_free_list_counts_released_nodes() -> None:
    book = BookSide(Side.ASK)
    orders = [_order(Side.ASK, 100 + seq, seq) for seq in range(1, 4)]
    for order in orders:
        book.insert(order)

    book.remove(orders[0])

    assert (book.bump_index, book.free_list_len) == (5, 2)


def test_book_worst_order_is_lowest_bid_newest_first() -> None:
    book = BookSide(Side.BID)
    for price, seq in ((100, 1), (100, 2), (105, 3)):
        book.insert(_order(Side.BID, price, seq))

    worst = book.worst_order()

    assert worst is not None
    assert (worst.price_lots, worst.seq_num) == (100, 2)


def test_book_earliest_expired_needs_expiry_strictly_before_now() -> None:
    book = BookSide(Side.ASK)
    book.insert(_order(Side.ASK, 100, 1, tif=10))
    book.insert(_order(Side.ASK, 101, 2, tif=10))

    assert book.earliest_expired(now_s=110) is None
    expired = book.earliest_expired(now_s=111)
    assert expired is not None
    assert expired.seq_num == 1


def test_book_best_price_skips_expired_orders() -> None:
    book = BookSide(Side.ASK)
    book.insert(_order(Side.ASK, 100, 1, tif=10))
    book.insert(_order(Side.ASK, 103, 2))

    assert book.best_price(now_s=109) == 100
    assert book.best_price(now_s=110) == 103
    assert book.depth(now_s=110, levels=5) == [(103, 1)]
