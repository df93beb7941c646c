"""One side of an OpenBook V2 order book: price-time priority, expiry and capacity.

Orders sit in per-price FIFO queues (a deque per price level, the level prices in a sorted list,
found with bisect) plus an index by order id. That reproduces the program's crit-bit tree order
(asks by ascending id, bids by descending id) without its node layout. Capacity follows the
program's node arithmetic: a side of L orders uses 2L-1 of 1,024 nodes, ``bump_index`` is the
high-water mark of used nodes and the side is full when at most one free node is left, i.e. at
512 resting orders.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator

from bmvbot.core.types import Side
from bmvbot.exchange.order_tree import MAX_ORDERTREE_NODES, OrderTree
from bmvbot.exchange.orders import RestingOrder

_INSERT = 0
_REMOVE = 1
_QUANTITY = 2


class BookSide:
    """Resting orders of one side, best first, FIFO within a price.

    Mutations can be journaled (``begin_journal``) so that a failed instruction is rolled back
    exactly (``rollback``), FIFO positions included.
    """

    __slots__ = ("bump_index", "by_id", "expiring", "journal", "levels", "prices", "side", "tree")

    def __init__(self, side: Side) -> None:
        self.side = side
        self.levels: dict[int, deque[RestingOrder]] = {}
        self.prices: list[int] = []
        self.by_id: dict[int, RestingOrder] = {}
        self.expiring: dict[int, RestingOrder] = {}
        self.bump_index = 0
        self.tree: OrderTree | None = None
        """The exact node layout, kept only when asked for (``Exchange(track_nodes=True)``)."""
        self.journal: list[tuple[int, RestingOrder, int]] | None = None
        """Undo records while an instruction runs (see ``rollback``); None otherwise."""

    # -- inspection -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.by_id)

    @property
    def nodes_in_use(self) -> int:
        """Return the tree nodes the orders occupy (2L-1 for L orders)."""
        count = len(self.by_id)
        return 2 * count - 1 if count else 0

    @property
    def free_list_len(self) -> int:
        """Return the nodes below ``bump_index`` that are free again."""
        return self.bump_index - self.nodes_in_use

    @property
    def is_full(self) -> bool:
        """Return True when a new order needs an eviction (program ``is_full``)."""
        return self.free_list_len <= 1 and self.bump_index >= MAX_ORDERTREE_NODES - 1

    def iter_orders(self) -> Iterator[RestingOrder]:
        """Yield every order, expired ones included, best price first, FIFO within a price."""
        prices = self.prices if self.side is Side.ASK else reversed(self.prices)
        levels = self.levels
        for price in prices:
            yield from levels[price]

    def best_price(self, now_s: int) -> int | None:
        """Return the best price among orders that have not expired at ``now_s``."""
        for order in self.iter_orders():
            if not order.time_in_force or now_s < order.timestamp + order.time_in_force:
                return order.price_lots
        return None

    def depth(self, now_s: int, levels: int) -> list[tuple[int, int]]:
        """Return up to ``levels`` (price_lots, base_lots) of unexpired orders, best first."""
        result: list[tuple[int, int]] = []
        prices = self.prices if self.side is Side.ASK else reversed(self.prices)
        for price in prices:
            size = sum(o.quantity for o in self.levels[price] if not o.is_expired(now_s))
            if size:
                result.append((price, size))
                if len(result) == levels:
                    break
        return result

    def earliest_expired(self, now_s: int) -> RestingOrder | None:
        """Return the order the program's ``remove_one_expired`` would pick, if any.

        The tree tracks the earliest expiry; ties go to the smaller order id. The order is
        only removed when that expiry is strictly before ``now_s``.
        """
        if not self.expiring:
            return None
        best = min(
            self.expiring.values(), key=lambda o: (o.timestamp + o.time_in_force, o.order_id)
        )
        return best if best.timestamp + best.time_in_force < now_s else None

    def worst_order(self) -> RestingOrder | None:
        """Return the order with the worst id (lowest bid key / highest ask key)."""
        if not self.prices:
            return None
        if self.side is Side.ASK:
            return self.levels[self.prices[-1]][-1]
        return self.levels[self.prices[0]][-1]

    # -- mutation ----------------------------------------------------------------------------

    def insert(self, order: RestingOrder) -> None:
        """Add ``order`` behind the orders already resting at its price."""
        price = order.price_lots
        level = self.levels.get(price)
        if level is None:
            level = self.levels[price] = deque()
            bisect.insort(self.prices, price)
        level.append(order)
        by_id = self.by_id
        by_id[order.order_id] = order
        if self.tree is not None:
            self.tree.insert(order)
        if order.time_in_force:
            self.expiring[order.order_id] = order
        used = 2 * len(by_id) - 1  # nodes_in_use
        if used > self.bump_index:
            self.bump_index = used
        if self.journal is not None:
            self.journal.append((_INSERT, order, 0))

    def remove(self, order: RestingOrder) -> None:
        """Take ``order`` off the book."""
        price = order.price_lots
        levels = self.levels
        level = levels[price]
        if level[0] is order:
            level.popleft()
            index = 0
        else:
            index = level.index(order)
            del level[index]
        if not level:
            del levels[price]
            prices = self.prices
            # the best level empties most often: asks at the front, bids at the back
            if prices[-1] == price:
                prices.pop()
            elif prices[0] == price:
                del prices[0]
            else:
                del prices[bisect.bisect_left(prices, price)]
        order_id = order.order_id
        del self.by_id[order_id]
        if order.time_in_force:
            del self.expiring[order_id]
        if self.tree is not None:
            self.tree.remove(order_id)
        if self.journal is not None:
            self.journal.append((_REMOVE, order, index))

    def set_quantity(self, order: RestingOrder, quantity: int) -> None:
        """Reduce a partly filled order to ``quantity`` base lots (it keeps its place)."""
        if self.journal is not None:
            self.journal.append((_QUANTITY, order, order.quantity))
        order.quantity = quantity
        if self.tree is not None:
            self.tree.set_quantity(order.order_id, quantity)

    # -- journal -----------------------------------------------------------------------------

    def begin_journal(self) -> None:
        """Start recording mutations so that ``rollback`` can undo them."""
        self.journal = []

    def rollback(self, bump_index: int) -> None:
        """Undo every mutation recorded since ``begin_journal``; restore ``bump_index``."""
        journal = self.journal
        self.journal = None
        if journal is None:
            return
        tree = self.tree
        self.tree = None  # the tree restores its own nodes exactly, below
        for action, order, value in reversed(journal):
            if action == _INSERT:
                self.remove(order)
            elif action == _REMOVE:
                self._reinsert(order, value)
            else:
                order.quantity = value
        self.bump_index = bump_index
        self.tree = tree
        if tree is not None:
            tree.rollback()

    def _level(self, price: int) -> deque[RestingOrder]:
        level = self.levels.get(price)
        if level is None:
            level = deque()
            self.levels[price] = level
            bisect.insort(self.prices, price)
        return level

    def _reinsert(self, order: RestingOrder, index: int) -> None:
        self._level(order.price_lots).insert(index, order)
        self.by_id[order.order_id] = order
        if order.time_in_force:
            self.expiring[order.order_id] = order
