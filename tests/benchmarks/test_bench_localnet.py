"""Speed of the localnet's OpenBook emulator on the bot's hot path.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_localnet.py --benchmark-enable``.
- simulating one signed v0 transaction with a 16-entry ``cancel_all_and_place_orders``
  (8 bids + 8 asks) on a seeded market whose book already holds that wallet's previous grid:
  intake checks, account snapshot, decode of Market / BookSides / EventHeap / OpenOrders,
  the exchange model, writing the accounts back, and the rollback a simulation does.
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from bmvbot.core.types import PlaceOrderType
from bmvbot.localnet.chain import LocalChain
from bmvbot.localnet.seed import SeedParams, seed_market
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrdersArgs


def test_bench_localnet_simulate_sixteen_order_rebalance(benchmark: BenchmarkFixture) -> None:
    chain = LocalChain()
    seeded = seed_market(chain, SeedParams(wallets=1))
    wallet = seeded.wallets[0]
    args = PlaceOrdersArgs(
        PlaceOrderType.POST_ONLY,
        bids=tuple(PlaceMultipleOrdersArgs(990 - i, (990 - i) * 2) for i in range(8)),
        asks=tuple(PlaceMultipleOrdersArgs(1010 + i, (1010 + i) * 2) for i in range(8)),
    )
    instruction = ix.cancel_all_and_place_orders(
        seeded.keys, signer=wallet.keypair.pubkey(), open_orders_account=wallet.open_orders_account,
        user_base_account=wallet.base_account, user_quote_account=wallet.quote_account, args=args,
    )  # fmt: skip

    def transaction() -> VersionedTransaction:
        message = MessageV0.try_compile(
            wallet.keypair.pubkey(), [instruction], [], chain.latest_blockhash()[0]
        )
        return VersionedTransaction(message, [wallet.keypair])

    assert chain.execute(transaction(), commit=True).is_ok
    chain.advance(1, 1)
    tx = transaction()

    outcome = benchmark(lambda: chain.execute(tx, commit=False))

    assert outcome.is_ok
