"""The planner's output: signed transactions grouped into Jito bundles, ready to submit.

``ExecutionPlan.bundles[i].encoded("base64")`` is exactly the ``params[0]`` list of a
``sendBundle`` call (with ``{"encoding": "base64"}``); ``"base58"`` gives the default encoding.
Bundles after the first must be sent only once the previous one landed: each is safe on its own,
but nothing makes two bundles land together or in order.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Literal

from solders.transaction import VersionedTransaction

from bmvbot.core.errors import ConfigError
from bmvbot.core.types import WalletId

Encoding = Literal["base64", "base58"]
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58_encode(data: bytes) -> str:
    """Return ``data`` in Bitcoin base58 (Solana's alphabet), leading zero bytes as ``1``."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_B58_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def encode_transaction(data: bytes, encoding: Encoding) -> str:
    """Return serialized transaction bytes as a ``sendBundle`` / ``sendTransaction`` string.

    Raises:
        ConfigError: the encoding is neither base64 nor base58.
    """
    if encoding == "base64":
        return base64.b64encode(data).decode()
    if encoding == "base58":
        return base58_encode(data)
    raise ConfigError(f"encoding must be base64 or base58, was {encoding!r}")


@dataclass(frozen=True, slots=True)
class InstructionInfo:
    """One instruction of a packed transaction, for people and logs.

    Attributes:
        name: ``program.instruction`` (e.g. ``openbook.cancel_all_and_place_orders``).
        wallet: the swarm wallet whose OpenOrders account it rewrites, None for the others.
        bids: bids it places.
        asks: asks it places.
        lamports: lamports it moves (the tip), else 0.
    """

    name: str
    wallet: WalletId | None = None
    bids: int = 0
    asks: int = 0
    lamports: int = 0


@dataclass(frozen=True, slots=True)
class PackedTransaction:
    """One signed v0 transaction.

    Attributes:
        transaction: the serialized ``VersionedTransaction`` (what goes on the wire).
        size_bytes: ``len(transaction)``, at most 1,232.
        signers: the signing keys in message order; the first pays the fees.
        wallets: the swarm wallets whose steps it carries, in plan order.
        account_locks: static keys plus lookup-table entries, at most 64.
        compute_unit_limit: the CU it requests (its SetComputeUnitLimit, or the runtime default
            when it carries no compute-budget instructions), at most 1,400,000.
        compute_unit_estimate: the modelled CU with margin (never above the limit).
        has_compute_budget: it carries SetComputeUnitLimit and SetComputeUnitPrice.
        has_tip: its last instruction is the bundle's Jito tip.
        instructions: what it does, in order.
    """

    transaction: bytes
    size_bytes: int
    signers: tuple[str, ...]
    wallets: tuple[WalletId, ...]
    account_locks: int
    compute_unit_limit: int
    compute_unit_estimate: int
    has_compute_budget: bool
    has_tip: bool
    instructions: tuple[InstructionInfo, ...]

    @property
    def signature(self) -> str:
        """Return the first signature (the transaction id), base58."""
        return str(VersionedTransaction.from_bytes(self.transaction).signatures[0])

    def encoded(self, encoding: Encoding = "base64") -> str:
        """Return the transaction as a submission string."""
        return encode_transaction(self.transaction, encoding)


@dataclass(frozen=True, slots=True)
class BundlePlan:
    """One Jito bundle: 1..5 transactions executed in order, all or nothing.

    Attributes:
        transactions: its transactions; the last one ends with the tip transfer.
        tip_account: the tip account its last transaction pays (a static key).
        tip_lamports: the tip.
    """

    transactions: tuple[PackedTransaction, ...]
    tip_account: str
    tip_lamports: int

    @property
    def bundle_id(self) -> str:
        """Return SHA-256 hex of the comma-joined first signatures (jito-solana's bundle id)."""
        signatures = ",".join(tx.signature for tx in self.transactions)
        return hashlib.sha256(signatures.encode()).hexdigest()

    @property
    def wallets(self) -> tuple[WalletId, ...]:
        """Return the wallets whose steps it carries, in plan order."""
        return tuple(w for tx in self.transactions for w in tx.wallets)

    def encoded(self, encoding: Encoding = "base64") -> list[str]:
        """Return the ``sendBundle`` transaction list in ``encoding``."""
        return [tx.encoded(encoding) for tx in self.transactions]


@dataclass(frozen=True, slots=True)
class ExecutionPlan:
    """A rebalance as bundles.

    Attributes:
        bundles: the bundles, in plan order; send each after the previous one landed.
        lookup_table: the address lookup table every transaction uses.
        recent_blockhash: the blockhash every transaction was signed with.
        is_delegate: one delegate key signed every instruction (links the wallets on chain).
    """

    bundles: tuple[BundlePlan, ...]
    lookup_table: str
    recent_blockhash: str
    is_delegate: bool = False

    @property
    def is_atomic(self) -> bool:
        """Return True when the whole rebalance is one all-or-nothing bundle (or nothing)."""
        return len(self.bundles) <= 1

    @property
    def transaction_count(self) -> int:
        """Return the transactions over all bundles."""
        return sum(len(bundle.transactions) for bundle in self.bundles)

    def to_json_data(self) -> dict[str, object]:
        """Return the plan as JSON data (transactions in base64 and base58)."""
        return {
            "is_atomic": self.is_atomic,
            "is_delegate": self.is_delegate,
            "lookup_table": self.lookup_table,
            "recent_blockhash": self.recent_blockhash,
            "transaction_count": self.transaction_count,
            "bundles": [_bundle_json(bundle) for bundle in self.bundles],
        }


def _bundle_json(bundle: BundlePlan) -> dict[str, object]:
    return {
        "bundle_id": bundle.bundle_id,
        "tip_account": bundle.tip_account,
        "tip_lamports": bundle.tip_lamports,
        "transactions": [
            {
                "signature": tx.signature,
                "size_bytes": tx.size_bytes,
                "signers": list(tx.signers),
                "wallets": list(tx.wallets),
                "account_locks": tx.account_locks,
                "compute_unit_limit": tx.compute_unit_limit,
                "compute_unit_estimate": tx.compute_unit_estimate,
                "has_compute_budget": tx.has_compute_budget,
                "has_tip": tx.has_tip,
                "instructions": [
                    {
                        "name": info.name,
                        "wallet": info.wallet,
                        "bids": info.bids,
                        "asks": info.asks,
                        "lamports": info.lamports,
                    }
                    for info in tx.instructions
                ],
                "base64": tx.encoded("base64"),
                "base58": tx.encoded("base58"),
            }
            for tx in bundle.transactions
        ],
    }


def describe(plan: ExecutionPlan) -> list[str]:
    """Return the plan as text lines: each bundle, each transaction and its instructions."""
    count = len(plan.bundles)
    atomic = (
        "atomic (one bundle)"
        if plan.is_atomic
        else f"NOT atomic: {count} bundles, send each only after the previous one landed"
    )
    lines = [
        f"{plan.transaction_count} transaction(s) in {count} bundle(s), {atomic}",
        f"lookup table {plan.lookup_table}, blockhash {plan.recent_blockhash}"
        + (", delegate mode (one key signs for every wallet)" if plan.is_delegate else ""),
    ]
    for number, bundle in enumerate(plan.bundles, 1):
        lines.append(
            f"bundle {number}: id {bundle.bundle_id}, {len(bundle.transactions)} transaction(s), "
            f"tip {bundle.tip_lamports} lamports to {bundle.tip_account}"
        )
        for index, tx in enumerate(bundle.transactions, 1):
            lines += _describe_transaction(index, tx)
    return lines


def _describe_transaction(number: int, tx: PackedTransaction) -> list[str]:
    budget = "yes" if tx.has_compute_budget else "no (runtime default limit)"
    lines = [
        f"  transaction {number}: {tx.size_bytes} bytes, {len(tx.signers)} signers, "
        f"{tx.account_locks} account locks, compute-unit limit {tx.compute_unit_limit:,} "
        f"(estimate {tx.compute_unit_estimate:,}), compute budget: {budget}",
        f"    signature {tx.signature}",
        f"    signers: {', '.join(tx.signers)}",
    ]
    for info in tx.instructions:
        detail = f" wallet={info.wallet} bids={info.bids} asks={info.asks}" if info.wallet else ""
        lamports = f" lamports={info.lamports}" if info.lamports else ""
        lines.append(f"    - {info.name}{detail}{lamports}")
    lines.append(f"    base64: {tx.encoded('base64')}")
    return lines
