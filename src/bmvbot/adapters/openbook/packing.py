"""Bundle packing: split an ordered list of instructions into transactions and Jito bundles.

A *unit* is one step's instruction with its signer and modelled compute units. Units keep their
order: a transaction takes a contiguous run of them, a bundle up to five transactions, the last
of which ends with the tip. Every candidate transaction is compiled into a v0 message over the
lookup table and serialized (signatures as placeholders), and it fits when its real size,
account locks, signatures and compute units are within the limits.

``Packer.layout`` is a dynamic program over (next unit, transactions already in the open
bundle) that minimises, in this order: bundles, transactions, then transactions without
compute-budget instructions (see ``planner.ComputeBudgetPolicy``). For each start it considers
every end up to the first one that does not fit. Ties go to fuller transactions and fuller
earlier bundles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from bmvbot.adapters.openbook import compute, jito
from bmvbot.core.errors import RejectedError
from bmvbot.core.swarm import ReplacementStep

TX_SIZE_LIMIT_BYTES = 1_232
"""PACKET_DATA_SIZE: the largest serialized transaction."""
MAX_ACCOUNT_LOCKS = 64
"""Account locks per transaction enforced on mainnet."""
MAX_SIGNATURES_PER_TX = 12
"""Signatures that fit one packet."""
MAX_TRANSACTIONS_PER_BUNDLE = 5


@dataclass(frozen=True, slots=True)
class Unit:
    """One step as one instruction, with who signs it and its modelled CU (no margin)."""

    step: ReplacementStep
    signer: Pubkey
    instruction: Instruction
    compute_units: int


@dataclass(frozen=True, slots=True)
class PackingContext:
    """Everything a transaction needs besides its units."""

    table: AddressLookupTableAccount
    recent_blockhash: Hash
    tip_account: Pubkey
    tip_lamports: int
    compute_unit_price_micro_lamports: int
    compute_margin_pct: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A compiled, unsigned transaction and its measured figures."""

    message: MessageV0
    signers: tuple[Pubkey, ...]
    size_bytes: int
    account_locks: int
    compute_unit_limit: int
    compute_unit_estimate: int
    has_budget: bool

    @property
    def is_within_limits(self) -> bool:
        """Return True when size, locks, signatures and compute units are within limits."""
        return (
            self.size_bytes <= TX_SIZE_LIMIT_BYTES
            and self.account_locks <= MAX_ACCOUNT_LOCKS
            and len(self.signers) <= MAX_SIGNATURES_PER_TX
            and self.compute_unit_estimate <= self.compute_unit_limit
            and self.compute_unit_limit <= compute.MAX_COMPUTE_UNITS_PER_TX
        )


def compile_transaction(
    units: Sequence[Unit], *, has_budget: bool, has_tip: bool, context: PackingContext
) -> Candidate:
    """Return the transaction of ``units`` (with compute budget and tip as asked), measured."""
    signers = tuple(dict.fromkeys(unit.signer for unit in units))
    builtins = (2 if has_budget else 0) + (1 if has_tip else 0)
    estimate = compute.transaction_compute_units(
        (unit.compute_units for unit in units), builtins, context.compute_margin_pct
    )
    limit = estimate if has_budget else compute.default_compute_units(len(units), builtins)
    instructions = [unit.instruction for unit in units]
    if has_budget:
        # the runtime rejects a limit above the cap, so clamp; is_within_limits then fails
        instructions[:0] = [
            set_compute_unit_limit(min(limit, compute.MAX_COMPUTE_UNITS_PER_TX)),
            set_compute_unit_price(context.compute_unit_price_micro_lamports),
        ]
    if has_tip:
        tip = jito.tip_instruction(signers[0], context.tip_account, context.tip_lamports)
        instructions.append(tip)
    message = MessageV0.try_compile(
        signers[0], instructions, [context.table], context.recent_blockhash
    )
    unsigned = VersionedTransaction.populate(message, [Signature.default()] * len(signers))
    locks = len(message.account_keys) + sum(
        len(lookup.writable_indexes) + len(lookup.readonly_indexes)
        for lookup in message.address_table_lookups
    )
    return Candidate(message, signers, len(bytes(unsigned)), locks, limit, estimate, has_budget)


class _Cost(NamedTuple):
    bundles: int
    transactions: int
    without_budget: int


