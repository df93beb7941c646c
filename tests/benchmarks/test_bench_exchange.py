"""Throughput of the exchange model: a place + cancel + match mix on a deep book.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_exchange.py --benchmark-enable``.
One round runs ``OPS_PER_ROUND`` planned instructions (about 60 % post-only maker placements,
15 % cancels, 25 % crossing IOC takers filling 1-3 makers each) plus the consume_events cranks
they need (reported as ``instructions_per_round``); ops/s = instructions_per_round / mean.
"""

from __future__ import annotations

import random

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

    def place_maker(self, maker: int) -> None:
        owner, account_id, base, quote = self.accounts[maker]
        side = Side.BID if self.rng.random() < 0.5 else Side.ASK
        offset = self.rng.randint(1, 50)
        price = MID_PRICE_LOTS - offset if side is Side.BID else MID_PRICE_LOTS + offset
        size = self.rng.randint(1, 20)
        args = PlaceOrderArgs(side, price, size, size * price, order_type=PlaceOrderType.POST_ONLY)
        token = quote if side is Side.BID else base
        result = self.exchange.place_order(owner, account_id, args, token, self.now_s)
        if result.order_id is not None:
            self.resting[maker].append(result.order_id)

    def cancel_maker(self, maker: int) -> None:
        owner, account_id, _, _ = self.accounts[maker]
        resting = self.resting[maker]
        order_id = resting.pop(0)
        if self._on_book(order_id):  # else filled or cancelled by a self-trade already
            self.exchange.cancel_order(owner, account_id, order_id)

    def _on_book(self, order_id: int) -> bool:
        market = self.exchange.markets["market"]
        return order_id in market.bids.by_id or order_id in market.asks.by_id

    def take(self, taker: int) -> None:
        owner, account_id, base, quote = self.accounts[MAKERS + taker]
        side = Side.BID if self.rng.random() < 0.5 else Side.ASK
        size = self.rng.randint(1, 30)
        price = MID_PRICE_LOTS + 60 if side is Side.BID else MID_PRICE_LOTS - 60
        args = PlaceOrderArgs(
            side, price, size, size * price * 2, order_type=PlaceOrderType.IMMEDIATE_OR_CANCEL
        )
        token = quote if side is Side.BID else base
        self.exchange.place_order(owner, account_id, args, token, self.now_s)

    def crank(self) -> None:
        self.exchange.consume_events("market", 8, self.account_ids)

    def plan(self, operations: int) -> list[tuple[int, int]]:
        """Draw the operation sequence up front: (kind, actor); 0 maker, 1 taker, 2 crank."""
        rng = self.rng
        plan = []
        for _ in range(operations):
            roll = rng.random()
            if roll < 0.75:
                plan.append((0, rng.randrange(MAKERS)))
            else:
                plan.append((1, rng.randrange(TAKERS)))
        return plan

    def run(self, plan: list[tuple[int, int]]) -> int:
        """Run the planned instructions (plus cranks when the heap grows); return the count."""
        done = 0
        heap = self.exchange.markets["market"].event_heap
        open_orders = self.exchange.open_orders
        accounts = self.accounts
        for kind, actor in plan:
            self.now_s += 1
            if kind == 1:
                self.take(actor)
            elif open_orders[accounts[actor][1]].open_orders_in_use >= 20 or (
                self.resting[actor] and self.rng.random() < 0.45
            ):
                self.cancel_maker(actor)
            else:
                self.place_maker(actor)
            done += 1
            if heap.count > 32:
                self.crank()
                done += 1
        return done


def test_bench_exchange_place_cancel_match_mix(benchmark: BenchmarkFixture) -> None:
    workload = ExchangeWorkload(seed=7)
    workload.run(workload.plan(5_000))
    plan = workload.plan(OPS_PER_ROUND)

    done = benchmark(workload.run, plan)

    benchmark.extra_info["instructions_per_round"] = done
    assert done >= OPS_PER_ROUND
    market = workload.exchange.markets["market"]
    best_bid = market.bids.best_price(workload.now_s)
    best_ask = market.asks.best_price(workload.now_s)
    assert best_bid is None or best_ask is None or best_bid < best_ask


def test_bench_exchange_grid_requote(benchmark: BenchmarkFixture) -> None:
    """One cancel_all_and_place_orders of 12 bids + 12 asks per call, around a drifting mid."""
    workload = ExchangeWorkload(seed=11)
    owner, account_id, base, quote = workload.accounts[0]
    exchange = workload.exchange
    mids = [MID_PRICE_LOTS + workload.rng.randint(-30, 30) for _ in range(200)]

    def requote_all() -> int:
        for mid in mids:
            bids = tuple(PlaceMultipleOrdersArgs(mid - 5 - i, 3 * (mid - 5 - i)) for i in range(12))
            asks = tuple(PlaceMultipleOrdersArgs(mid + 5 + i, 3 * (mid + 5 + i)) for i in range(12))
            args = PlaceOrdersArgs(PlaceOrderType.POST_ONLY, bids, asks, 12)
            exchange.cancel_all_and_place_orders(owner, account_id, args, base, quote, 10)
        return len(mids)

    done = benchmark(requote_all)

    benchmark.extra_info["instructions_per_round"] = done
    benchmark.extra_info["orders_placed_per_round"] = done * 24
    assert exchange.open_orders[account_id].open_orders_in_use == 24
