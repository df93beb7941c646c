"""Byte-faithful edits of a BookSide: crit-bit insert and remove as the program performs them.

``BookSideEditor`` mirrors the program's node allocator (bump index, LIFO free list with
``LastFreeNode`` at its end) and tree edits (``insert_leaf``, ``remove_by_key``, earliest-expiry
bookkeeping), so an emulator that applies the same sequence of inserts and removals as the
program gets the same account bytes. Keys are u128 (``bookside.order_key``); a leaf's expiry
is ``timestamp + time_in_force``, or u64::MAX when it has none.
"""

from __future__ import annotations

from bmvbot.core.errors import CodecError, InvariantError
from bmvbot.core.types import Side
from bmvbot.openbook.bookside import (
    MAX_NODES,
    TAG_FREE,
    TAG_LAST_FREE,
    BookNode,
    BookSide,
    FreeNode,
    InnerNode,
    LeafNode,
    OrderTreeRoot,
)

U64_MAX = (1 << 64) - 1


def leaf_expiry(leaf: LeafNode) -> int:
    """Return when ``leaf`` expires (``timestamp + time_in_force``), u64::MAX if never."""
    return leaf.timestamp + leaf.time_in_force if leaf.time_in_force else U64_MAX


def _earliest(node: InnerNode | LeafNode) -> int:
    if isinstance(node, LeafNode):
        return leaf_expiry(node)
    return min(node.child_earliest_expiry)


def _crit_bit(key: int, prefix_len: int) -> int:
    return (key >> (127 - prefix_len)) & 1


def _shared_prefix_len(a: int, b: int) -> int:
    return 128 - (a ^ b).bit_length()


def empty_bookside(side: Side) -> BookSide:
    """Return a BookSide as ``create_market`` leaves it: no nodes, both trees empty."""
    return BookSide(Side(side), (OrderTreeRoot(), OrderTreeRoot()), 0, 0, 0, ())


