"""The BookSide's node layout: the program's crit-bit tree over 1,024 fixed nodes, exactly.

Optional (``Exchange(track_nodes=True)``): it costs a tree walk per change, and only a writer of
real BookSide account bytes (the localnet emulator) needs it. It reproduces ``ordertree.rs``:
node allocation from the free list before the bump index, inner nodes keyed by the leaf that
split them, the children's earliest expiries, and what a removal copies where. Nodes are lists:
inner ``[1, prefix_len, key, child0, child1, expiry0, expiry1]``, leaf ``[2, key, owner_slot,
time_in_force, owner, quantity, timestamp, peg_limit, client_order_id]``, free ``[3 or 4,
next]``; None is a never-used (zeroed) node.
"""

from __future__ import annotations

from bmvbot.exchange.orders import RestingOrder

MAX_ORDERTREE_NODES = 1024
"""Nodes in one BookSide account, shared by its fixed and oracle-pegged trees."""
INNER = 1
LEAF = 2
FREE = 3
LAST_FREE = 4
U64_MAX = (1 << 64) - 1
Node = list[int | str]


def _expiry(node: Node) -> int:
    if node[0] == LEAF:
        tif = int(node[3])
        return U64_MAX if tif == 0 else int(node[6]) + tif
    return min(int(node[5]), int(node[6]))


def _key(node: Node) -> int:
    return int(node[2] if node[0] == INNER else node[1])


