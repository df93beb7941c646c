"""A synthetic market and swarm with deterministic keys, for ``bmvbot plan``, tests and benchmarks.

Every key comes from ``sha256(f"{seed}:{label}")`` as an ed25519 seed, so the same seed gives the
same market, wallets, lookup table, blockhash and therefore the same signed bytes. Derived
accounts are the real ones: market authority and vaults (ATAs of the authority), each wallet's
first OpenOrders account and its ATAs. The grid is ``orders`` levels split evenly between bids
and asks one tick apart around a 10,000-tick mid; the rebalance shifts the previous grid (the
one resting now) by ``shift_ticks``, so every wallet replaces all its orders.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from bmvbot.adapters.openbook.execution_plan import ExecutionPlan
from bmvbot.adapters.openbook.jito import MAINNET_TIP_ACCOUNTS
from bmvbot.adapters.openbook.lookup_table import (
    LookupTableState,
    WalletAccounts,
    lookup_table_address,
    swarm_table_addresses,
)
from bmvbot.adapters.openbook.planner import (
    ComputeBudgetPolicy,
    DelegateAccounts,
    PlannerParams,
    plan_execution,
)
from bmvbot.core.config import SwarmParams
from bmvbot.core.errors import ConfigError
from bmvbot.core.swarm import ReplacementPlan, WalletFunds, allocate, plan_replacement
from bmvbot.core.types import BaseLots, Grid, Level, PriceLots, QuoteLots, Side, WalletId
from bmvbot.openbook import pda
from bmvbot.openbook.instruction_codec import MarketKeys

MID_PRICE_LOTS = 10_000
TABLE_SLOT = 1_000
"""The slot the synthetic table was created and extended in; plan at any later slot."""
MAX_SYNTHETIC_WALLETS = 64


def _keypair(seed: int, label: str) -> Keypair:
    return Keypair.from_seed(hashlib.sha256(f"{seed}:{label}".encode()).digest())


@dataclass(frozen=True, slots=True)
class SyntheticSwarm:
    """A market, its swarm and everything the planner needs to sign for it.

    Attributes:
        keys: the market's accounts.
        accounts: each wallet's accounts, by wallet id (the owner's base58 key).
        keypairs: every wallet's key, in swarm order.
        delegate: the delegate-mode key and token accounts.
        table: the lookup table, active from ``TABLE_SLOT + 1``.
        recent_blockhash: a fixed blockhash.
        tip_account: the first mainnet tip account.
    """

    keys: MarketKeys
    accounts: Mapping[WalletId, WalletAccounts]
    keypairs: tuple[Keypair, ...]
    delegate: DelegateAccounts
    table: LookupTableState
    recent_blockhash: Hash
    tip_account: Pubkey

    @property
    def wallet_ids(self) -> tuple[WalletId, ...]:
        """Return the wallets in swarm order."""
        return tuple(self.accounts)


def synthetic_swarm(wallet_count: int, seed: int = 0) -> SyntheticSwarm:
    """Return a deterministic market and ``wallet_count`` wallets with their lookup table.

    Raises:
        ConfigError: ``wallet_count`` is outside 1..64.
    """
    if not 1 <= wallet_count <= MAX_SYNTHETIC_WALLETS:
        raise ConfigError(
            f"wallets must be 1..{MAX_SYNTHETIC_WALLETS}, was {wallet_count}", key="wallets"
        )
    market = _keypair(seed, "market").pubkey()
    base_mint, quote_mint = (_keypair(seed, label).pubkey() for label in ("base", "quote"))
    keys = MarketKeys(
        market=market,
        bids=_keypair(seed, "bids").pubkey(),
        asks=_keypair(seed, "asks").pubkey(),
        event_heap=_keypair(seed, "event_heap").pubkey(),
        market_authority=pda.market_authority(market),
        base_vault=pda.market_vault(market, base_mint),
        quote_vault=pda.market_vault(market, quote_mint),
    )
    keypairs = tuple(_keypair(seed, f"wallet{i}") for i in range(wallet_count))
    accounts = {
        WalletId(str(k.pubkey())): WalletAccounts(
            k.pubkey(),
            pda.open_orders_account(k.pubkey(), 1),
            pda.associated_token_address(k.pubkey(), base_mint),
            pda.associated_token_address(k.pubkey(), quote_mint),
        )
        for k in keypairs
    }
    delegate_key = _keypair(seed, "delegate")
    delegate = DelegateAccounts(
        delegate_key,
        pda.associated_token_address(delegate_key.pubkey(), base_mint),
        pda.associated_token_address(delegate_key.pubkey(), quote_mint),
    )
    authority = _keypair(seed, "table_authority").pubkey()
    addresses = swarm_table_addresses(
        keys, list(accounts.values()), (delegate.base_account, delegate.quote_account)
    )
    table = LookupTableState(
        lookup_table_address(authority, TABLE_SLOT)[0], authority, addresses, TABLE_SLOT
    )
    blockhash = Hash(hashlib.sha256(f"{seed}:blockhash".encode()).digest())
    return SyntheticSwarm(
        keys, accounts, keypairs, delegate, table, blockhash, MAINNET_TIP_ACCOUNTS[0]
    )


def synthetic_grid(orders: int, offset_ticks: int = 0) -> Grid:
    """Return ``ceil(orders / 2)`` bids and ``floor(orders / 2)`` asks one tick apart.

    Raises:
        ConfigError: ``orders`` is outside 0..2000.
    """
    if not 0 <= orders <= 2_000:
        raise ConfigError(f"orders must be 0..2000, was {orders}", key="orders")
    bid_count, ask_count = (orders + 1) // 2, orders // 2
    size = BaseLots(10)
    bids = tuple(
        Level(Side.BID, PriceLots(MID_PRICE_LOTS - 1 - i + offset_ticks), size)
        for i in range(bid_count)
    )
    asks = tuple(
        Level(Side.ASK, PriceLots(MID_PRICE_LOTS + 1 + i + offset_ticks), size)
        for i in range(ask_count)
    )
    return Grid(bids, asks)


def synthetic_plan(
    swarm: SyntheticSwarm, orders: int, shift_ticks: int = 1
) -> tuple[ReplacementPlan, dict[WalletId, int]]:
    """Return the rebalance from the grid shifted by ``-shift_ticks`` to the synthetic grid.

    Bids and asks rotate over two halves of the swarm (one wallet: both sides in it); wallets
    are funded without limit, so only the 24 OpenOrders slots can leave levels unplaced. Also
    returns each wallet's resting order count (for the CU estimate).
    """
    wallet_ids = swarm.wallet_ids
    params = SwarmParams(wallet_count=len(wallet_ids), is_side_split=len(wallet_ids) > 1)
    funds = [WalletFunds(w, BaseLots(10**12), QuoteLots(10**15)) for w in wallet_ids]
    now_ns = 0
    old = allocate(synthetic_grid(orders, -shift_ticks), funds, params, now_ns)
    new = allocate(synthetic_grid(orders), funds, params, now_ns)
    resting = {orders.wallet: orders.levels for orders in old.wallets}
    counts = {wallet: len(levels) for wallet, levels in resting.items()}
    return plan_replacement(resting, new), counts


def plan_synthetic(
    swarm: SyntheticSwarm,
    orders: int = 32,
    *,
    is_delegate: bool = False,
    params: PlannerParams | None = None,
) -> ExecutionPlan:
    """Return the execution plan of the synthetic rebalance of ``orders`` levels."""
    plan, resting = synthetic_plan(swarm, orders)
    return plan_execution(
        plan,
        keys=swarm.keys,
        accounts=swarm.accounts,
        keypairs=[*swarm.keypairs, swarm.delegate.keypair],
        table=swarm.table,
        current_slot=TABLE_SLOT + 1,
        recent_blockhash=swarm.recent_blockhash,
        tip_account=swarm.tip_account,
        params=params,
        delegate=swarm.delegate if is_delegate else None,
        resting_orders=resting,
    )


@dataclass(frozen=True, slots=True)
class PackingRow:
    """One wallet count of the packing table.

    Attributes:
        wallets: swarm size.
        orders: orders the rebalance places (24 per wallet at most).
        transactions: transactions with the default policy (compute budget when room).
        bundles: bundles with the default policy.
        largest_bytes: the largest serialized transaction with the default policy.
        always_transactions: transactions with compute-budget instructions in every one.
        always_bundles: bundles with compute-budget instructions in every one.
        delegate_transactions: transactions in delegate mode (default policy).
        delegate_bundles: bundles in delegate mode.
    """

    wallets: int
    orders: int
    transactions: int
    bundles: int
    largest_bytes: int
    always_transactions: int
    always_bundles: int
    delegate_transactions: int
    delegate_bundles: int


def packing_table(
    wallet_counts: Sequence[int] = (1, 2, 4, 8, 16, 20), orders: int = 32, seed: int = 0
) -> tuple[PackingRow, ...]:
    """Return the planner's transaction and bundle counts per swarm size (README table)."""
    always = PlannerParams(compute_budget=ComputeBudgetPolicy.ALWAYS)
    rows = []
    for count in wallet_counts:
        swarm = synthetic_swarm(count, seed)
        default = plan_synthetic(swarm, orders)
        strict = plan_synthetic(swarm, orders, params=always)
        delegated = plan_synthetic(swarm, orders, is_delegate=True)
        placed = sum(
            info.bids + info.asks
            for bundle in default.bundles
            for tx in bundle.transactions
            for info in tx.instructions
        )
        sizes = [tx.size_bytes for bundle in default.bundles for tx in bundle.transactions]
        rows.append(
            PackingRow(
                count,
                placed,
                default.transaction_count,
                len(default.bundles),
                max(sizes, default=0),
                strict.transaction_count,
                len(strict.bundles),
                delegated.transaction_count,
                len(delegated.bundles),
            )
        )
    return tuple(rows)


def packing_table_markdown(rows: Sequence[PackingRow]) -> str:
    """Return the packing table as Markdown (the README's "Rebalance packing" table)."""
    lines = [
        "| wallets | orders placed | transactions | bundles | largest tx (bytes) "
        "| tx, budget in every tx | tx, delegate mode |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.wallets} | {r.orders} | {r.transactions} | {r.bundles} | {r.largest_bytes} "
        f"| {r.always_transactions} ({r.always_bundles} bundle{'s' * (r.always_bundles != 1)}) "
        f"| {r.delegate_transactions} ({r.delegate_bundles} "
        f"bundle{'s' * (r.delegate_bundles != 1)}) |"
        for r in rows
    ]
    return "\n".join(lines)
