"""The event heap of an OpenBook V2 market: Fill and Out events waiting for the crank.

A maker's fill or an evicted / expired order's release reaches its OpenOrders account only when
the event is processed (``consume_events``), unless the taker passed that account along. The
heap reproduces the program's 600 fixed slots, its free list and its FIFO ring, so slot numbers
(which ``consume_given_events`` addresses) match the program's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from bmvbot.core.types import Side

MAX_NUM_EVENTS = 600
"""Slots in an EventHeap account."""
NO_NODE = 0xFFFF


class FillEvent(NamedTuple):
    """A match between a taker and a resting (maker) order, at the maker's price.

    Attributes:
        taker_side: the taker's side.
        maker_out: True when the maker order left the book (fully filled).
        maker_slot: the maker order's slot in its OpenOrders account.
        timestamp: unix seconds of the match.
        seq_num: the heap's event counter when the event was created (v1.7).
        maker: the maker's OpenOrders account.
        maker_timestamp: when the maker order was placed.
        taker: the taker's OpenOrders account (the signer for take orders).
        taker_client_order_id: the taker's client id.
        price: price in lots.
        peg_limit: -1 for fixed orders.
        quantity: base lots filled.
        maker_client_order_id: the maker's client id.
    """

    taker_side: Side
    maker_out: bool
    maker_slot: int
    timestamp: int
    seq_num: int
    maker: str
    maker_timestamp: int
    taker: str
    taker_client_order_id: int
    price: int
    peg_limit: int
    quantity: int
    maker_client_order_id: int

    @property
    def owner(self) -> str:
        """Return the OpenOrders account this event must reach (the maker)."""
        return self.maker


class OutEvent(NamedTuple):
    """An order removed from the book without a fill (expired or evicted).

    Attributes:
        side: the removed order's side.
        owner_slot: its slot in the owner's OpenOrders account.
        timestamp: unix seconds of the removal.
        seq_num: the heap's event counter when the event was created.
        owner: the owner's OpenOrders account.
        quantity: base lots released.
    """

    side: Side
    owner_slot: int
    timestamp: int
    seq_num: int
    owner: str
    quantity: int


Event = FillEvent | OutEvent


class EventHeap:
    """The 600-slot event heap, with the program's slot allocation and FIFO order."""

    __slots__ = ("count", "events", "free_head", "next", "prev", "seq_num", "used_head")

    def __init__(self) -> None:
        self.free_head = 0
        self.used_head = NO_NODE
        self.count = 0
        self.seq_num = 0
        self.next = [*range(1, MAX_NUM_EVENTS), NO_NODE]
        self.prev = [NO_NODE] * MAX_NUM_EVENTS
        self.events: list[Event | None] = [None] * MAX_NUM_EVENTS

    def __len__(self) -> int:
        return self.count

    @property
    def is_full(self) -> bool:
        """Return True when no slot is free."""
        return self.count == MAX_NUM_EVENTS

    def is_free(self, slot: int) -> bool:
        """Return True when ``slot`` holds no event."""
        return self.prev[slot] == NO_NODE

    def push_back(self, event: Event) -> int:
        """Append ``event`` and return its slot.

        Raises:
            OverflowError: the heap is full (the program panics; the caller maps it).
        """
        if self.count == MAX_NUM_EVENTS:
            raise OverflowError("event heap is full")
        slot = self.free_head
        nxt = self.next
        prv = self.prev
        self.free_head = nxt[slot]
        if self.count == 0:
            new_next = new_prev = slot
            self.used_head = slot
        else:
            new_next = self.used_head
            new_prev = prv[new_next]
            nxt[new_prev] = slot
            prv[new_next] = slot
        self.count += 1
        self.seq_num += 1
        self.events[slot] = event
        nxt[slot] = new_next
        prv[slot] = new_prev
        return slot

    def delete_slot(self, slot: int) -> Event:
        """Remove and return the event in ``slot``."""
        event = self.events[slot]
        if event is None or self.prev[slot] == NO_NODE:
            raise KeyError(slot)
        nxt = self.next
        prv = self.prev
        prev_slot = prv[slot]
        next_slot = nxt[slot]
        nxt[prev_slot] = next_slot
        prv[next_slot] = prev_slot
        if self.count == 1:
            self.used_head = NO_NODE
        elif self.used_head == slot:
            self.used_head = next_slot
        self.count -= 1
        nxt[slot] = self.free_head
        prv[slot] = NO_NODE
        self.free_head = slot
        self.events[slot] = None
        return event

    def pop_back(self) -> None:
        """Undo the latest ``push_back`` exactly (free list, ring and counter)."""
        slot = self.prev[self.used_head]
        prev_slot = self.prev[slot]
        if self.count == 1:
            self.used_head = NO_NODE
        else:
            self.next[prev_slot] = self.used_head
            self.prev[self.used_head] = prev_slot
        self.count -= 1
        self.seq_num -= 1
        self.next[slot] = self.free_head
        self.prev[slot] = NO_NODE
        self.free_head = slot
        self.events[slot] = None

    def truncate_to(self, seq_num: int) -> None:
        """Undo every push made since the counter was ``seq_num`` (no deletes in between)."""
        while self.seq_num > seq_num:
            self.pop_back()

    def __iter__(self) -> Iterator[tuple[int, Event]]:
        """Yield ``(slot, event)`` in FIFO order."""
        slot = self.used_head
        events = self.events
        nxt = self.next
        for _ in range(self.count):
            event = events[slot]
            if event is not None:
                yield slot, event
            slot = nxt[slot]

    def at_slot(self, slot: int) -> Event | None:
        """Return the event in ``slot``, None when the slot is free."""
        return self.events[slot]