class BookSideEditor:
    """A mutable working copy of a BookSide; ``freeze()`` returns the edited BookSide."""

    def __init__(self, book: BookSide) -> None:
        self.side = book.side
        self.roots = [[book.roots[0].maybe_node, book.roots[0].leaf_count],
                      [book.roots[1].maybe_node, book.roots[1].leaf_count]]  # fmt: skip
        self.bump_index = book.bump_index
        self.free_list_len = book.free_list_len
        self.free_list_head = book.free_list_head
        self.nodes: list[BookNode] = list(book.nodes) + [None] * (MAX_NODES - len(book.nodes))

    def freeze(self) -> BookSide:
        """Return the current state as an immutable BookSide."""
        roots = (OrderTreeRoot(*self.roots[0]), OrderTreeRoot(*self.roots[1]))
        nodes = tuple(self.nodes[: self.bump_index])
        return BookSide(
            self.side, roots, self.bump_index, self.free_list_len, self.free_list_head, nodes
        )

    @property
    def is_full(self) -> bool:
        """Return True when another insert might not find two free nodes (program's rule)."""
        return self.free_list_len <= 1 and self.bump_index >= MAX_NODES - 1

    def leaf_count(self, tree: int) -> int:
        """Return the number of orders in ``tree``."""
        return self.roots[tree][1]

    # --- node allocator ------------------------------------------------------------------

    def _tree_node(self, handle: int) -> InnerNode | LeafNode:
        node = self.nodes[handle]
        if not isinstance(node, InnerNode | LeafNode):
            raise InvariantError(f"BookSide node {handle} is {node!r}, expected a tree node")
        return node

    def _inner(self, handle: int) -> InnerNode:
        node = self.nodes[handle]
        if not isinstance(node, InnerNode):
            raise InvariantError(f"BookSide node {handle} is {node!r}, expected an inner node")
        return node

    def _leaf(self, handle: int) -> LeafNode:
        node = self.nodes[handle]
        if not isinstance(node, LeafNode):
            raise InvariantError(f"BookSide node {handle} is {node!r}, expected a leaf")
        return node

    def _allocate(self, node: InnerNode | LeafNode) -> int:
        if self.free_list_len == 0:
            if self.bump_index >= MAX_NODES:
                raise CodecError(f"BookSide has no free node left ({MAX_NODES} in use)")
            handle = self.bump_index
            self.bump_index += 1
        else:
            handle = self.free_list_head
            free = self.nodes[handle]
            if not isinstance(free, FreeNode):
                raise InvariantError(f"BookSide free list points at {handle}: {free!r}")
            self.free_list_head = free.next
            self.free_list_len -= 1
        self.nodes[handle] = node
        return handle

    def _release(self, handle: int) -> InnerNode | LeafNode:
        node = self._tree_node(handle)
        tag = TAG_LAST_FREE if self.free_list_len == 0 else TAG_FREE
        self.nodes[handle] = FreeNode(tag, self.free_list_head)
        self.free_list_len += 1
        self.free_list_head = handle
        return node

    # --- tree edits -------------------------------------------------------------------------

    def _fix_expiry(self, path: list[tuple[int, int]], outdated: int, new: int) -> None:
        # walk up from the deepest parent while the recorded child expiry was the outdated one
        for handle, bit in reversed(path):
            parent = self._inner(handle)
            if parent.child_earliest_expiry[bit] != outdated:
                break
            outdated = min(parent.child_earliest_expiry)
            expiries = list(parent.child_earliest_expiry)
            expiries[bit] = new
            updated = InnerNode(
                parent.prefix_len, parent.key, parent.children, (expiries[0], expiries[1])
            )
            self.nodes[handle] = updated
            new = min(updated.child_earliest_expiry)

    def insert_leaf(self, tree: int, leaf: LeafNode) -> int:
        """Insert ``leaf`` into ``tree`` (0 fixed, 1 oracle-pegged); return its node handle.

        Raises:
            CodecError: the key is already in the tree, or no node is left.
        """
        root = self.roots[tree]
        if root[1] == 0:
            root[0] = self._allocate(leaf)
            root[1] = 1
            return root[0]
        path: list[tuple[int, int]] = []
        parent_handle = root[0]
        while True:
            parent = self._tree_node(parent_handle)
            if isinstance(parent, LeafNode) and parent.key == leaf.key:
                raise CodecError(f"BookSide already holds key {leaf.key}")
            shared = _shared_prefix_len(parent.key, leaf.key)
            if isinstance(parent, InnerNode) and shared >= parent.prefix_len:
                bit = _crit_bit(leaf.key, parent.prefix_len)
                path.append((parent_handle, bit))
                parent_handle = parent.children[bit]
                continue
            break
        # replace the parent in place by an inner node over the new leaf and the moved parent
        new_bit = _crit_bit(leaf.key, shared)
        leaf_handle = self._allocate(leaf)
        moved_handle = self._allocate(parent)
        children = [0, 0]
        expiries = [U64_MAX, U64_MAX]
        children[new_bit], children[1 - new_bit] = leaf_handle, moved_handle
        expiries[new_bit], expiries[1 - new_bit] = leaf_expiry(leaf), _earliest(parent)
        self.nodes[parent_handle] = InnerNode(
            shared, leaf.key, (children[0], children[1]), (expiries[0], expiries[1])
        )
        if leaf_expiry(leaf) < _earliest(parent):
            self._fix_expiry(path, _earliest(parent), leaf_expiry(leaf))
        root[1] += 1
        return leaf_handle

    def _find(self, tree: int, key: int) -> tuple[list[tuple[int, int]], int] | None:
        # the inner-node path to the leaf holding key, and the leaf's handle
        root = self.roots[tree]
        if root[1] == 0:
            return None
        path: list[tuple[int, int]] = []
        handle = root[0]
        node = self._tree_node(handle)
        while isinstance(node, InnerNode):
            bit = _crit_bit(key, node.prefix_len)
            path.append((handle, bit))
            handle = node.children[bit]
            node = self._tree_node(handle)
        return (path, handle) if node.key == key else None

    def find(self, tree: int, key: int) -> LeafNode | None:
        """Return the order with ``key`` in ``tree``, or None."""
        found = self._find(tree, key)
        if found is None:
            return None
        leaf = self.nodes[found[1]]
        return leaf if isinstance(leaf, LeafNode) else None

    def set_quantity(self, tree: int, key: int, quantity: int) -> LeafNode:
        """Change a resting order's base lots in place (a partial fill); return the new leaf.

        Raises:
            CodecError: no order with ``key`` in ``tree``.
        """
        found = self._find(tree, key)
        if found is None:
            raise CodecError(f"BookSide tree {tree} holds no order with key {key}")
        old = self._leaf(found[1])
        new = LeafNode(
            old.owner_slot, old.time_in_force, old.key, old.owner, quantity, old.timestamp,
            old.peg_limit, old.client_order_id,
        )  # fmt: skip
        self.nodes[found[1]] = new
        return new

    def remove_by_key(self, tree: int, key: int) -> LeafNode | None:
        """Remove the order with ``key`` from ``tree``; return it, or None if absent."""
        found = self._find(tree, key)
        if found is None:
            return None
        path, leaf_handle = found
        root = self.roots[tree]
        if not path:
            root[0], root[1] = 0, 0
            removed_root = self._leaf(leaf_handle)
            self._release(leaf_handle)
            return removed_root
        # the parent takes the place of its other child; both old nodes are freed
        parent_handle, bit = path.pop()
        parent = self._inner(parent_handle)
        other = self._release(parent.children[1 - bit])
        self.nodes[parent_handle] = other
        root[1] -= 1
        removed = self._leaf(leaf_handle)
        self._release(leaf_handle)
        self._fix_expiry(path, leaf_expiry(removed), _earliest(other))
        return removed

    def _extreme_leaf(self, tree: int, child: int) -> LeafNode | None:
        root = self.roots[tree]
        if root[1] == 0:
            return None
        node = self._tree_node(root[0])
        while isinstance(node, InnerNode):
            node = self._tree_node(node.children[child])
        return node

    def find_worst(self, tree: int) -> LeafNode | None:
        """Return the worst-priced order of ``tree`` (lowest key for bids, highest for asks)."""
        return self._extreme_leaf(tree, 0 if self.side is Side.BID else 1)

    def find_earliest_expiry(self, tree: int) -> LeafNode | None:
        """Return the order of ``tree`` that expires first (ties: the lower child)."""
        root = self.roots[tree]
        if root[1] == 0:
            return None
        node = self._tree_node(root[0])
        while isinstance(node, InnerNode):
            later_left = node.child_earliest_expiry[0] > node.child_earliest_expiry[1]
            node = self._tree_node(node.children[int(later_left)])
        return node

    def remove_one_expired(self, tree: int, now_ts: int) -> LeafNode | None:
        """Remove the earliest-expiring order if it expired before ``now_ts`` (strictly).

        Tries ``tree`` first, then the other tree, as the program does before posting.
        """
        for component in (tree, 1 - tree):
            leaf = self.find_earliest_expiry(component)
            if leaf is not None and leaf_expiry(leaf) < now_ts:
                return self.remove_by_key(component, leaf.key)
        return None
