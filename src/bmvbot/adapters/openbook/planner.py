"""Execution planner: a rebalance plan packed into signed v0 transactions and Jito bundles.

Each ``ReplacementStep`` becomes exactly one ``cancel_all_and_place_orders`` (an empty batch for
a CANCEL step), signed by the wallet that owns the OpenOrders account (or, in delegate mode, by
one delegate key), so every wallet stays self-consistent whatever subset of transactions lands.
Transactions are v0 messages over one active lookup table (``lookup_table``); the first signer
pays the fees, and the last transaction of each bundle ends with the Jito tip from its fee
payer to a static tip account.

Packing keeps the plan's safe order (any prefix of it is safe, ``core.swarm``). Every candidate
transaction is compiled and serialized, and must hold within 1,232 bytes, 64 account locks,
12 signatures and 1,400,000 CU (``compute``). A bundle takes greedy full transactions (a
transaction that can end later is never worse: a suffix of a fitting transaction fits) and the
shortest-to-finish tip transaction; when the plan needs more than five transactions it is split
into the fewest bundles this finds, each safe on its own, and ``ExecutionPlan.is_atomic`` is
False.

Compute budget (``ComputeBudgetPolicy``): ``ALWAYS`` puts SetComputeUnitLimit and
SetComputeUnitPrice in every transaction. ``WHEN_ROOM`` (default) also packs without them, keeps
that packing only when it needs fewer transactions, and then drops them only from transactions
too full to carry them whose runtime default (200,000 CU per OpenBook instruction) covers the
estimate. The price is irrelevant to a bundle's auction, but the requested CU is not (it ranks
bundles by tip per CU), so ``ALWAYS`` bids better per CU and ``WHEN_ROOM`` saves transactions.

Delegate mode (``DelegateAccounts``): one hot key, set as delegate on every OpenOrders account,
signs every instruction and pays from its own token accounts (a delegate can only fund from
accounts it controls). It saves 96 bytes per wallet (no signature, no static signer key), but
it links every wallet of the swarm on chain, so it is off unless asked for.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from bmvbot.adapters.openbook import compute, jito
from bmvbot.adapters.openbook.execution_plan import (
    BundlePlan,
    ExecutionPlan,
    InstructionInfo,
    PackedTransaction,
)
from bmvbot.adapters.openbook.lookup_table import LookupTableState, WalletAccounts
from bmvbot.core.errors import (
    ConfigError,
    FatalVenueError,
    InvariantError,
    RejectedError,
    RetryableVenueError,
)
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, bid_quote_lots_needed
from bmvbot.core.types import Level, WalletId
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrdersArgs, PlaceOrderType

TX_SIZE_LIMIT_BYTES = 1_232
"""PACKET_DATA_SIZE: the largest serialized transaction."""
MAX_ACCOUNT_LOCKS = 64
"""Account locks per transaction enforced on mainnet."""
MAX_SIGNATURES_PER_TX = 12
"""Signatures that fit one packet."""
MAX_TRANSACTIONS_PER_BUNDLE = 5


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


@dataclass(frozen=True, slots=True)
class _Unit:
    # one step as one instruction, with who signs it and its modelled CU
    step: ReplacementStep
    signer: Pubkey
    instruction: Instruction
    compute_units: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    # a compiled, unsigned transaction and its measured figures
    message: MessageV0
    signers: tuple[Pubkey, ...]
    size_bytes: int
    account_locks: int
    compute_unit_limit: int
    compute_unit_estimate: int
    has_budget: bool

    @property
    def is_within_limits(self) -> bool:
        return (
            self.size_bytes <= TX_SIZE_LIMIT_BYTES
            and self.account_locks <= MAX_ACCOUNT_LOCKS
            and len(self.signers) <= MAX_SIGNATURES_PER_TX
            and self.compute_unit_estimate <= self.compute_unit_limit
            and self.compute_unit_limit <= compute.MAX_COMPUTE_UNITS_PER_TX
        )


@dataclass(frozen=True, slots=True)
class _Context:
    # everything a candidate transaction needs besides its units
    table: LookupTableState
    recent_blockhash: Hash
    tip_account: Pubkey
    params: PlannerParams


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
) -> list[_Unit]:
    units: list[_Unit] = []
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
        units.append(_Unit(step, signer, instruction, cu))
    return units


def _compile(
    units: Sequence[_Unit], *, has_budget: bool, has_tip: bool, context: _Context
) -> _Candidate:
    params = context.params
    signers = tuple(dict.fromkeys(unit.signer for unit in units))
    builtins = (2 if has_budget else 0) + (1 if has_tip else 0)
    estimate = compute.transaction_compute_units(
        (unit.compute_units for unit in units), builtins, params.compute_margin_pct
    )
    limit = estimate if has_budget else compute.default_compute_units(len(units), builtins)
    instructions = [unit.instruction for unit in units]
    if has_budget:
        # the runtime rejects a limit above the cap, so clamp; is_within_limits then fails
        budget_limit = min(limit, compute.MAX_COMPUTE_UNITS_PER_TX)
        instructions[:0] = [
            set_compute_unit_limit(budget_limit),
            set_compute_unit_price(params.compute_unit_price_micro_lamports),
        ]
    if has_tip:
        instructions.append(
            jito.tip_instruction(signers[0], context.tip_account, params.tip_lamports)
        )
    message = MessageV0.try_compile(
        signers[0], instructions, [context.table.account()], context.recent_blockhash
    )
    unsigned = VersionedTransaction.populate(message, [Signature.default()] * len(signers))
    locks = len(message.account_keys) + sum(
        len(lookup.writable_indexes) + len(lookup.readonly_indexes)
        for lookup in message.address_table_lookups
    )
    return _Candidate(message, signers, len(bytes(unsigned)), locks, limit, estimate, has_budget)


class _Packer:
    # memoised reach: how far one transaction starting at a unit can extend
    def __init__(self, units: list[_Unit], context: _Context, *, may_drop_budget: bool) -> None:
        self.units = units
        self.context = context
        self.may_drop_budget = may_drop_budget
        self.reach = cache(self._reach)

    def candidate(self, start: int, end: int, *, has_tip: bool) -> _Candidate | None:
        # prefer the compute-budget instructions; drop them only when allowed and needed
        chunk = self.units[start:end]
        with_budget = _compile(chunk, has_budget=True, has_tip=has_tip, context=self.context)
        if with_budget.is_within_limits or not self.may_drop_budget:
            return with_budget if with_budget.is_within_limits else None
        without = _compile(chunk, has_budget=False, has_tip=has_tip, context=self.context)
        return without if without.is_within_limits else None

    def _reach(self, start: int, has_tip: bool) -> int:
        end = start
        while end < len(self.units) and self.candidate(start, end + 1, has_tip=has_tip):
            end += 1
        if end == start:
            step = self.units[start].step
            raise RejectedError(
                f"wallet={step.wallet} step ({len(step.bids)} bids, {len(step.asks)} asks) does "
                "not fit one transaction even alone; the plan cannot be sent"
            )
        return end

    def bundles(self) -> list[list[tuple[int, int]]]:
        bundles, start = [], 0
        while start < len(self.units):
            spans = self._bundle(start)
            bundles.append(spans)
            start = spans[-1][1]
        return bundles

    def _bundle(self, start: int) -> list[tuple[int, int]]:
        total = len(self.units)
        ends = [start]  # ends[j]: furthest end after j full transactions
        for _ in range(MAX_TRANSACTIONS_PER_BUNDLE - 1):
            ends.append(self.reach(ends[-1], False) if ends[-1] < total else total)
        for plain in range(MAX_TRANSACTIONS_PER_BUNDLE):
            # the tip transaction may start anywhere the full ones can end; the latest start
            # reaches furthest, but it must keep at least one unit for itself
            tip_start = min(ends[plain], total - 1)
            if tip_start >= start + plain and self.reach(tip_start, True) == total:
                return [*self._spans(start, tip_start, plain), (tip_start, total)]
        last = MAX_TRANSACTIONS_PER_BUNDLE - 1
        return [*self._spans(start, ends[last], last), (ends[last], self.reach(ends[last], True))]

    def _spans(self, start: int, stop: int, count: int) -> list[tuple[int, int]]:
        # `count` full transactions from start ending exactly at stop: greedy, clipped so
        # that each later one keeps at least one unit (a single unit always fits)
        spans, cursor = [], start
        for index in range(count):
            left = count - index - 1
            end = stop if left == 0 else min(self.reach(cursor, False), stop - left)
            spans.append((cursor, end))
            cursor = end
        return spans


def _transaction(
    packer: _Packer, span: tuple[int, int], has_tip: bool, keypairs: Mapping[Pubkey, Keypair]
) -> PackedTransaction:
    start, end = span
    candidate = packer.candidate(start, end, has_tip=has_tip)
    if candidate is None:  # the spans come from reach(), so this is a planner defect
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
        infos.append(InstructionInfo("system.transfer (jito tip)", lamports=_tip(packer)))
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


def _tip(packer: _Packer) -> int:
    return packer.context.params.tip_lamports


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
    units = _units(plan, keys, accounts, delegate, resting_orders or {}, params)
    for unit in units:
        if unit.signer not in by_key:
            raise FatalVenueError(f"no signing key for wallet={unit.step.wallet} ({unit.signer})")
    needed = [
        meta.pubkey
        for unit in units
        for meta in unit.instruction.accounts
        if not meta.is_signer and meta.pubkey != keys.program_id
    ]
    signers = [unit.signer for unit in units] + [w.owner for w in accounts.values()]
    _check_table(table, current_slot, signers, tip_account, needed)
    context = _Context(table, recent_blockhash, tip_account, params)
    packer = _Packer(units, context, may_drop_budget=False)
    layout = packer.bundles()
    if params.compute_budget is ComputeBudgetPolicy.WHEN_ROOM and layout:
        relaxed = _Packer(units, context, may_drop_budget=True)
        relaxed_layout = relaxed.bundles()
        if _cost(relaxed_layout) < _cost(layout):
            packer, layout = relaxed, relaxed_layout
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


def _cost(layout: list[list[tuple[int, int]]]) -> tuple[int, int]:
    return len(layout), sum(map(len, layout))
