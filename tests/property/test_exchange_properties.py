"""Invariants of the exchange model over random instruction sequences.

- A refused instruction changes nothing (the whole state is compared before and after).
- The book is never crossed: the best unexpired bid is below the best unexpired ask.
- Accounts agree with the book: every resting order sits in its owner's slot, and each
  account's locked bid / ask lots equal its resting orders plus its unprocessed events.
- The exact crit-bit node layout holds the same orders and node counts as the book.
- Money is conserved: every mint's total over wallets, the fee receiver and the vaults never
  changes, no balance goes negative, and unwinding everything (crank all events, cancel all
  orders, settle every account, sweep fees) empties both vaults exactly and leaves every
  OpenOrders account empty: nothing is created or lost in free, locked, pending or fee amounts.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bmvbot.core.types import Side
from bmvbot.exchange import (
    Exchange,
    ExchangeError,
    FillEvent,
    MarketAccounts,
    MarketParams,
    OutEvent,
    PlaceMultipleOrdersArgs,
    PlaceOrderArgs,
    PlaceOrdersArgs,
    PlaceOrderType,
    PlaceTakeOrderArgs,
    SelfTradeBehavior,
)

WALLETS = 4
MARKET = "market"
START_S = 1_000
FUNDS_NATIVE = (10**5, 10**7, 10**9, 10**12)
"""Per wallet: the poorer ones run out of funds mid-instruction (SPL errors after matching)."""

Op = tuple[Any, ...]


@dataclass(frozen=True)
class Setup:
    base_lot_size: int
    quote_lot_size: int
    maker_fee: int
    taker_fee: int


setups = st.builds(
    Setup,
    base_lot_size=st.sampled_from([1, 1_000, 1_000_000]),
    quote_lot_size=st.sampled_from([1, 10]),
    maker_fee=st.sampled_from([-200, 0, 300]),
    taker_fee=st.sampled_from([400, 100_000]),
)
wallets = st.integers(0, WALLETS - 1)
sides = st.sampled_from([Side.BID, Side.ASK])
prices = st.integers(90, 110)
sizes = st.integers(0, 30)
order_types = st.sampled_from(list(PlaceOrderType))
behaviors = st.sampled_from(list(SelfTradeBehavior))
expiries = st.sampled_from([0, 0, 0, -1, 5, 30])
entries = st.lists(st.tuples(prices, sizes, expiries), max_size=4)

places = st.tuples(
    st.just("place"), wallets, sides, prices, sizes, st.integers(0, 3), order_types,
    behaviors, expiries, st.integers(0, 4), st.lists(wallets, max_size=3),
)  # fmt: skip
operations = st.one_of(
    places,
    places,
    places,
    st.tuples(st.just("take"), wallets, sides, prices, sizes, st.sampled_from([1, 3])),
    st.tuples(st.just("batch"), wallets, st.booleans(), order_types, entries, entries),
    st.tuples(st.just("cancel"), wallets, st.integers(0, 23)),
    st.tuples(st.just("cancel_client"), wallets, st.integers(0, 5)),
    st.tuples(st.just("cancel_all"), wallets, st.sampled_from([None, Side.BID, Side.ASK]),
              st.integers(0, 30)),
    st.tuples(st.just("edit"), wallets, st.integers(0, 5), st.integers(-1, 30), prices, sizes),
    st.tuples(st.just("consume"), st.integers(0, 10), st.lists(wallets, max_size=4)),
    st.tuples(
        st.just("consume_given"), st.lists(st.integers(0, 40), max_size=4), st.lists(wallets)
    ),
    st.tuples(st.just("settle"), wallets),
    st.tuples(st.just("deposit"), wallets, st.integers(0, 10**7), st.integers(0, 10**7)),
    st.tuples(st.just("sweep"),),
    st.tuples(st.just("self_cross"), wallets, prices, sizes, behaviors, st.booleans()),
    st.tuples(st.just("grid"), wallets, st.booleans(), prices, st.integers(1, 14)),
    st.tuples(st.just("advance"), st.integers(1, 40)),
)  # fmt: skip


class World:
    """One market, ``WALLETS`` funded wallets with one OpenOrders account each."""

    def __init__(self, setup: Setup) -> None:
        self.exchange = Exchange(track_nodes=True)
        self.now_s = START_S
        params = MarketParams(
            name="prop", base_mint="base", quote_mint="quote",
            base_lot_size=setup.base_lot_size, quote_lot_size=setup.quote_lot_size,
            maker_fee=setup.maker_fee, taker_fee=setup.taker_fee, collect_fee_admin="admin",
        )  # fmt: skip
        self.exchange.create_market(MarketAccounts.derived(MARKET), params, self.now_s)
        self.market = self.exchange.markets[MARKET]
        ledger = self.exchange.ledger
        ledger.open_account("admin.quote", "quote", "admin")
        self.owners = [f"w{i}" for i in range(WALLETS)]
        for owner, funds in zip(self.owners, FUNDS_NATIVE, strict=True):
            ledger.open_account(f"{owner}.base", "base", owner, funds)
            ledger.open_account(f"{owner}.quote", "quote", owner, funds)
            self.exchange.create_open_orders_indexer(owner)
            self.exchange.create_open_orders_account(owner, MARKET, owner)
        self.refusals: Counter[str] = Counter()
        self.totals = {mint: ledger.total(mint) for mint in ("base", "quote")}

    def account_id(self, wallet: int) -> str:
        return f"{self.owners[wallet]}.oo1"

    def apply(self, op: Op) -> None:
        """Run one operation (one or two instructions)."""
        self.now_s += 1
        getattr(self, f"_op_{op[0]}")(*op[1:])

    def run(self, instruction: Callable[..., object], *args: object) -> None:
        """Run one instruction; a refusal must leave the whole state as it was."""
        before = self.fingerprint()
        refusal: ExchangeError | None = None
        try:
            instruction(*args)
        except ExchangeError as error:
            refusal = error
        if refusal is not None:
            self.refusals[refusal.name] += 1
            assert self.fingerprint() == before, f"refused {refusal} changed the state"

    def _op_place(self, wallet: int, side: Side, price: int, size: int, quote_factor: int,
                  order_type: PlaceOrderType, behavior: SelfTradeBehavior, expiry: int,
                  limit: int, remaining: list[int]) -> None:  # fmt: skip
        owner = self.owners[wallet]
        args = PlaceOrderArgs(
            side, price, size, size * price * quote_factor + quote_factor, wallet, order_type,
            0 if expiry == 0 else self.now_s + expiry, behavior, limit,
        )  # fmt: skip
        token = f"{owner}.quote" if side is Side.BID else f"{owner}.base"
        others = [self.account_id(w) for w in remaining]
        self.run(
            self.exchange.place_order,
            owner,
            self.account_id(wallet),
            args,
            token,
            self.now_s,
            others,
        )

    def _op_take(self, wallet: int, side: Side, price: int, size: int, order_type: int) -> None:
        owner = self.owners[wallet]
        args = PlaceTakeOrderArgs(side, price, size, size * price * 2, PlaceOrderType(order_type))
        self.run(
            self.exchange.place_take_order,
            owner,
            MARKET,
            args,
            f"{owner}.base",
            f"{owner}.quote",
            self.now_s,
        )

    def _op_batch(
        self,
        wallet: int,
        should_cancel: bool,
        order_type: PlaceOrderType,
        bids: list[tuple[int, int, int]],
        asks: list[tuple[int, int, int]],
    ) -> None:
        owner = self.owners[wallet]

        def entry(price: int, size: int, expiry: int) -> PlaceMultipleOrdersArgs:
            return PlaceMultipleOrdersArgs(
                price, size * price, 0 if expiry == 0 else self.now_s + expiry
            )

        args = PlaceOrdersArgs(
            order_type, tuple(entry(*e) for e in bids), tuple(entry(*e) for e in asks), 5
        )
        batch = (
            self.exchange.cancel_all_and_place_orders
            if should_cancel
            else self.exchange.place_orders
        )
        self.run(
            batch, owner, self.account_id(wallet), args, f"{owner}.base", f"{owner}.quote",
            self.now_s,
        )  # fmt: skip

    def _op_cancel(self, wallet: int, pick: int) -> None:
        account = self.exchange.open_orders[self.account_id(wallet)]
        used = [entry.order_id for entry in account.slots if entry is not None]
        order_id = used[pick % len(used)] if used else pick + 1
        self.run(self.exchange.cancel_order, self.owners[wallet], account.account_id, order_id)

    def _op_cancel_client(self, wallet: int, client_order_id: int) -> None:
        self.run(
            self.exchange.cancel_order_by_client_order_id,
            self.owners[wallet],
            self.account_id(wallet),
            client_order_id,
        )

    def _op_cancel_all(self, wallet: int, side: Side | None, limit: int) -> None:
        self.run(
            self.exchange.cancel_all_orders,
            self.owners[wallet],
            self.account_id(wallet),
            side,
            limit,
        )

    def _op_edit(self, wallet: int, client_order_id: int, expected: int, price: int,
                 size: int) -> None:  # fmt: skip
        owner = self.owners[wallet]
        args = PlaceOrderArgs(Side.BID, price, size, size * price * 2, client_order_id)
        self.run(self.exchange.edit_order,
            owner, self.account_id(wallet), client_order_id, expected, args, f"{owner}.quote",
            self.now_s,
        )  # fmt: skip

    def _op_consume(self, limit: int, accounts: list[int]) -> None:
        self.run(
            self.exchange.consume_events, MARKET, limit, [self.account_id(w) for w in accounts]
        )

    def _op_consume_given(self, slots: list[int], accounts: list[int]) -> None:
        self.run(
            self.exchange.consume_given_events,
            MARKET,
            slots,
            [self.account_id(w) for w in accounts],
        )

    def _op_settle(self, wallet: int) -> None:
        owner = self.owners[wallet]
        self.run(
            self.exchange.settle_funds,
            owner,
            self.account_id(wallet),
            f"{owner}.base",
            f"{owner}.quote",
        )

    def _op_deposit(self, wallet: int, base: int, quote: int) -> None:
        owner = self.owners[wallet]
        self.run(self.exchange.deposit,
            owner, self.account_id(wallet), f"{owner}.base", f"{owner}.quote", base, quote,
            self.now_s,
        )  # fmt: skip

    def _op_self_cross(self, wallet: int, price: int, size: int, behavior: SelfTradeBehavior,
                       pass_self: bool) -> None:  # fmt: skip
        # a resting ask, then a bid of the same account crossing it (self-trade paths)
        owner = self.owners[wallet]
        account_id = self.account_id(wallet)
        ask = PlaceOrderArgs(
            Side.ASK, price, size + 1, (size + 1) * price, 7, PlaceOrderType.POST_ONLY
        )
        self.run(self.exchange.place_order, owner, account_id, ask, f"{owner}.base", self.now_s)
        bid = PlaceOrderArgs(Side.BID, price, size + 1, 4 * (size + 1) * price, 8, limit=3,
                             self_trade_behavior=behavior)  # fmt: skip
        others = [account_id] if pass_self else []
        self.run(
            self.exchange.place_order, owner, account_id, bid, f"{owner}.quote", self.now_s, others
        )

    def _op_grid(self, wallet: int, should_cancel: bool, mid: int, levels: int) -> None:
        owner = self.owners[wallet]
        bids = tuple(PlaceMultipleOrdersArgs(mid - 1 - i, 3 * (mid - 1 - i)) for i in range(levels))
        asks = tuple(PlaceMultipleOrdersArgs(mid + 1 + i, 3 * (mid + 1 + i)) for i in range(levels))
        args = PlaceOrdersArgs(PlaceOrderType.POST_ONLY, bids, asks, 5)
        batch = (
            self.exchange.cancel_all_and_place_orders
            if should_cancel
            else self.exchange.place_orders
        )
        self.run(
            batch, owner, self.account_id(wallet), args, f"{owner}.base", f"{owner}.quote",
            self.now_s,
        )  # fmt: skip

    def _op_sweep(self) -> None:
        self.run(self.exchange.sweep_fees, "admin", MARKET, "admin.quote")

    def _op_advance(self, seconds: int) -> None:
        self.now_s += seconds

    # -- invariants --------------------------------------------------------------------------

    def fingerprint(self) -> object:
        """Return a value equal for equal states (for the no-change-on-error check)."""
        market = self.market
        books = [
            [(o.order_id, o.quantity, o.owner, o.owner_slot) for o in side.iter_orders()]
            for side in (market.bids, market.asks)
        ]
        heap = market.event_heap
        accounts = [(a.snapshot(), a.delegate) for a in self.exchange.open_orders.values()]
        tokens = sorted((k, v.amount) for k, v in self.exchange.ledger.accounts.items())
        return (
            market.snapshot_counters(), books, list(heap), heap.free_head, heap.count,
            market.bids.bump_index, market.asks.bump_index, accounts, tokens,
        )  # fmt: skip

    def check_not_crossed(self) -> None:
        best_bid = self.market.bids.best_price(self.now_s)
        best_ask = self.market.asks.best_price(self.now_s)
        assert best_bid is None or best_ask is None or best_bid < best_ask, (best_bid, best_ask)

    def check_balances(self) -> None:
        ledger = self.exchange.ledger
        for mint, total in self.totals.items():
            assert ledger.total(mint) == total, mint
        assert all(a.amount >= 0 for a in ledger.accounts.values())
        for account in self.exchange.open_orders.values():
            assert all(v >= 0 for v in account.snapshot()[0]), account.snapshot()[0]

    def check_accounts_match_book(self) -> None:
        """Slots point at their resting orders; locked lots = resting + pending events."""
        market = self.market
        open_orders = self.exchange.open_orders
        locked: dict[tuple[str, Side], list[int]] = {}
        for book in (market.bids, market.asks):
            for order in book.iter_orders():
                slot = open_orders[order.owner].slots[order.owner_slot]
                assert slot is not None
                assert slot.order_id == order.order_id
                entry = locked.setdefault((order.owner, book.side), [0, 0])
                entry[0] += order.quantity
                entry[1] += order.quantity * order.price_lots
        for _, event in market.event_heap:
            if isinstance(event, FillEvent):
                key = (event.maker, event.taker_side.opposite)
            else:
                key = (event.owner, event.side)
            entry = locked.setdefault(key, [0, 0])
            entry[0] += event.quantity
            entry[1] += event.quantity * (
                event.price if isinstance(event, FillEvent) else self._locked_price(event)
            )
        for account in open_orders.values():
            bids = locked.get((account.account_id, Side.BID), [0, 0])
            asks = locked.get((account.account_id, Side.ASK), [0, 0])
            assert (account.bids_base_lots, account.bids_quote_lots) == tuple(bids)
            assert account.asks_base_lots == asks[0]

    def check_node_layout(self) -> None:
        """The exact node tree holds the book's orders and agrees with the node arithmetic."""
        for book in (self.market.bids, self.market.asks):
            tree = book.tree
            assert tree is not None
            assert (tree.bump_index, tree.free_list_len) == (book.bump_index, book.free_list_len)
            leaves = {
                int(node[1]): int(node[5])
                for node in tree.nodes
                if node is not None and node[0] == 2
            }
            assert leaves == {o.order_id: o.quantity for o in book.iter_orders()}
            assert tree.roots[0][1] == len(book)

    def _locked_price(self, out: OutEvent) -> int:
        slot = self.exchange.open_orders[out.owner].slots[out.owner_slot]
        assert slot is not None
        return slot.locked_price

    def check_unwinds(self) -> None:
        """Crank, cancel, settle and sweep everything: the vaults must end exactly empty."""
        exchange = copy.deepcopy(self.exchange)
        ids = [self.account_id(w) for w in range(WALLETS)]
        market = exchange.markets[MARKET]
        while len(market.event_heap):
            exchange.consume_events(MARKET, 8, ids)
        for wallet, owner in enumerate(self.owners):
            exchange.cancel_all_orders(owner, self.account_id(wallet))
        for wallet, owner in enumerate(self.owners):
            exchange.settle_funds(owner, self.account_id(wallet), f"{owner}.base", f"{owner}.quote")
        exchange.sweep_fees("admin", MARKET, "admin.quote")
        ledger = exchange.ledger
        assert ledger.balance(market.accounts.base_vault) == 0
        assert ledger.balance(market.accounts.quote_vault) == 0
        assert not market.bids.by_id
        assert not market.asks.by_id
        assert len(market.event_heap) == 0
        for account in exchange.open_orders.values():
            assert account.is_empty, account.snapshot()
            assert account.open_orders_in_use == 0


@settings(max_examples=200, deadline=None)
@given(setup=setups, ops=st.lists(operations, min_size=5, max_size=60))
def test_exchange_random_instructions_keep_invariants(setup: Setup, ops: list[Op]) -> None:
    world = World(setup)

    for op in ops:
        world.apply(op)
        world.check_not_crossed()
        world.check_balances()
        world.check_accounts_match_book()
        world.check_node_layout()

    world.check_unwinds()