class OrderTree:
    """Node array, free list and the fixed / oracle-pegged roots of one BookSide."""

    __slots__ = ("_header", "_journal", "bump_index", "free_list_head", "free_list_len", "nodes",
                 "roots")  # fmt: skip

    def __init__(self) -> None:
        self.nodes: list[Node | None] = [None] * MAX_ORDERTREE_NODES
        self.bump_index = 0
        self.free_list_len = 0
        self.free_list_head = 0
        self.roots = [[0, 0], [0, 0]]
        """Per tree (fixed, oracle pegged): [maybe_node, leaf_count]."""
        self._journal: list[tuple[int, Node | None]] | None = None
        self._header: tuple[int, int, int, list[list[int]]] = (0, 0, 0, [])

    # -- journal -----------------------------------------------------------------------------

    def begin(self) -> None:
        """Record node writes until ``end`` or ``rollback``."""
        self._journal = []
        self._header = (
            self.bump_index, self.free_list_len, self.free_list_head, [r[:] for r in self.roots]
        )  # fmt: skip

    def end(self) -> None:
        """Forget the record (the instruction succeeded)."""
        self._journal = None

    def rollback(self) -> None:
        """Put back every node and header field as they were at ``begin``."""
        journal = self._journal
        self._journal = None
        if journal is None:
            return
        for index, old in reversed(journal):
            self.nodes[index] = old
        self.bump_index, self.free_list_len, self.free_list_head, roots = self._header
        self.roots = [r[:] for r in roots]

    def _set(self, index: int, node: Node | None) -> None:
        if self._journal is not None:
            self._journal.append((index, self.nodes[index]))
        self.nodes[index] = node

    # -- allocation (``insert`` / ``remove`` of ordertree.rs) --------------------------------

    def _allocate(self, node: Node) -> int:
        if self.free_list_len == 0:
            index = self.bump_index
            self.bump_index += 1
        else:
            index = self.free_list_head
            free = self.nodes[index]
            if free is None:
                raise KeyError(index)
            self.free_list_head = int(free[1])
            self.free_list_len -= 1
        self._set(index, node)
        return index

    def _free(self, index: int) -> Node:
        node = self.nodes[index]
        if node is None:
            raise KeyError(index)
        tag = LAST_FREE if self.free_list_len == 0 else FREE
        self._set(index, [tag, self.free_list_head])
        self.free_list_len += 1
        self.free_list_head = index
        return node

    # -- tree operations ---------------------------------------------------------------------

    def insert(self, order: RestingOrder, tree: int = 0) -> None:
        """Insert ``order``'s leaf into tree 0 (fixed) or 1 (oracle pegged)."""
        leaf: Node = [
            LEAF, order.order_id, order.owner_slot, order.time_in_force, order.owner,
            order.quantity, order.timestamp, -1, order.client_order_id,
        ]  # fmt: skip
        root = self.roots[tree]
        if root[1] == 0:
            root[0] = self._allocate(leaf)
            root[1] = 1
            return
        key = order.order_id
        stack: list[tuple[int, int]] = []
        parent = root[0]
        while True:
            contents = self.nodes[parent]
            if contents is None:
                raise KeyError(parent)
            shared = 128 - (_key(contents) ^ key).bit_length()
            if contents[0] == INNER and shared >= int(contents[1]):
                bit = (key >> (127 - int(contents[1]))) & 1
                stack.append((parent, bit))
                parent = int(contents[3 + bit])
                continue
            self._split(parent, contents, leaf, shared, stack)
            root[1] += 1
            return

    def _split(
        self, parent: int, contents: Node, leaf: Node, shared: int, stack: list[tuple[int, int]]
    ) -> None:
        # the old parent moves to a new node; the parent becomes the inner node over both
        key = int(leaf[1])
        leaf_bit = (key >> (127 - shared)) & 1
        leaf_index = self._allocate(leaf)
        moved_index = self._allocate(list(contents))
        leaf_expiry = _expiry(leaf)
        old_expiry = _expiry(contents)
        inner: Node = [INNER, shared, key, 0, 0, U64_MAX, U64_MAX]
        inner[3 + leaf_bit] = leaf_index
        inner[3 + (1 - leaf_bit)] = moved_index
        inner[5 + leaf_bit] = leaf_expiry
        inner[5 + (1 - leaf_bit)] = old_expiry
        self._set(parent, inner)
        if leaf_expiry < old_expiry:
            self._update_expiry(stack, old_expiry, leaf_expiry)

    def remove(self, order_id: int, tree: int = 0) -> None:
        """Remove the leaf ``order_id`` from a tree.

        Raises:
            KeyError: no such leaf.
        """
        root = self.roots[tree]
        if root[1] == 0:
            raise KeyError(order_id)
        parent = root[0]
        contents = self.nodes[parent]
        if contents is None:
            raise KeyError(parent)
        if contents[0] == LEAF:
            if int(contents[1]) != order_id:
                raise KeyError(order_id)
            root[0] = 0
            root[1] = 0
            self._free(parent)
            return
        stack, parent, child, bit = self._find(parent, contents, order_id)
        other = int(self._inner(parent)[3 + (1 - bit)])
        other_contents = self._free(other)
        self._set(parent, list(other_contents))
        root[1] -= 1
        removed = self._free(child)
        stack.pop()
        self._update_expiry(stack, _expiry(removed), _expiry(other_contents))

    def _find(
        self, parent: int, contents: Node, order_id: int
    ) -> tuple[list[tuple[int, int]], int, int, int]:
        stack: list[tuple[int, int]] = []
        while True:
            bit = (order_id >> (127 - int(contents[1]))) & 1
            stack.append((parent, bit))
            child = int(contents[3 + bit])
            child_contents = self.nodes[child]
            if child_contents is None:
                raise KeyError(child)
            if child_contents[0] == LEAF:
                if int(child_contents[1]) != order_id:
                    raise KeyError(order_id)
                return stack, parent, child, bit
            parent, contents = child, child_contents

    def _inner(self, index: int) -> Node:
        node = self.nodes[index]
        if node is None or node[0] != INNER:
            raise KeyError(index)
        return node

    def _update_expiry(self, stack: list[tuple[int, int]], outdated: int, new: int) -> None:
        # ordertree.rs update_parent_earliest_expiry, stopping where nothing changes
        for parent, bit in reversed(stack):
            node = self._inner(parent)
            if int(node[5 + bit]) != outdated:
                break
            outdated = min(int(node[5]), int(node[6]))
            updated = list(node)
            updated[5 + bit] = new
            self._set(parent, updated)
            new = min(int(updated[5]), int(updated[6]))

    def set_quantity(self, order_id: int, quantity: int, tree: int = 0) -> None:
        """Write a partly filled leaf's new quantity."""
        root = self.roots[tree]
        index = root[0]
        node = self.nodes[index]
        while node is not None and node[0] == INNER:
            index = int(node[3 + ((order_id >> (127 - int(node[1]))) & 1)])
            node = self.nodes[index]
        if node is None or int(node[1]) != order_id:
            raise KeyError(order_id)
        updated = list(node)
        updated[5] = quantity
        self._set(index, updated)
