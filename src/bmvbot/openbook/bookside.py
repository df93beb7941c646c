"""The ``BookSide`` account (90,952 bytes): node-exact decoder and writer, and order walks.

A BookSide holds two crit-bit trees (fixed-price and oracle-pegged orders) in 1,024 shared
88-byte nodes (fact sheet 5.4). ``decode_bookside`` keeps every node that was ever allocated
(``bump_index`` of them), so ``encode_bookside`` reproduces the account byte for byte;
``BookSide.orders`` walks a tree in priority order and ``BookSide.levels`` aggregates L2 levels.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.core.types import BaseLots, BookLevel, PriceLots, Side
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS
from bmvbot.openbook.zerocopy import check_account

BOOKSIDE_SIZE = 90_952
BOOKSIDE_DISCRIMINATOR = ACCOUNT_DISCRIMINATORS["BookSide"]
MAX_NODES = 1024
NODE_SIZE = 88
NODES_OFFSET = 840
FIXED_TREE = 0
ORACLE_PEGGED_TREE = 1
TAG_UNINITIALIZED, TAG_INNER, TAG_LEAF, TAG_FREE, TAG_LAST_FREE = 0, 1, 2, 3, 4
_U64_MASK = (1 << 64) - 1
_PEG_OFFSET = 1 << 63

_ROOTS = struct.Struct("<IIII")  # at 8: fixed (maybe_node, leaf_count), pegged (same)
_HEADER = struct.Struct("<B3xIII")  # at 312: order_tree_type, bump_index, free_list_len/head
_INNER = struct.Struct("<B3xIQQIIQQ40x")
_LEAF = struct.Struct("<BBH4xQQ32sqQqQ")
_FREE = struct.Struct("<B3xI80x")
_ZERO_NODE = bytes(NODE_SIZE)


@dataclass(frozen=True, slots=True)
class OrderTreeRoot:
    """Root of one tree; ``maybe_node`` is meaningful only when ``leaf_count > 0``."""

    maybe_node: int = 0
    leaf_count: int = 0


@dataclass(frozen=True, slots=True)
class InnerNode:
    """A crit-bit inner node: ``children[0]`` holds keys whose bit ``prefix_len`` is 0."""

    prefix_len: int
    key: int
    children: tuple[int, int]
    child_earliest_expiry: tuple[int, int]


@dataclass(frozen=True, slots=True)
class LeafNode:
    """A resting order; ``owner`` is the OpenOrders account, ``quantity`` base lots."""

    owner_slot: int
    time_in_force: int
    key: int
    owner: Pubkey
    quantity: int
    timestamp: int
    peg_limit: int
    client_order_id: int


@dataclass(frozen=True, slots=True)
class FreeNode:
    """A node on the free list (tag 3, or 4 for the last one)."""

    tag: int
    next: int


BookNode = InnerNode | LeafNode | FreeNode | None
"""A node slot; None is a never-written (zero) node."""


@dataclass(frozen=True, slots=True)
class BookOrder:
    """One resting order as read from the book, in the units of the program.

    ``price_lots`` is the price for fixed orders and the price offset for pegged ones;
    ``expiry`` is ``timestamp + time_in_force`` (0 = never); ``order_id`` is the u128 key.
    """

    price_lots: int
    base_lots: int
    owner: Pubkey
    order_id: int
    client_order_id: int
    timestamp: int
    time_in_force: int
    expiry: int
    owner_slot: int
    seq_num: int
    peg_limit: int
    tree: int

    def is_expired(self, now_ts: int) -> bool:
        """Return True when the order has expired at unix time ``now_ts``."""
        return self.time_in_force > 0 and now_ts >= self.expiry


def order_key(side: Side, price_data: int, seq_num: int) -> int:
    """Return the u128 book key: ``price_data << 64 | seq`` (asks) or ``| !seq`` (bids)."""
    low = seq_num if Side(side) is Side.ASK else ~seq_num & _U64_MASK
    return (price_data << 64) | low


@dataclass(frozen=True, slots=True)
class BookSide:
    """A decoded BookSide: header, both roots and nodes ``0 .. bump_index - 1``."""

    side: Side
    roots: tuple[OrderTreeRoot, OrderTreeRoot]
    bump_index: int
    free_list_len: int
    free_list_head: int
    nodes: tuple[BookNode, ...]

    def iter_orders(self, tree: int = FIXED_TREE) -> Iterator[BookOrder]:
        """Yield the orders of one tree best first: price priority, then time (FIFO).

        Raises:
            CodecError: the tree points outside the allocated nodes, at a free node, or loops.
        """
        root = self.roots[tree]
        if root.leaf_count == 0:
            return
        # in-order walk; bids visit the higher child (1) first, asks the lower (0)
        first, second = (1, 0) if self.side is Side.BID else (0, 1)
        stack = [root.maybe_node]
        leaves = 0
        while stack:
            node = self._node(stack.pop())
            if isinstance(node, InnerNode):
                stack.append(node.children[second])
                stack.append(node.children[first])
                if len(stack) > 2 * root.leaf_count:
                    raise CodecError(f"BookSide tree {tree} is deeper than its {root}")
            else:
                leaves += 1
                if leaves > root.leaf_count:
                    raise CodecError(f"BookSide tree {tree} has more leaves than {root}")
                yield self._order(node, tree)

    def orders(self, tree: int = FIXED_TREE) -> list[BookOrder]:
        """Return the orders of one tree best first (see ``iter_orders``)."""
        return list(self.iter_orders(tree))

    def iter_all_orders(self, oracle_price_lots: int | None = None) -> Iterator[BookOrder]:
        """Yield fixed orders, merged with pegged ones priced ``oracle + offset``, best first.

        Pegged orders are left out without an oracle price, and when their price is outside
        ``[1, i64::MAX)`` or beyond their peg limit.
        """
        fixed = self.iter_orders(FIXED_TREE)
        if oracle_price_lots is None or self.roots[ORACLE_PEGGED_TREE].leaf_count == 0:
            yield from fixed
            return
        pegged = (
            _with_price(order, oracle_price_lots + order.price_lots)
            for order in self.iter_orders(ORACLE_PEGGED_TREE)
            if 1 <= oracle_price_lots + order.price_lots < 2**63 - 1
            and self._within_peg_limit(oracle_price_lots + order.price_lots, order.peg_limit)
        )
        sign = -1 if self.side is Side.BID else 1
        yield from heapq.merge(fixed, pegged, key=lambda o: (sign * o.price_lots, o.seq_num))

    def all_orders(self, oracle_price_lots: int | None = None) -> list[BookOrder]:
        """Return ``iter_all_orders`` as a list."""
        return list(self.iter_all_orders(oracle_price_lots))

    def levels(
        self, depth: int, now_ts: int | None = None, oracle_price_lots: int | None = None
    ) -> tuple[BookLevel, ...]:
        """Return the top ``depth`` L2 levels, best first, summing base lots per price.

        Orders expired at ``now_ts`` are left out when ``now_ts`` is given (the program keeps
        them on the book until something removes them). Stops walking once ``depth`` levels
        are complete.
        """
        return _aggregate(
            ((o.price_lots, o.base_lots, o.is_expired(now_ts) if now_ts is not None else False)
             for o in self.iter_all_orders(oracle_price_lots)),
            depth,
        )  # fmt: skip

    def _within_peg_limit(self, price: int, peg_limit: int) -> bool:
        if peg_limit == -1:
            return True
        return price <= peg_limit if self.side is Side.BID else price >= peg_limit

    def _node(self, handle: int) -> InnerNode | LeafNode:
        node = self.nodes[handle] if 0 <= handle < len(self.nodes) else None
        if not isinstance(node, InnerNode | LeafNode):
            raise CodecError(f"BookSide tree points at node {handle}, which is {node!r}")
        return node

    def _order(self, leaf: LeafNode, tree: int) -> BookOrder:
        low = leaf.key & _U64_MASK
        seq_num = low if self.side is Side.ASK else ~low & _U64_MASK
        price_data = leaf.key >> 64
        price = price_data if tree == FIXED_TREE else price_data - _PEG_OFFSET
        expiry = leaf.timestamp + leaf.time_in_force if leaf.time_in_force else 0
        return BookOrder(
            price_lots=price,
            base_lots=leaf.quantity,
            owner=leaf.owner,
            order_id=leaf.key,
            client_order_id=leaf.client_order_id,
            timestamp=leaf.timestamp,
            time_in_force=leaf.time_in_force,
            expiry=expiry,
            owner_slot=leaf.owner_slot,
            seq_num=seq_num,
            peg_limit=leaf.peg_limit,
            tree=tree,
        )


def _aggregate(orders: Iterable[tuple[int, int, bool]], depth: int) -> tuple[BookLevel, ...]:
    # (price, base lots, is_expired) best first -> at most depth levels
    levels: list[BookLevel] = []
    for price, quantity, is_expired in orders:
        if is_expired:
            continue
        if levels and levels[-1].price_lots == price:
            last = levels[-1]
            levels[-1] = BookLevel(last.price_lots, BaseLots(last.size_base_lots + quantity))
        elif len(levels) == depth:
            break
        else:
            levels.append(BookLevel(PriceLots(price), BaseLots(quantity)))
    return tuple(levels)


def _with_price(order: BookOrder, price: int) -> BookOrder:
    return BookOrder(
        price, order.base_lots, order.owner, order.order_id, order.client_order_id,
        order.timestamp, order.time_in_force, order.expiry, order.owner_slot, order.seq_num,
        order.peg_limit, order.tree,
    )  # fmt: skip


def _decode_node(data: bytes, offset: int) -> BookNode:
    tag = data[offset]
    if tag == TAG_LEAF:
        _, slot, tif, key_lo, key_hi, owner, qty, ts, peg, cid = _LEAF.unpack_from(data, offset)
        return LeafNode(
            slot, tif, key_lo | key_hi << 64, Pubkey.from_bytes(owner), qty, ts, peg, cid
        )
    if tag == TAG_INNER:
        _, prefix, key_lo, key_hi, c0, c1, e0, e1 = _INNER.unpack_from(data, offset)
        return InnerNode(prefix, key_lo | key_hi << 64, (c0, c1), (e0, e1))
    if tag in (TAG_FREE, TAG_LAST_FREE):
        return FreeNode(tag, _FREE.unpack_from(data, offset)[1])
    if tag == TAG_UNINITIALIZED:
        return None
    raise CodecError(f"BookSide node at offset {offset} has unknown tag {tag}")


def decode_bookside(data: bytes) -> BookSide:
    """Return the BookSide stored in ``data``.

    Raises:
        CodecError: wrong discriminator or size, an unknown side or node tag, or a
            ``bump_index`` above 1,024.
    """
    check_account(data, BOOKSIDE_DISCRIMINATOR, BOOKSIDE_SIZE, "BookSide")
    fixed_node, fixed_count, pegged_node, pegged_count = _ROOTS.unpack_from(data, 8)
    tree_type, bump_index, free_len, free_head = _HEADER.unpack_from(data, 312)
    if tree_type not in (0, 1):
        raise CodecError(f"BookSide order_tree_type must be 0 (bids) or 1 (asks), was {tree_type}")
    if bump_index > MAX_NODES:
        raise CodecError(f"BookSide bump_index must be at most {MAX_NODES}, was {bump_index}")
    nodes = tuple(_decode_node(data, NODES_OFFSET + NODE_SIZE * h) for h in range(bump_index))
    roots = (OrderTreeRoot(fixed_node, fixed_count), OrderTreeRoot(pegged_node, pegged_count))
    return BookSide(Side(tree_type), roots, bump_index, free_len, free_head, nodes)


def _encode_node(node: BookNode) -> bytes:
    if node is None:
        return _ZERO_NODE
    if isinstance(node, LeafNode):
        return _LEAF.pack(
            TAG_LEAF, node.owner_slot, node.time_in_force, node.key & _U64_MASK, node.key >> 64,
            bytes(node.owner), node.quantity, node.timestamp, node.peg_limit, node.client_order_id,
        )  # fmt: skip
    if isinstance(node, InnerNode):
        return _INNER.pack(
            TAG_INNER, node.prefix_len, node.key & _U64_MASK, node.key >> 64, *node.children,
            *node.child_earliest_expiry,
        )  # fmt: skip
    return _FREE.pack(node.tag, node.next)


def encode_bookside(book: BookSide) -> bytes:
    """Return the 90,952 account bytes of ``book``; nodes past ``len(nodes)`` are zero.

    Raises:
        CodecError: more than 1,024 nodes, or a field that does not fit its type.
    """
    if len(book.nodes) > MAX_NODES:
        raise CodecError(f"a BookSide holds at most {MAX_NODES} nodes, was {len(book.nodes)}")
    out = bytearray(BOOKSIDE_SIZE)
    out[:8] = BOOKSIDE_DISCRIMINATOR
    fixed, pegged = book.roots
    try:
        _ROOTS.pack_into(
            out, 8, fixed.maybe_node, fixed.leaf_count, pegged.maybe_node, pegged.leaf_count
        )
        _HEADER.pack_into(
            out, 312, int(book.side), book.bump_index, book.free_list_len, book.free_list_head
        )
        for handle, node in enumerate(book.nodes):
            offset = NODES_OFFSET + NODE_SIZE * handle
            out[offset : offset + NODE_SIZE] = _encode_node(node)
    except struct.error as e:
        raise CodecError(f"BookSide field out of range: {e}") from e
    return bytes(out)


_LEAF_FIELDS = struct.Struct("<BBH4xQQ32sqQ")  # tag, slot, tif, key lo/hi, owner, qty, ts


def _raw_fixed_orders(data: bytes, now_ts: int | None) -> Iterator[tuple[int, int, bool]]:
    # walk the fixed tree straight from the bytes, decoding only the nodes on the way
    maybe_node, leaf_count = struct.unpack_from("<II", data, 8)
    if leaf_count == 0:
        return
    first, second = (1, 0) if data[312] == Side.BID else (0, 1)
    stack = [maybe_node]
    leaves = 0
    while stack:
        handle = stack.pop()
        offset = NODES_OFFSET + NODE_SIZE * handle
        tag = data[offset] if handle < MAX_NODES else TAG_UNINITIALIZED
        if tag == TAG_INNER:
            children = struct.unpack_from("<II", data, offset + 24)
            stack.append(children[second])
            stack.append(children[first])
            if len(stack) > 2 * leaf_count:
                raise CodecError(f"BookSide fixed tree is deeper than its {leaf_count} leaves")
        elif tag == TAG_LEAF:
            leaves += 1
            if leaves > leaf_count:
                raise CodecError(f"BookSide fixed tree has more than its {leaf_count} leaves")
            _, _, tif, _, price, _, quantity, timestamp = _LEAF_FIELDS.unpack_from(data, offset)
            expired = now_ts is not None and tif > 0 and now_ts >= timestamp + tif
            yield price, quantity, expired
        else:
            raise CodecError(f"BookSide fixed tree points at node {handle} with tag {tag}")


def read_levels(data: bytes, depth: int, now_ts: int | None = None) -> tuple[BookLevel, ...]:
    """Return the top ``depth`` fixed-price L2 levels straight from BookSide account bytes.

    The fast path for market data: only the nodes on the way to the first ``depth`` prices are
    read. Equal to ``decode_bookside(data).levels(depth, now_ts)`` for books without pegged
    orders; orders expired at ``now_ts`` are left out when it is given.

    Raises:
        CodecError: not a BookSide account, or a corrupt tree.
    """
    check_account(data, BOOKSIDE_DISCRIMINATOR, BOOKSIDE_SIZE, "BookSide")
    if data[312] not in (0, 1):
        raise CodecError(f"BookSide order_tree_type must be 0 (bids) or 1 (asks), was {data[312]}")
    return _aggregate(_raw_fixed_orders(data, now_ts), depth)
