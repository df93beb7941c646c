from __future__ import annotations

import pytest

from bmvbot.core.types import Side
from bmvbot.exchange import EventHeap, OutEvent
from bmvbot.exchange.events import MAX_NUM_EVENTS, NO_NODE


def _out(seq: int) -> OutEvent:
    return OutEvent(Side.BID, 0, 1, seq, "owner", 1)


def test_heap_push_uses_free_slots_in_order_and_iterates_fifo() -> None:
    heap = EventHeap()

    slots = [heap.push_back(_out(i)) for i in range(3)]

    assert slots == [0, 1, 2]
    assert [e.seq_num for _, e in heap] == [0, 1, 2]
    assert (heap.count, heap.seq_num, heap.free_head, heap.used_head) == (3, 3, 3, 0)


def test_heap_deleted_slot_is_reused_first() -> None:
    heap = EventHeap()
    for i in range(3):
        heap.push_back(_out(i))

    heap.delete_slot(1)
    slot = heap.push_back(_out(9))

    assert slot == 1
    assert [(s, e.seq_num) for s, e in heap] == [(0, 0), (2, 2), (1, 9)]


def test_heap_deleting_head_moves_used_head() -> None:
    heap = EventHeap()
    for i in range(2):
        heap.push_back(_out(i))

    heap.delete_slot(0)
    heap.delete_slot(1)

    assert (heap.count, heap.used_head, heap.free_head) == (0, NO_NODE, 1)


def test_heap_truncate_undoes_pushes_exactly() -> None:
    heap = EventHeap()
    heap.push_back(_out(0))
    heap.push_back(_out(1))
    heap.delete_slot(0)
    state = (list(heap.next), list(heap.prev), heap.free_head, heap.used_head, heap.count)

    heap.push_back(_out(2))
    heap.push_back(_out(3))
    heap.truncate_to(2)

    assert (list(heap.next), list(heap.prev), heap.free_head, heap.used_head, heap.count) == state
    assert heap.seq_num == 2


def test_heap_full_refuses_push() -> None:
    heap = EventHeap()
    for i in range(MAX_NUM_EVENTS):
        heap.push_back(_out(i))

    with pytest.raises(OverflowError):
        heap.push_back(_out(MAX_NUM_EVENTS))
    assert heap.is_full
