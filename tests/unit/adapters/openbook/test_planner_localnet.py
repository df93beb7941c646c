"""Planned bundles sent to the localnet block engine (LiteSVM + OpenBook emulator): each lands,
the book ends equal to the target grid, each order in the wallet the allocation gave it, and
the tip is paid.

The lookup table is created and extended by real Address Lookup Table instructions on the
chain, and used one slot later.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bmvbot.adapters.openbook.execution_plan import ExecutionPlan
from bmvbot.adapters.openbook.jito import MAINNET_TIP_ACCOUNTS
from bmvbot.adapters.openbook.lookup_table import (
    LookupTableState,
    WalletAccounts,
    create_lookup_table,
    swarm_table_addresses,
)
from bmvbot.adapters.openbook.planner import (
    ComputeBudgetPolicy,
    DelegateAccounts,
    PlannerParams,
    plan_execution,
)
from bmvbot.adapters.openbook.synthetic import synthetic_grid
from bmvbot.core.config import SwarmParams
from bmvbot.core.errors import RetryableVenueError
from bmvbot.core.swarm import Allocation, WalletFunds, allocate, plan_replacement
from bmvbot.core.types import BaseLots, Grid, Level, QuoteLots, Side, WalletId
from bmvbot.localnet.chain import LocalChain
from bmvbot.localnet.jito import BlockEngine
from bmvbot.localnet.rpc import SolanaRpc
from bmvbot.localnet.seed import SeededMarket, SeedParams, SeedWallet, seed_market
from bmvbot.openbook import instructions as ix
from bmvbot.openbook import pda
from bmvbot.openbook.bookside import decode_bookside
from bmvbot.openbook.ids import TOKEN_PROGRAM_ID
from bmvbot.openbook.spl import TokenAccount, encode_token_account

TIP_ACCOUNT = MAINNET_TIP_ACCOUNTS[0]
TIP_LAMPORTS = 10_000


def _send(chain: LocalChain, instructions: Sequence[Instruction], signer: Keypair) -> None:
    message = Message.new_with_blockhash(
        list(instructions), signer.pubkey(), chain.latest_blockhash()[0]
    )
    outcome = chain.execute(VersionedTransaction(message, [signer]), commit=True)
    assert outcome.is_ok, (outcome.err, outcome.logs[-3:])


def _table(
    chain: LocalChain, market: SeededMarket, extra: Sequence[Pubkey] = ()
) -> LookupTableState:
    authority = Keypair()
    chain.airdrop(authority.pubkey(), 10**10)
    slot = chain.slot
    create, address = create_lookup_table(authority.pubkey(), authority.pubkey(), slot)
    _send(chain, [create], authority)
    empty = LookupTableState(address, authority.pubkey(), (), slot)
    wallets = [_accounts(w) for w in market.wallets]
    for extend in empty.extend_instructions(
        authority.pubkey(), swarm_table_addresses(market.keys, wallets, extra)
    ):
        _send(chain, [extend], authority)
    account = chain.get(address)
    assert account is not None
    return LookupTableState.from_account_data(address, bytes(account.data))


def _accounts(wallet: SeedWallet) -> WalletAccounts:
    return WalletAccounts(
        wallet.keypair.pubkey(),
        wallet.open_orders_account,
        wallet.base_account,
        wallet.quote_account,
    )


def _allocation(market: SeededMarket, grid: Grid) -> Allocation:
    wallets = [WalletId(str(w.keypair.pubkey())) for w in market.wallets]
    params = SwarmParams(wallet_count=len(wallets), is_side_split=len(wallets) > 1)
    funds = [WalletFunds(w, BaseLots(10**6), QuoteLots(10**12)) for w in wallets]
    return allocate(grid, funds, params, 0)


def _rebalance(
    chain: LocalChain,
    market: SeededMarket,
    table: LookupTableState,
    old: Allocation | None,
    new: Allocation,
    policy: ComputeBudgetPolicy,
    delegate: DelegateAccounts | None = None,
) -> ExecutionPlan:
    resting = {w.wallet: w.levels for w in old.wallets} if old else {}
    execution = plan_execution(
        plan_replacement(resting, new),
        keys=market.keys,
        accounts={WalletId(str(w.keypair.pubkey())): _accounts(w) for w in market.wallets},
        keypairs=[delegate.keypair] if delegate else [w.keypair for w in market.wallets],
        table=table,
        current_slot=chain.slot,
        recent_blockhash=chain.latest_blockhash()[0],
        tip_account=TIP_ACCOUNT,
        params=PlannerParams(tip_lamports=TIP_LAMPORTS, compute_budget=policy),
        resting_orders={wallet: len(levels) for wallet, levels in resting.items()},
        delegate=delegate,
    )
    # submitted as a Jito client would: sendBundle with base64 transactions, then the status
    engine = BlockEngine(SolanaRpc(chain))
    for bundle in execution.bundles:
        bundle_id = engine.call("sendBundle", [bundle.encoded("base64"), {"encoding": "base64"}])
        status = engine.call("getInflightBundleStatuses", [[bundle_id]])
        assert bundle_id == bundle.bundle_id
        assert isinstance(status, dict)
        assert status["value"][0]["status"] == "Landed", engine.bundles[bundle.bundle_id]
    return execution


def _book(chain: LocalChain, address: Pubkey) -> list[tuple[int, int, Pubkey]]:
    account = chain.get(address)
    assert account is not None
    orders = decode_bookside(bytes(account.data)).orders()
    return sorted((o.price_lots, o.base_lots, o.owner) for o in orders)


def _expected(
    market: SeededMarket, allocation: Allocation, side: Side
) -> list[tuple[int, int, Pubkey]]:
    owners = {WalletId(str(w.keypair.pubkey())): w.open_orders_account for w in market.wallets}
    rows: list[tuple[int, int, Pubkey]] = []
    for orders in allocation.wallets:
        levels: tuple[Level, ...] = orders.bids if side is Side.BID else orders.asks
        rows += [(lv.price_lots, lv.size_base_lots, owners[orders.wallet]) for lv in levels]
    return sorted(rows)


@pytest.mark.parametrize(
    ("wallets", "orders", "policy", "bundles"),
    [
        (1, 32, ComputeBudgetPolicy.WHEN_ROOM, [1]),
        (2, 32, ComputeBudgetPolicy.WHEN_ROOM, [2]),
        (4, 32, ComputeBudgetPolicy.WHEN_ROOM, [2]),
        (8, 32, ComputeBudgetPolicy.WHEN_ROOM, [2]),
        (16, 32, ComputeBudgetPolicy.WHEN_ROOM, [3]),
        (16, 32, ComputeBudgetPolicy.ALWAYS, [4]),
        (20, 32, ComputeBudgetPolicy.WHEN_ROOM, [4]),
        (48, 96, ComputeBudgetPolicy.WHEN_ROOM, [5, 4]),
    ],
)
def test_planner_bundles_on_localnet_rest_the_target_grid(
    wallets: int, orders: int, policy: ComputeBudgetPolicy, bundles: list[int]
) -> None:
    chain = LocalChain()
    market = seed_market(chain, SeedParams(wallets=wallets))
    chain.airdrop(TIP_ACCOUNT, 10**9)
    table = _table(chain, market)
    first = _allocation(market, synthetic_grid(orders))
    shifted = _allocation(market, synthetic_grid(orders, offset_ticks=3))

    with pytest.raises(RetryableVenueError):
        _rebalance(chain, market, table, None, first, policy)
    chain.advance(1, 1)
    placed = _rebalance(chain, market, table, None, first, policy)
    first_bids = _book(chain, market.keys.bids)
    first_asks = _book(chain, market.keys.asks)
    chain.advance(1, 1)
    moved = _rebalance(chain, market, table, first, shifted, policy)

    assert [len(b.transactions) for b in moved.bundles] == bundles
    assert placed.is_atomic == moved.is_atomic == (len(bundles) == 1)
    assert first_bids == _expected(market, first, Side.BID)
    assert first_asks == _expected(market, first, Side.ASK)
    assert _book(chain, market.keys.bids) == _expected(market, shifted, Side.BID)
    assert _book(chain, market.keys.asks) == _expected(market, shifted, Side.ASK)
    tips = chain.get(TIP_ACCOUNT)
    assert tips is not None
    assert tips.lamports == 10**9 + TIP_LAMPORTS * (len(placed.bundles) + len(moved.bundles))


def _delegate(chain: LocalChain, market: SeededMarket) -> DelegateAccounts:
    # set as delegate on every OpenOrders account (each owner signs) and funded with tokens
    keypair = Keypair()
    chain.airdrop(keypair.pubkey(), 10**10)
    for wallet in market.wallets:
        set_delegate = ix.set_delegate(
            owner=wallet.keypair.pubkey(),
            open_orders_account=wallet.open_orders_account,
            delegate=keypair.pubkey(),
        )
        _send(chain, [set_delegate], wallet.keypair)
    accounts = []
    for mint in (market.base_mint, market.quote_mint):
        address = pda.associated_token_address(keypair.pubkey(), mint)
        token = TokenAccount(mint, keypair.pubkey(), 10**15, None, 1, None, 0, None)
        data = encode_token_account(token)
        chain.set(address, Account(chain.rent(len(data)), data, TOKEN_PROGRAM_ID, False, 0))
        accounts.append(address)
    return DelegateAccounts(keypair, accounts[0], accounts[1])


def test_planner_delegate_bundles_on_localnet_rest_the_target_grid() -> None:
    chain = LocalChain()
    market = seed_market(chain, SeedParams(wallets=16))
    chain.airdrop(TIP_ACCOUNT, 10**9)
    delegate = _delegate(chain, market)
    table = _table(chain, market, (delegate.base_account, delegate.quote_account))
    chain.advance(1, 1)
    first = _allocation(market, synthetic_grid(32))
    shifted = _allocation(market, synthetic_grid(32, offset_ticks=-2))
    policy = ComputeBudgetPolicy.WHEN_ROOM

    placed = _rebalance(chain, market, table, None, first, policy, delegate)
    chain.advance(1, 1)
    moved = _rebalance(chain, market, table, first, shifted, policy, delegate)

    assert (placed.transaction_count, moved.transaction_count) == (2, 2)
    assert moved.is_delegate
    assert _book(chain, market.keys.bids) == _expected(market, shifted, Side.BID)
    assert _book(chain, market.keys.asks) == _expected(market, shifted, Side.ASK)
