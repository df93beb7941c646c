"""A market's end of life on the emulator: expire, prune, settle expired, close."""

from __future__ import annotations

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bmvbot.core.types import PlaceOrderType
from bmvbot.localnet.chain import LocalChain
from bmvbot.localnet.seed import SeededMarket, SeedParams, seed_market
from bmvbot.localnet.transaction import TransactionOutcome
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrdersArgs
from bmvbot.openbook.market import decode_market
from bmvbot.openbook.open_orders import decode_open_orders_account
from bmvbot.openbook.spl import decode_token_account


def _run(
    chain: LocalChain, instructions: list[Instruction], signers: list[Keypair]
) -> TransactionOutcome:
    message = MessageV0.try_compile(
        signers[0].pubkey(), instructions, [], chain.latest_blockhash()[0]
    )
    outcome = chain.execute(VersionedTransaction(message, signers), commit=True)
    chain.advance(1, 1)
    return outcome


def _data(chain: LocalChain, address: Pubkey) -> bytes:
    account = chain.get(address)
    assert account is not None
    return bytes(account.data)


def _market_with_orders() -> tuple[LocalChain, SeededMarket]:
    chain = LocalChain()
    seeded = seed_market(chain, SeedParams(wallets=1, has_close_admin=True))
    wallet = seeded.wallets[0]
    grid = PlaceOrdersArgs(PlaceOrderType.POST_ONLY, bids=(PlaceMultipleOrdersArgs(990, 1980),),
                           asks=(PlaceMultipleOrdersArgs(1010, 2020),))  # fmt: skip
    place = ix.cancel_all_and_place_orders(
        seeded.keys, signer=wallet.keypair.pubkey(), open_orders_account=wallet.open_orders_account,
        user_base_account=wallet.base_account, user_quote_account=wallet.quote_account, args=grid,
    )  # fmt: skip
    assert _run(chain, [place], [wallet.keypair]).is_ok
    return chain, seeded


def test_localnet_close_market_before_expiry_fails_market_has_not_expired() -> None:
    chain, seeded = _market_with_orders()

    outcome = _run(chain, [ix.close_market(seeded.keys, sol_destination=seeded.admin.pubkey())],
                   [seeded.admin])  # fmt: skip

    assert outcome.err == {"InstructionError": [0, {"Custom": 6033}]}
    assert chain.get(seeded.keys.market) is not None


def test_localnet_expired_market_is_pruned_settled_and_closed() -> None:
    chain, seeded = _market_with_orders()
    keys = seeded.keys
    wallet = seeded.wallets[0]
    admin = seeded.admin
    before = chain.get(admin.pubkey())
    assert before is not None

    expired = _run(chain, [ix.set_market_expired(keys)], [admin])
    pruned = _run(chain, [ix.prune_orders(keys, open_orders_account=wallet.open_orders_account,
                                          limit=24)], [admin])  # fmt: skip
    settled = _run(chain, [ix.settle_funds_expired(
        keys, owner=wallet.keypair.pubkey(), penalty_payer=wallet.keypair.pubkey(),
        open_orders_account=wallet.open_orders_account, user_base_account=wallet.base_account,
        user_quote_account=wallet.quote_account,
    )], [admin, wallet.keypair])  # fmt: skip
    market = decode_market(_data(chain, keys.market))
    closed = _run(chain, [ix.close_market(keys, sol_destination=admin.pubkey())], [admin])

    assert [o.err for o in (expired, pruned, settled, closed)] == [None] * 4
    assert market.time_expiry == -1
    assert market.base_deposit_total == market.quote_deposit_total == 0
    for address in (keys.market, keys.bids, keys.asks, keys.event_heap):
        assert chain.get(address) is None
    after = chain.get(admin.pubkey())
    assert after is not None
    assert after.lamports > before.lamports
    account = decode_open_orders_account(_data(chain, wallet.open_orders_account))
    assert account.open_orders_in_use == 0
    base = decode_token_account(_data(chain, wallet.base_account))
    assert base.amount == SeedParams().base_per_wallet_native
