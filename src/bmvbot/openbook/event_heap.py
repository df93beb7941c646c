"""The ``EventHeap`` account (91,288 bytes): node-exact decoder and writer, FIFO walk.

600 nodes of 152 bytes form a circular doubly-linked list of used events in insertion order
plus a free list (fact sheet 5.5). Free nodes keep stale event bytes, so the decoder keeps every
node and the writer reproduces the account byte for byte; ``EventHeap.events`` walks only the
``count`` used nodes from ``used_head``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError, InvariantError
from bmvbot.core.types import Side
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS
from bmvbot.openbook.zerocopy import check_account

EVENT_HEAP_SIZE = 91_288
EVENT_HEAP_DISCRIMINATOR = ACCOUNT_DISCRIMINATORS["EventHeap"]
MAX_EVENTS = 600
NODE_SIZE = 152
EVENT_SIZE = 144
NODES_OFFSET = 24
NO_NODE = 0xFFFF
"""``used_head`` of an empty heap, and ``prev`` of a free node."""
EVENT_TYPE_FILL, EVENT_TYPE_OUT = 0, 1

_HEADER = struct.Struct("<HHH2xQ")  # at 8: free_head, used_head, count, seq_num
_LINKS = struct.Struct("<HH4x")
_FILL = struct.Struct("<BBBB4xQQ32sQ32sQqqqQ8x")
_OUT = struct.Struct("<BBB5xQQ32sq80x")
_RESERVED_OFFSET = NODES_OFFSET + MAX_EVENTS * NODE_SIZE


@dataclass(frozen=True, slots=True)
class FillEvent:
    """A match: ``maker`` and ``taker`` are OpenOrders accounts (the signer for take orders).

    ``seq_num`` is the heap's event counter at push time on v1.7; ``price`` is in lots and
    ``quantity`` in base lots.
    """

    taker_side: Side
    maker_out: bool
    maker_slot: int
    timestamp: int
    seq_num: int
    maker: Pubkey
    maker_timestamp: int
    taker: Pubkey
    taker_client_order_id: int
    price: int
    peg_limit: int
    quantity: int
    maker_client_order_id: int


@dataclass(frozen=True, slots=True)
class OutEvent:
    """An order left the book without a fill (expired or evicted); ``owner`` is its OOA."""

    side: Side
    owner_slot: int
    timestamp: int
    seq_num: int
    owner: Pubkey
    quantity: int


HeapEvent = FillEvent | OutEvent


@dataclass(frozen=True, slots=True)
class EventNode:
    """One heap node; ``event`` is the raw 144 bytes when they are no valid event (free)."""

    next: int
    prev: int
    event: HeapEvent | bytes

    @property
    def is_free(self) -> bool:
        """Return True when the node is on the free list."""
        return self.prev == NO_NODE


@dataclass(frozen=True, slots=True)
class EventHeap:
    """A decoded EventHeap with all 600 nodes; ``seq_num`` counts every event ever pushed."""

    free_head: int
    used_head: int
    count: int
    seq_num: int
    nodes: tuple[EventNode, ...]

    def events(self) -> list[tuple[int, HeapEvent]]:
        """Return ``(slot, event)`` for the used nodes in FIFO order, walked from used_head.

        Raises:
            CodecError: the list leaves the 600 nodes or reaches a node without a valid event.
        """
        out: list[tuple[int, HeapEvent]] = []
        slot = self.used_head
        for _ in range(self.count):
            if not 0 <= slot < len(self.nodes):
                raise CodecError(f"EventHeap used list points at slot {slot}")
            node = self.nodes[slot]
            if isinstance(node.event, bytes):
                raise CodecError(f"EventHeap slot {slot} is in use but holds no valid event")
            out.append((slot, node.event))
            slot = node.next
        return out


def _decode_event(data: bytes, offset: int) -> HeapEvent | bytes:
    if data[offset : offset + EVENT_SIZE] == _ZERO_EVENT_BYTES:
        return _ZERO_EVENT  # never-used nodes: share one immutable value
    event_type, side = data[offset], data[offset + 1]
    if side > 1 or event_type > 1:
        return bytes(data[offset : offset + EVENT_SIZE])
    if event_type == EVENT_TYPE_FILL:
        (_, taker_side, maker_out, maker_slot, ts, seq, maker, maker_ts, taker,
         taker_cid, price, peg, qty, maker_cid) = _FILL.unpack_from(data, offset)  # fmt: skip
        if maker_out > 1:
            return bytes(data[offset : offset + EVENT_SIZE])
        return FillEvent(
            Side(taker_side), maker_out == 1, maker_slot, ts, seq, Pubkey.from_bytes(maker),
            maker_ts, Pubkey.from_bytes(taker), taker_cid, price, peg, qty, maker_cid,
        )  # fmt: skip
    _, out_side, slot, ts, seq, owner, qty = _OUT.unpack_from(data, offset)
    return OutEvent(Side(out_side), slot, ts, seq, Pubkey.from_bytes(owner), qty)


_ZERO_EVENT_BYTES = bytes(EVENT_SIZE)
_ZERO_EVENT = FillEvent(
    Side.BID, False, 0, 0, 0, Pubkey.default(), 0, Pubkey.default(), 0, 0, 0, 0, 0
)


def _encode_event(event: HeapEvent | bytes) -> bytes:
    if isinstance(event, bytes):
        if len(event) != EVENT_SIZE:
            raise CodecError(f"a raw heap event must be {EVENT_SIZE} bytes, was {len(event)}")
        return event
    if isinstance(event, FillEvent):
        return _FILL.pack(
            EVENT_TYPE_FILL, int(event.taker_side), int(event.maker_out), event.maker_slot,
            event.timestamp, event.seq_num, bytes(event.maker), event.maker_timestamp,
            bytes(event.taker), event.taker_client_order_id, event.price, event.peg_limit,
            event.quantity, event.maker_client_order_id,
        )  # fmt: skip
    return _OUT.pack(
        EVENT_TYPE_OUT, int(event.side), event.owner_slot, event.timestamp, event.seq_num,
        bytes(event.owner), event.quantity,
    )  # fmt: skip


def decode_event_heap(data: bytes) -> EventHeap:
    """Return the EventHeap stored in ``data``.

    Raises:
        CodecError: wrong discriminator or size.
    """
    check_account(data, EVENT_HEAP_DISCRIMINATOR, EVENT_HEAP_SIZE, "EventHeap")
    free_head, used_head, count, seq_num = _HEADER.unpack_from(data, 8)
    nodes = []
    for slot in range(MAX_EVENTS):
        offset = NODES_OFFSET + NODE_SIZE * slot
        next_slot, prev_slot = _LINKS.unpack_from(data, offset)
        nodes.append(EventNode(next_slot, prev_slot, _decode_event(data, offset + 8)))
    return EventHeap(free_head, used_head, count, seq_num, tuple(nodes))


def encode_event_heap(heap: EventHeap) -> bytes:
    """Return the 91,288 account bytes of ``heap`` (all 600 nodes; reserved bytes zero).

    Raises:
        CodecError: not exactly 600 nodes, or a field that does not fit its type.
    """
    if len(heap.nodes) != MAX_EVENTS:
        raise CodecError(f"an EventHeap has {MAX_EVENTS} nodes, was {len(heap.nodes)}")
    parts = [EVENT_HEAP_DISCRIMINATOR]
    try:
        parts.append(_HEADER.pack(heap.free_head, heap.used_head, heap.count, heap.seq_num))
        for node in heap.nodes:
            parts.append(_LINKS.pack(node.next, node.prev))
            parts.append(_encode_event(node.event))
    except struct.error as e:
        raise CodecError(f"EventHeap field out of range: {e}") from e
    parts.append(bytes(EVENT_HEAP_SIZE - _RESERVED_OFFSET))
    return b"".join(parts)


def empty_event_heap() -> EventHeap:
    """Return an EventHeap as ``create_market`` initializes it: all 600 nodes free, in order."""
    zero_event = _decode_event(bytes(EVENT_SIZE), 0)
    nodes = tuple(
        EventNode(slot + 1 if slot < MAX_EVENTS - 1 else NO_NODE, NO_NODE, zero_event)
        for slot in range(MAX_EVENTS)
    )
    return EventHeap(free_head=0, used_head=NO_NODE, count=0, seq_num=0, nodes=nodes)


class EventHeapEditor:
    """A mutable working copy of an EventHeap with the program's ``push_back``/``delete_slot``.

    Slot reuse, link updates and the event counter follow the program, so the same sequence of
    pushes and deletions yields the same account bytes. ``freeze()`` returns the EventHeap.
    """

    def __init__(self, heap: EventHeap) -> None:
        self.free_head = heap.free_head
        self.used_head = heap.used_head
        self.count = heap.count
        self.seq_num = heap.seq_num
        self.links = [[node.next, node.prev] for node in heap.nodes]
        self.events: list[HeapEvent | bytes] = [node.event for node in heap.nodes]

    def freeze(self) -> EventHeap:
        """Return the current state as an immutable EventHeap."""
        nodes = tuple(
            EventNode(link[0], link[1], event)
            for link, event in zip(self.links, self.events, strict=True)
        )
        return EventHeap(self.free_head, self.used_head, self.count, self.seq_num, nodes)

    @property
    def is_full(self) -> bool:
        """Return True when all 600 slots hold events (the program then fails to push)."""
        return self.count == MAX_EVENTS

    def push_back(self, event: HeapEvent) -> int:
        """Append ``event`` (its ``seq_num`` as the caller set it); return its slot.

        Raises:
            CodecError: the heap is full (the program panics: every taking order fails).
        """
        if self.is_full:
            raise CodecError(f"EventHeap is full ({MAX_EVENTS} events); consume events first")
        slot = self.free_head
        self.free_head = self.links[slot][0]
        if self.count == 0:
            new_next = new_prev = slot
            self.used_head = slot
        else:
            new_next = self.used_head
            new_prev = self.links[new_next][1]
            self.links[new_prev][0] = slot
            self.links[new_next][1] = slot
        self.count += 1
        self.seq_num += 1
        self.events[slot] = event
        self.links[slot] = [new_next, new_prev]
        return slot

    def delete_slot(self, slot: int) -> HeapEvent:
        """Remove and return the event in ``slot`` (any position of the FIFO list).

        Raises:
            CodecError: the slot is out of range or free (the program's 6000 SomeError).
        """
        if not 0 <= slot < MAX_EVENTS or self.count == 0 or self.links[slot][1] == NO_NODE:
            raise CodecError(f"EventHeap slot {slot} holds no event")
        next_slot, prev_slot = self.links[slot]
        self.links[prev_slot][0] = next_slot
        self.links[next_slot][1] = prev_slot
        if self.count == 1:
            self.used_head = NO_NODE
        elif self.used_head == slot:
            self.used_head = next_slot
        self.count -= 1
        self.links[slot] = [self.free_head, NO_NODE]
        self.free_head = slot
        event = self.events[slot]
        if isinstance(event, bytes):
            raise InvariantError(f"EventHeap slot {slot} was in use but held no valid event")
        return event

    def pop_front(self) -> HeapEvent:
        """Remove and return the oldest event."""
        return self.delete_slot(self.used_head)

    def front(self) -> tuple[int, HeapEvent] | None:
        """Return ``(slot, event)`` of the oldest event, or None when empty."""
        if self.count == 0:
            return None
        event = self.events[self.used_head]
        if isinstance(event, bytes):
            raise InvariantError(f"EventHeap slot {self.used_head} holds no valid event")
        return self.used_head, event
