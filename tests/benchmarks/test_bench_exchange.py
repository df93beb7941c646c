"""Throughput of the exchange model: a place + cancel + match mix on a deep book.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_exchange.py --benchmark-enable``.

An operation is one instruction the exchange runs: a post-only maker placement, a cancel of an
order that is still on the book, a crossing immediate-or-cancel take (filling 1-3 makers), or a
``consume_events`` crank (up to 8 fills reach their makers). The random draws and the order
arguments are made up front (``plan``), so a round times the exchange, not the harness; a maker
whose oldest ids were filled meanwhile skips them for free (no instruction, no count). A round of
the seed-7 plan sends about 55 % placements, 20 % cancels and 25 % takes, plus a crank per 14
of those. Reported per round: ``instructions_per_round`` (all four kinds: ops/s = it / mean) and
``place_cancel_take_per_round`` (cranks run and are timed but not counted). The machine is shared:
compare runs by CPU time (``time.process_time`` around ``ExchangeWorkload.run``) or repeat them.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.core.types import Side
from bmvbot.exchange import (
    Exchange,
    MarketAccounts,
    MarketParams,
    PlaceMultipleOrdersArgs,
    PlaceOrderArgs,
    PlaceOrdersArgs,
    PlaceOrderType,
)

MAKERS = 16
TAKERS = 4
OPS_PER_ROUND = 20_000
MID_PRICE_LOTS = 10_000
FUNDS_NATIVE = 10**15
MAX_OPEN_ORDERS = 24
CANCEL_SHARE = 0.35
"""Share of a maker's turns that cancel its oldest order still on the book (if any)."""


class Step(NamedTuple):
    """One planned turn: a maker (kind 0) or taker (kind 1), its order and a cancel draw."""

    kind: int
    actor: int
    args: PlaceOrderArgs
    token: str
    wants_cancel: bool


class RunCounts(NamedTuple):
    """Instructions one run sent: placements, cancels, takes, cranks."""

    places: int
    cancels: int
    takes: int
    cranks: int

    @property
    def instructions(self) -> int:
        """Return every instruction, cranks included."""
        return self.places + self.cancels + self.takes + self.cranks