_UNREACHABLE = _Cost(2**62, 0, 0)
_Choice = tuple[int, bool]  # (end of this transaction, whether it carries the tip)


class Packer:
    """Packs units into bundles; ``may_drop_budget`` allows transactions without budget ixs."""

    def __init__(
        self, units: Sequence[Unit], context: PackingContext, *, may_drop_budget: bool
    ) -> None:
        self.units = tuple(units)
        self.context = context
        self.may_drop_budget = may_drop_budget
        self.variant = cache(self._variant)

    def _variant(self, start: int, end: int, has_tip: bool, has_budget: bool) -> Candidate:
        chunk = self.units[start:end]
        return compile_transaction(
            chunk, has_budget=has_budget, has_tip=has_tip, context=self.context
        )

    def candidate(self, start: int, end: int, has_tip: bool) -> Candidate | None:
        """Return the transaction of units ``start..end`` if it fits, None if not.

        With the compute-budget instructions when they fit; else, when allowed, without them.
        """
        with_budget = self.variant(start, end, has_tip, True)
        if with_budget.is_within_limits:
            return with_budget
        if not self.may_drop_budget:
            return None
        without = self.variant(start, end, has_tip, False)
        return without if without.is_within_limits else None

    def _ends(self, start: int, has_tip: bool) -> list[tuple[int, Candidate]]:
        # every end of a transaction from `start`, up to the first that does not fit; with a
        # budget, fitting only shrinks as units are added, so it is not tried again once lost
        ends: list[tuple[int, Candidate]] = []
        is_budget_possible = True
        last = len(self.units) if has_tip else len(self.units) - 1
        for end in range(start + 1, last + 1):
            if is_budget_possible:
                candidate = self.variant(start, end, has_tip, True)
                is_budget_possible = candidate.is_within_limits
                if is_budget_possible:
                    ends.append((end, candidate))
                    continue
            if not self.may_drop_budget:
                break
            candidate = self.variant(start, end, has_tip, False)
            if not candidate.is_within_limits:
                break
            ends.append((end, candidate))
        if has_tip and not ends:
            step = self.units[start].step
            raise RejectedError(
                f"wallet={step.wallet} step ({len(step.bids)} bids, {len(step.asks)} asks) "
                "does not fit one transaction even alone; the plan cannot be sent"
            )
        return ends

    def layout(self) -> list[list[tuple[int, int]]]:
        """Return the bundles as lists of (first unit, end) spans; the last span has the tip."""
        total = len(self.units)
        width = MAX_TRANSACTIONS_PER_BUNDLE
        # best[i][k]: cheapest finish from unit i with k transactions already in the bundle
        best = [[_UNREACHABLE] * width for _ in range(total + 1)]
        choice: list[list[_Choice]] = [[(0, False)] * width for _ in range(total + 1)]
        best[total][0] = _Cost(0, 0, 0)
        for start in reversed(range(total)):
            # longest first: on a tie the fuller transaction wins (the earlier ones fill up)
            tip_options = [(end, True, c) for end, c in reversed(self._ends(start, True))]
            plain_options = [(end, False, c) for end, c in reversed(self._ends(start, False))]
            for opened in range(width):
                # a plain transaction leaves the bundle open; the tip transaction closes it
                # on a tie the bundle stays open: earlier bundles fill up first
                options = (plain_options if opened + 1 < width else []) + tip_options
                for end, has_tip, candidate in options:
                    rest = best[end][0 if has_tip else opened + 1]
                    if rest is _UNREACHABLE:
                        continue
                    cost = _Cost(
                        rest.bundles + (opened == 0),
                        rest.transactions + 1,
                        rest.without_budget + (not candidate.has_budget),
                    )
                    if cost < best[start][opened]:
                        best[start][opened] = cost
                        choice[start][opened] = (end, has_tip)
        return self._spans(choice, total)

    @staticmethod
    def _spans(choice: list[list[_Choice]], total: int) -> list[list[tuple[int, int]]]:
        bundles: list[list[tuple[int, int]]] = []
        start, opened = 0, 0
        while start < total:
            end, has_tip = choice[start][opened]
            if opened == 0:
                bundles.append([])
            bundles[-1].append((start, end))
            start, opened = end, (0 if has_tip else opened + 1)
        return bundles
