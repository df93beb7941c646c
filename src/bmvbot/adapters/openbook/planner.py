"""Execution planner: a rebalance plan packed into signed v0 transactions and Jito bundles.

Each ``ReplacementStep`` becomes exactly one ``cancel_all_and_place_orders`` (an empty batch for
a CANCEL step), signed by the wallet that owns the OpenOrders account (or, in delegate mode, by
one delegate key), so every wallet stays self-consistent whatever subset of transactions lands.
Transactions are v0 messages over one active lookup table (``lookup_table``); the first signer
pays the fees, and the last transaction of each bundle ends with the Jito tip from its fee
payer to a static tip account.

Packing (``packing``) keeps the plan's safe order (any prefix of it is safe, ``core.swarm``).
Every candidate transaction is compiled and serialized, and must hold within 1,232 bytes, 64
account locks, 12 signatures and 1,400,000 CU (``compute``). The packer finds the fewest
bundles, then the fewest transactions, then the fewest without a compute budget; when the plan
needs more than one bundle it is split between steps, each bundle safe on its own, and
``ExecutionPlan.is_atomic`` is False.

Compute budget (``ComputeBudgetPolicy``): ``ALWAYS`` puts SetComputeUnitLimit and
SetComputeUnitPrice in every transaction. ``WHEN_ROOM`` (default) lets a transaction go without
them when they do not fit and the runtime default (200,000 CU per OpenBook instruction) covers
the estimate; as the packer minimises such transactions after the transaction count, this
happens only where it saves a transaction, in as few transactions as possible. The price is
irrelevant to a bundle's auction, but the requested CU is not (it ranks bundles by tip per CU),
so ``ALWAYS`` bids better per CU and ``WHEN_ROOM`` saves transactions.

Delegate mode (``DelegateAccounts``): one hot key, set as delegate on every OpenOrders account,
signs every instruction and pays from its own token accounts (a delegate can only fund from
accounts it controls). It saves 96 bytes per wallet (no signature, no static signer key), but
it links every wallet of the swarm on chain, so it is off unless asked for.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bmvbot.adapters.openbook import compute, jito
from bmvbot.adapters.openbook.execution_plan import (
    BundlePlan,
    ExecutionPlan,
    InstructionInfo,
    PackedTransaction,
)
from bmvbot.adapters.openbook.lookup_table import LookupTableState, WalletAccounts
from bmvbot.adapters.openbook.packing import (
    MAX_ACCOUNT_LOCKS,
    MAX_SIGNATURES_PER_TX,
    MAX_TRANSACTIONS_PER_BUNDLE,
    TX_SIZE_LIMIT_BYTES,
    Packer,
    PackingContext,
    Unit,
)
from bmvbot.core.errors import (
    ConfigError,
    FatalVenueError,
    InvariantError,
    RejectedError,
    RetryableVenueError,
)
from bmvbot.core.swarm import ReplacementPlan, bid_quote_lots_needed
from bmvbot.core.types import FEES_SCALE, Level, PlaceOrderType, WalletId
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrdersArgs

__all__ = [
    "MAX_ACCOUNT_LOCKS",
    "MAX_SIGNATURES_PER_TX",
    "MAX_TRANSACTIONS_PER_BUNDLE",
    "TX_SIZE_LIMIT_BYTES",
    "ComputeBudgetPolicy",
    "DelegateAccounts",
    "PlannerParams",
    "build_packer",
    "entry_args",
    "plan_execution",
]


class ComputeBudgetPolicy(enum.Enum):
    """Where the compute-budget instructions go (see the module docstring)."""

    ALWAYS = "always"
    WHEN_ROOM = "when_room"


@dataclass(frozen=True, slots=True)
class PlannerParams:
    """How transactions are built.

    Attributes:
        tip_lamports: Jito tip per bundle, >= 1,000; default 10,000.
        compute_unit_price_micro_lamports: SetComputeUnitPrice value; default 0 (a bundle's
            auction looks only at the tip).
        compute_margin_pct: headroom over the CU model, percent; default 25.
        compute_budget: ``ALWAYS`` or ``WHEN_ROOM`` (default).
        match_limit: the batch's per-entry matching limit (post-only entries never match);
            default 10.
        maker_fee_ppm: the market's maker fee, to size each entry's quote budget; default 0.
    """

    tip_lamports: int = 10_000
    compute_unit_price_micro_lamports: int = 0
    compute_margin_pct: int = compute.DEFAULT_MARGIN_PCT
    compute_budget: ComputeBudgetPolicy = ComputeBudgetPolicy.WHEN_ROOM
    match_limit: int = 10
    maker_fee_ppm: int = 0

    def __post_init__(self) -> None:
        jito.check_tip(self.tip_lamports)
        if not 0 <= self.compute_unit_price_micro_lamports < 2**64:
            raise ConfigError(
                "planner.compute_unit_price_micro_lamports must be a u64, was "
                f"{self.compute_unit_price_micro_lamports}",
                key="planner.compute_unit_price_micro_lamports",
            )
        if not 0 <= self.compute_margin_pct <= 400:
            raise ConfigError(
                f"planner.compute_margin_pct must be 0..400, was {self.compute_margin_pct}",
                key="planner.compute_margin_pct",
            )
        policy: object = self.compute_budget  # a caller may pass the raw string
        if not isinstance(policy, ComputeBudgetPolicy):
            allowed = ", ".join(p.value for p in ComputeBudgetPolicy)
            raise ConfigError(
                f"planner.compute_budget must be one of {allowed}, was {policy!r}",
                key="planner.compute_budget",
            )
        if not self.maker_fee_ppm < FEES_SCALE:
            raise ConfigError(
                f"planner.maker_fee_ppm must be below {FEES_SCALE}, was {self.maker_fee_ppm}",
                key="planner.maker_fee_ppm",
            )
        if not 0 <= self.match_limit <= 255:
            raise ConfigError(
                f"planner.match_limit must be 0..255, was {self.match_limit}",
                key="planner.match_limit",
            )


@dataclass(frozen=True, slots=True)
class DelegateAccounts:
    """The delegate of delegate mode: its key and the token accounts it funds orders from."""

    keypair: Keypair
    base_account: Pubkey
    quote_account: Pubkey


def entry_args(level: Level, maker_fee_ppm: int) -> PlaceMultipleOrdersArgs:
    """Return the batch entry that rests ``level`` post-only (size set by the quote budget)."""
    budget = bid_quote_lots_needed(level.price_lots, level.size_base_lots, maker_fee_ppm)
    return PlaceMultipleOrdersArgs(level.price_lots, budget)


def _units(
    plan: ReplacementPlan,
    keys: ix.MarketKeys,
    accounts: Mapping[WalletId, WalletAccounts],
    delegate: DelegateAccounts | None,
    resting_orders: Mapping[WalletId, int],
    params: PlannerParams,
) -> list[Unit]:
    units: list[Unit] = []
    for step in plan.steps:
        wallet = accounts.get(step.wallet)
        if wallet is None:
            raise FatalVenueError(f"no accounts for wallet={step.wallet}: register it first")
        if len(step.bids) + len(step.asks) > compute.MAX_ORDERS_PER_ACCOUNT:
            raise RejectedError(
                f"wallet={step.wallet} step places {len(step.bids) + len(step.asks)} orders, "
                f"one OpenOrders account holds {compute.MAX_ORDERS_PER_ACCOUNT}"
            )
        signer = delegate.keypair.pubkey() if delegate else wallet.owner
        args = PlaceOrdersArgs(
            PlaceOrderType.POST_ONLY,
            tuple(entry_args(level, params.maker_fee_ppm) for level in step.bids),
            tuple(entry_args(level, params.maker_fee_ppm) for level in step.asks),
            params.match_limit,
        )
        instruction = ix.cancel_all_and_place_orders(
            keys,
            signer=signer,
            open_orders_account=wallet.open_orders_account,
            user_base_account=delegate.base_account if delegate else wallet.base_account,
            user_quote_account=delegate.quote_account if delegate else wallet.quote_account,
            args=args,
        )
        cancelled = resting_orders.get(step.wallet, compute.MAX_ORDERS_PER_ACCOUNT)
        # a wallet that appears twice (cancel first, place later) has nothing left to cancel
        if any(u.step.wallet == step.wallet for u in units):
            cancelled = 0
        cu = compute.batch_compute_units(cancelled, len(step.bids) + len(step.asks))
        units.append(Unit(step, signer, instruction, cu))
    return units


def _transaction(
    packer: Packer, span: tuple[int, int], has_tip: bool, keypairs: Mapping[Pubkey, Keypair]
) -> PackedTransaction:
    start, end = span
    candidate = packer.candidate(start, end, has_tip)
    if candidate is None:  # layout() only returns spans that fit, so this is a defect
        raise InvariantError(f"planned transaction of steps {start}..{end} does not fit")
    signed = VersionedTransaction(candidate.message, [keypairs[s] for s in candidate.signers])
    header = candidate.message.header
    signing_keys = candidate.message.account_keys[: header.num_required_signatures]
    data = bytes(signed)
    units = packer.units[start:end]
    has_budget = candidate.has_budget
    infos = [
        InstructionInfo(
            "openbook.cancel_all_and_place_orders",
            unit.step.wallet,
            len(unit.step.bids),
            len(unit.step.asks),
        )
        for unit in units
    ]
    if has_budget:
        infos[:0] = [
            InstructionInfo("compute_budget.set_compute_unit_limit"),
            InstructionInfo("compute_budget.set_compute_unit_price"),
        ]
    if has_tip:
        tip = packer.context.tip_lamports
        infos.append(InstructionInfo("system.transfer (jito tip)", lamports=tip))
    return PackedTransaction(
        data,
        len(data),
        tuple(str(key) for key in signing_keys),
        tuple(unit.step.wallet for unit in units),
        candidate.account_locks,
        candidate.compute_unit_limit,
        candidate.compute_unit_estimate,
        has_budget,
        has_tip,
        tuple(infos),
    )


def _check_table(
    table: LookupTableState,
    current_slot: int,
    signers: Sequence[Pubkey],
    tip_account: Pubkey,
    needed: Sequence[Pubkey],
) -> None:
    table.require_active(current_slot)
    entries = set(table.addresses)
    forbidden = [str(k) for k in (*signers, tip_account) if k in entries]
    if forbidden:
        raise ConfigError(
            f"lookup table {table.address} must not hold signers or the tip account, "
            f"holds {forbidden}: build it with swarm_table_addresses"
        )
    missing = table.missing(needed)
    if missing:
        raise RetryableVenueError(
            f"lookup table {table.address} lacks {len(missing)} accounts of this plan "
            f"(first {missing[0]}): extend it and retry once the extension is active"
        )


def build_packer(
    plan: ReplacementPlan,
    *,
    keys: ix.MarketKeys,
    accounts: Mapping[WalletId, WalletAccounts],
    table: LookupTableState,
    recent_blockhash: Hash,
    tip_account: Pubkey,
    params: PlannerParams | None = None,
    delegate: DelegateAccounts | None = None,
    resting_orders: Mapping[WalletId, int] | None = None,
) -> Packer:
    """Return the packer of ``plan``'s instructions (``plan_execution`` without its checks).

    Raises:
        FatalVenueError: a wallet has no accounts.
        RejectedError: a step places more than 24 orders.
    """
    params = params or PlannerParams()
    units = _units(plan, keys, accounts, delegate, resting_orders or {}, params)
    context = PackingContext(
        table.account(),
        recent_blockhash,
        tip_account,
        params.tip_lamports,
        params.compute_unit_price_micro_lamports,
        params.compute_margin_pct,
    )
    may_drop = params.compute_budget is ComputeBudgetPolicy.WHEN_ROOM
    return Packer(units, context, may_drop_budget=may_drop)


def plan_execution(
    plan: ReplacementPlan,
    *,
    keys: ix.MarketKeys,
    accounts: Mapping[WalletId, WalletAccounts],
    keypairs: Sequence[Keypair],
    table: LookupTableState,
    current_slot: int,
    recent_blockhash: Hash,
    tip_account: Pubkey,
    params: PlannerParams | None = None,
    delegate: DelegateAccounts | None = None,
    resting_orders: Mapping[WalletId, int] | None = None,
) -> ExecutionPlan:
    """Return ``plan`` as signed bundles (see the module docstring).

    Args:
        plan: the safe per-wallet steps (``core.swarm.plan_replacement``).
        keys: the market's accounts.
        accounts: every wallet's OpenOrders and token accounts, by wallet id.
        keypairs: the signing keys: each wallet's, or the delegate's in delegate mode.
        table: the swarm's lookup table; it must be active at ``current_slot``.
        current_slot: the slot the transactions are planned for.
        recent_blockhash: the blockhash every transaction is signed with.
        tip_account: the Jito tip account (``jito.pick_tip_account``); never in the table.
        params: build parameters (defaults: ``PlannerParams()``).
        delegate: the delegate for delegate mode, None to have each wallet sign.
        resting_orders: orders resting in each wallet's OpenOrders account now, for the CU
            estimate; a wallet not listed is assumed full (24).

    Raises:
        RetryableVenueError: the table is not active yet or lacks accounts of this plan.
        FatalVenueError: the table was deactivated, or a wallet has no accounts or no key.
        RejectedError: a step places more than 24 orders or cannot fit a transaction alone.
        ConfigError: the table holds a signer or the tip account.
    """
    params = params or PlannerParams()
    by_key = {keypair.pubkey(): keypair for keypair in keypairs}
    packer = build_packer(
        plan,
        keys=keys,
        accounts=accounts,
        table=table,
        recent_blockhash=recent_blockhash,
        tip_account=tip_account,
        params=params,
        delegate=delegate,
        resting_orders=resting_orders,
    )
    for unit in packer.units:
        if unit.signer not in by_key:
            raise FatalVenueError(f"no signing key for wallet={unit.step.wallet} ({unit.signer})")
    needed = [
        meta.pubkey
        for unit in packer.units
        for meta in unit.instruction.accounts
        if not meta.is_signer and meta.pubkey != keys.program_id
    ]
    signers = [unit.signer for unit in packer.units] + [w.owner for w in accounts.values()]
    _check_table(table, current_slot, signers, tip_account, needed)
    layout = packer.layout()
    bundles = tuple(
        BundlePlan(
            tuple(
                _transaction(packer, span, index == len(spans) - 1, by_key)
                for index, span in enumerate(spans)
            ),
            str(tip_account),
            params.tip_lamports,
        )
        for spans in layout
    )
    return ExecutionPlan(bundles, str(table.address), str(recent_blockhash), delegate is not None)