class ExchangeWorkload:
    """A market with makers quoting around a mid and takers crossing the spread."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.exchange = Exchange()
        ledger = self.exchange.ledger
        accounts = MarketAccounts.derived("market")
        params = MarketParams(
            name="bench", base_mint="base", quote_mint="quote", base_lot_size=1_000_000,
            quote_lot_size=1, maker_fee=-100, taker_fee=400, collect_fee_admin="admin",
        )  # fmt: skip
        self.exchange.create_market(accounts, params, now_s=1)
        self.accounts: list[tuple[str, str, str, str]] = []
        for index in range(MAKERS + TAKERS):
            owner = f"wallet{index}"
            ledger.open_account(f"{owner}.base", "base", owner, FUNDS_NATIVE)
            ledger.open_account(f"{owner}.quote", "quote", owner, FUNDS_NATIVE)
            self.exchange.create_open_orders_indexer(owner)
            account_id = self.exchange.create_open_orders_account(owner, "market", "bench")
            self.accounts.append((owner, account_id, f"{owner}.base", f"{owner}.quote"))
        self.account_ids = [account_id for _, account_id, _, _ in self.accounts]
        self.resting: list[list[int]] = [[] for _ in range(MAKERS)]
        self.now_s = 2

    def _maker_step(self, maker: int) -> Step:
        rng = self.rng
        _, _, base, quote = self.accounts[maker]
        side = Side.BID if rng.random() < 0.5 else Side.ASK
        offset = rng.randint(1, 50)
        price = MID_PRICE_LOTS - offset if side is Side.BID else MID_PRICE_LOTS + offset
        size = rng.randint(1, 20)
        args = PlaceOrderArgs(side, price, size, size * price, order_type=PlaceOrderType.POST_ONLY)
        token = quote if side is Side.BID else base
        return Step(0, maker, args, token, rng.random() < CANCEL_SHARE)

    def _taker_step(self, taker: int) -> Step:
        rng = self.rng
        _, _, base, quote = self.accounts[MAKERS + taker]
        side = Side.BID if rng.random() < 0.5 else Side.ASK
        size = rng.randint(1, 30)
        price = MID_PRICE_LOTS + 60 if side is Side.BID else MID_PRICE_LOTS - 60
        args = PlaceOrderArgs(
            side, price, size, size * price * 2, order_type=PlaceOrderType.IMMEDIATE_OR_CANCEL
        )
        token = quote if side is Side.BID else base
        return Step(1, taker, args, token, False)

    def plan(self, operations: int) -> list[Step]:
        """Draw the turns up front: 75 % maker turns, 25 % taker turns."""
        rng = self.rng
        return [
            self._maker_step(rng.randrange(MAKERS))
            if rng.random() < 0.75
            else self._taker_step(rng.randrange(TAKERS))
            for _ in range(operations)
        ]

    def _oldest_on_book(self, maker: int) -> int | None:
        # ids of orders filled meanwhile are dropped here, at no instruction
        resting = self.resting[maker]
        market = self.exchange.markets["market"]
        bids = market.bids.by_id
        asks = market.asks.by_id
        while resting:
            order_id = resting.pop(0)
            if order_id in bids or order_id in asks:
                return order_id
        return None

    def run(self, plan: list[Step]) -> RunCounts:
        """Run the planned turns (plus a crank whenever the heap holds over 32 events)."""
        exchange = self.exchange
        place_order = exchange.place_order
        cancel_order = exchange.cancel_order
        heap = exchange.markets["market"].event_heap
        # the slot lists stay the same objects unless an instruction fails (which ends the run)
        slots = [exchange.open_orders[account_id].slots for _, account_id, _, _ in self.accounts]
        accounts = self.accounts
        now_s = self.now_s
        places = cancels = takes = cranks = 0
        for kind, actor, args, token, wants_cancel in plan:
            now_s += 1
            if kind == 1:
                owner, account_id, _, _ = accounts[MAKERS + actor]
                place_order(owner, account_id, args, token, now_s)
                takes += 1
            else:
                owner, account_id, _, _ = accounts[actor]
                in_use = MAX_OPEN_ORDERS - slots[actor].count(None)
                order_id = self._oldest_on_book(actor) if in_use >= 20 or wants_cancel else None
                if order_id is not None:
                    cancel_order(owner, account_id, order_id)
                    cancels += 1
                elif in_use < MAX_OPEN_ORDERS:
                    result = place_order(owner, account_id, args, token, now_s)
                    if result.order_id is not None:
                        self.resting[actor].append(result.order_id)
                    places += 1
            if heap.count > 32:
                exchange.consume_events("market", 8, self.account_ids)
                cranks += 1
        self.now_s = now_s
        return RunCounts(places, cancels, takes, cranks)


def test_bench_exchange_place_cancel_match_mix(benchmark: BenchmarkFixture) -> None:
    workload = ExchangeWorkload(seed=7)
    workload.run(workload.plan(5_000))
    plan = workload.plan(OPS_PER_ROUND)

    counts = benchmark(workload.run, plan)

    benchmark.extra_info["instructions_per_round"] = counts.instructions
    benchmark.extra_info["place_cancel_take_per_round"] = counts.instructions - counts.cranks
    benchmark.extra_info["counts"] = counts._asdict()
    if benchmark.stats is not None:
        mean_s = benchmark.stats.stats.mean
        benchmark.extra_info["instructions_per_s"] = round(counts.instructions / mean_s)
        benchmark.extra_info["place_cancel_take_per_s"] = round(
            (counts.instructions - counts.cranks) / mean_s
        )
    assert counts.cancels > OPS_PER_ROUND // 20
    assert counts.takes > OPS_PER_ROUND // 5
    market = workload.exchange.markets["market"]
    best_bid = market.bids.best_price(workload.now_s)
    best_ask = market.asks.best_price(workload.now_s)
    assert best_bid is None or best_ask is None or best_bid < best_ask


def test_bench_exchange_grid_requote(benchmark: BenchmarkFixture) -> None:
    """One cancel_all_and_place_orders of 12 bids + 12 asks per call, around a drifting mid."""
    workload = ExchangeWorkload(seed=11)
    owner, account_id, base, quote = workload.accounts[0]
    exchange = workload.exchange
    batches = []
    for _ in range(200):
        mid = MID_PRICE_LOTS + workload.rng.randint(-30, 30)
        bids = tuple(PlaceMultipleOrdersArgs(mid - 5 - i, 3 * (mid - 5 - i)) for i in range(12))
        asks = tuple(PlaceMultipleOrdersArgs(mid + 5 + i, 3 * (mid + 5 + i)) for i in range(12))
        batches.append(PlaceOrdersArgs(PlaceOrderType.POST_ONLY, bids, asks, 12))

    def requote_all() -> int:
        for args in batches:
            exchange.cancel_all_and_place_orders(owner, account_id, args, base, quote, 10)
        return len(batches)

    done = benchmark(requote_all)

    benchmark.extra_info["instructions_per_round"] = done
    benchmark.extra_info["orders_placed_per_round"] = done * 24
    assert exchange.open_orders[account_id].open_orders_in_use == 24
