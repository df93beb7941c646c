"""Jito bundle model: transaction size estimate, packing of steps into bundles, landing draws.

**Size model** (``transaction_size_bytes``). Each transaction is a v0 message with one address
lookup table holding the market accounts and every wallet's OpenOrders and token accounts
(solana-jito-jupiter.md section 2.1 and section 7). Its serialized size is counted exactly::

    compact(S) + 64*S                                     signatures (one per signing wallet)
    + 1 + 3                                               v0 prefix, header
    + compact(K) + 32*K                                   static keys: signers, ComputeBudget,
                                                          OpenBook [, System, tip account]
    + 32                                                  recent blockhash
    + compact(I) + 8 + 12                                 SetComputeUnitLimit, SetComputeUnitPrice
    + sum(1 + compact(14) + 14 + compact(D) + D)          cancel_all_and_place_orders with
                                                          D = 18 + 24 * orders
    [+ 17]                                                tip transfer (System, 2 accounts, 12 B)
    + compact(1) + 32 + compact(W) + W + compact(1) + 1   the lookup table: W = 6 market
                                                          accounts + 3 per wallet writable,
                                                          the token program read-only

It reproduces every row the fact sheet measured with solders (e.g. 6 wallets x 1 order with a
tip: 1194 B; 2 wallets x 16 orders without: 1203 B). A transaction must stay within 1232 bytes,
12 signatures and 64 account locks. Compute units are not modelled (the program's cost is
unmeasured offline). The real transaction planner can replace ``pack_bundles`` (the venue
takes any ``Packer``).

**Packing** (``pack_bundles``) keeps the plan's order: instructions fill a transaction until
the next would not fit, transactions fill a bundle up to five, and the tip transfer is the last
instruction of each bundle's last transaction, paid by that transaction's fee payer (its first
signer) unless a ``tip_payer`` is given (who then signs it too). When the final bundle's last
transaction has no room left for the tip, that bundle is packed again with room for it in every
transaction.

**Landing** (``BundleParams``): a bundle lands with ``landing_probability`` (scaled down for a
tip under ``tip_floor_lamports``) after a uniform ``min_delay_slots..max_delay_slots`` delay;
a landed bundle fails in execution with ``failure_probability`` (one of its transactions
errs, so none of it is committed). Only landed, committed bundles pay fees and tips.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bmvbot.core.errors import ConfigError, RejectedError
from bmvbot.core.types import WalletId

TX_SIZE_LIMIT_BYTES = 1232
"""PACKET_DATA_SIZE: the largest serialized transaction."""
MAX_TRANSACTIONS_PER_BUNDLE = 5
MAX_SIGNATURES_PER_TX = 12
MAX_ACCOUNT_LOCKS = 64
"""Account locks per transaction enforced on mainnet."""
MAX_ORDERS_PER_INSTRUCTION = 24
"""One OpenOrders account holds 24 orders."""
JITO_MIN_TIP_LAMPORTS = 1_000
SIGNATURE_FEE_LAMPORTS = 5_000

_MARKET_WRITABLE_ACCOUNTS = 6  # market, bids, asks, event heap, base and quote vaults
_WALLET_WRITABLE_ACCOUNTS = 3  # OpenOrders account, base and quote token accounts
_LOOKUP_READONLY_ACCOUNTS = 1  # the token program
_PROGRAM_KEYS = 2  # ComputeBudget and OpenBook (invoked programs must be static keys)
_TIP_KEYS = 2  # System program and the tip account (never through the lookup table)
_COMPUTE_BUDGET_BYTES = 8 + 12  # SetComputeUnitLimit (u32) + SetComputeUnitPrice (u64)
_TIP_INSTRUCTION_BYTES = 1 + 1 + 2 + 1 + 12  # System transfer: 2 accounts, u32 + u64 data
_PLACE_ACCOUNTS = 14
_PLACE_FIXED_DATA = 18  # discriminator 8, order type 1, two vec lengths 4 + 4, limit 1
_ORDER_ENTRY_BYTES = 24  # price_lots i64, max_quote_lots i64, expiry u64


def compact_u16_len(value: int) -> int:
    """Return the bytes of ``value`` as a Solana compact-u16 (1, 2 or 3)."""
    if value < 0x80:
        return 1
    return 2 if value < 0x4000 else 3


@dataclass(frozen=True, slots=True)
class InstructionShape:
    """One ``cancel_all_and_place_orders``: the signing wallet and how many orders it places."""

    wallet: WalletId
    order_count: int


def _instruction_bytes(order_count: int) -> int:
    data = _PLACE_FIXED_DATA + _ORDER_ENTRY_BYTES * order_count
    return 1 + compact_u16_len(_PLACE_ACCOUNTS) + _PLACE_ACCOUNTS + compact_u16_len(data) + data


def _signers(
    instructions: Sequence[InstructionShape], has_tip: bool, tip_payer: WalletId | None
) -> list[WalletId]:
    signers = list(dict.fromkeys(ins.wallet for ins in instructions))
    if has_tip and tip_payer is not None and tip_payer not in signers:
        signers.append(tip_payer)
    return signers


class _Keys(NamedTuple):
    # the key counts of one transaction: signatures, static keys, lookup-table writables
    signers: int
    static: int
    writable: int


def _keys(
    instructions: Sequence[InstructionShape], has_tip: bool, tip_payer: WalletId | None
) -> _Keys:
    signers = len(_signers(instructions, has_tip, tip_payer))
    wallets = len({ins.wallet for ins in instructions})
    return _Keys(
        signers,
        signers + _PROGRAM_KEYS + (_TIP_KEYS if has_tip else 0),
        _MARKET_WRITABLE_ACCOUNTS + _WALLET_WRITABLE_ACCOUNTS * wallets,
    )


def transaction_size_bytes(
    instructions: Sequence[InstructionShape],
    *,
    has_tip: bool,
    tip_payer: WalletId | None = None,
) -> int:
    """Return the serialized size of one transaction (the module's size model)."""
    keys = _keys(instructions, has_tip, tip_payer)
    instruction_count = 2 + len(instructions) + (1 if has_tip else 0)
    lookup = (
        32
        + compact_u16_len(keys.writable)
        + keys.writable
        + compact_u16_len(_LOOKUP_READONLY_ACCOUNTS)
        + _LOOKUP_READONLY_ACCOUNTS
    )
    message = (
        1
        + 3
        + compact_u16_len(keys.static)
        + 32 * keys.static
        + 32
        + compact_u16_len(instruction_count)
        + _COMPUTE_BUDGET_BYTES
        + sum(_instruction_bytes(ins.order_count) for ins in instructions)
        + (_TIP_INSTRUCTION_BYTES if has_tip else 0)
        + compact_u16_len(1)
        + lookup
    )
    return compact_u16_len(keys.signers) + 64 * keys.signers + message


def account_locks(
    instructions: Sequence[InstructionShape],
    *,
    has_tip: bool,
    tip_payer: WalletId | None = None,
) -> int:
    """Return the accounts one transaction locks (static keys plus lookup-table entries)."""
    keys = _keys(instructions, has_tip, tip_payer)
    return keys.static + keys.writable + _LOOKUP_READONLY_ACCOUNTS


def fits(
    instructions: Sequence[InstructionShape],
    *,
    has_tip: bool,
    tip_payer: WalletId | None = None,
) -> bool:
    """Return True when one transaction with these instructions is within every limit."""
    return (
        transaction_size_bytes(instructions, has_tip=has_tip, tip_payer=tip_payer)
        <= TX_SIZE_LIMIT_BYTES
        and _keys(instructions, has_tip, tip_payer).signers <= MAX_SIGNATURES_PER_TX
        and account_locks(instructions, has_tip=has_tip, tip_payer=tip_payer) <= MAX_ACCOUNT_LOCKS
    )


@dataclass(frozen=True, slots=True)
class TransactionLayout:
    """One packed transaction.

    Attributes:
        instructions: its ``cancel_all_and_place_orders`` instructions, in order.
        has_tip: True when it carries the bundle's tip transfer (last instruction).
        signers: the signing wallets; the first pays the fees.
        size_bytes: serialized size from the size model.
    """

    instructions: tuple[InstructionShape, ...]
    has_tip: bool
    signers: tuple[WalletId, ...]
    size_bytes: int

    @property
    def fee_payer(self) -> WalletId:
        """Return the wallet that pays the signature fees (the first signer)."""
        return self.signers[0]


@dataclass(frozen=True, slots=True)
class BundleLayout:
    """One bundle: up to five transactions, the tip in the last one.

    Attributes:
        transactions: the transactions, executed in order, all or nothing.
        tip_payer: the wallet whose lamports pay the tip.
    """

    transactions: tuple[TransactionLayout, ...]
    tip_payer: WalletId


def _layout(
    instructions: list[InstructionShape], has_tip: bool, tip_payer: WalletId | None
) -> TransactionLayout:
    return TransactionLayout(
        tuple(instructions),
        has_tip,
        tuple(_signers(instructions, has_tip, tip_payer)),
        transaction_size_bytes(instructions, has_tip=has_tip, tip_payer=tip_payer),
    )


def _greedy(
    instructions: Sequence[InstructionShape],
    tip_payer: WalletId | None,
    *,
    is_tip_everywhere: bool,
) -> list[list[list[InstructionShape]]]:
    bundles: list[list[list[InstructionShape]]] = []
    txs: list[list[InstructionShape]] = []
    current: list[InstructionShape] = []
    for ins in instructions:
        is_last_slot = is_tip_everywhere or len(txs) == MAX_TRANSACTIONS_PER_BUNDLE - 1
        if current and not fits([*current, ins], has_tip=is_last_slot, tip_payer=tip_payer):
            txs.append(current)
            current = []
            if len(txs) == MAX_TRANSACTIONS_PER_BUNDLE:
                bundles.append(txs)
                txs = []
        current.append(ins)
    if current:
        txs.append(current)
    if txs:
        bundles.append(txs)
    return bundles


def _check_instructions(instructions: Sequence[InstructionShape]) -> None:
    for ins in instructions:
        if not 0 <= ins.order_count <= MAX_ORDERS_PER_INSTRUCTION:
            raise RejectedError(
                f"wallet {ins.wallet} step must place 0..{MAX_ORDERS_PER_INSTRUCTION} orders "
                f"(one OpenOrders account), was {ins.order_count}"
            )


def pack_bundles(
    instructions: Sequence[InstructionShape], tip_payer: WalletId | None = None
) -> tuple[BundleLayout, ...]:
    """Pack instructions, in order, into the fewest bundles this greedy layout finds.

    First the tip is reserved only in each bundle's fifth transaction; if the final bundle's
    last transaction then has no room for it, that bundle's instructions are packed again with
    the tip reserved in every transaction (always feasible: one instruction of 24 orders plus
    a tip fits), which may spill them into one more bundle.

    Raises:
        RejectedError: an instruction places more than 24 orders.
    """
    _check_instructions(instructions)
    packed = _greedy(instructions, tip_payer, is_tip_everywhere=False)
    if packed and not fits(packed[-1][-1], has_tip=True, tip_payer=tip_payer):
        tail = [ins for tx in packed.pop() for ins in tx]
        packed += _greedy(tail, tip_payer, is_tip_everywhere=True)
    bundles: list[BundleLayout] = []
    for txs in packed:
        layouts = tuple(
            _layout(tx, index == len(txs) - 1, tip_payer) for index, tx in enumerate(txs)
        )
        bundles.append(BundleLayout(layouts, tip_payer or layouts[-1].fee_payer))
    return tuple(bundles)


def bundle_id(signatures: Sequence[str]) -> str:
    """Return the bundle id: lowercase hex SHA-256 of the comma-joined signatures."""
    return hashlib.sha256(",".join(signatures).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class BundleParams:
    """How the simulated block engine treats bundles.

    Attributes:
        landing_probability: chance that a bundle lands (0..1, default 1).
        min_delay_slots: fewest slots from sending to landing (default 1).
        max_delay_slots: most slots from sending to landing (default 2).
        slot_ms: milliseconds per slot (default 400).
        failure_probability: chance that a landed bundle fails in execution (default 0).
        signature_fee_lamports: base fee per signature (default 5,000).
        priority_fee_lamports_per_tx: priority fee per transaction (default 0).
        tip_floor_lamports: tip that wins the auction at the full landing probability; a
            smaller tip lands proportionally less often (default 0: the tip does not matter).
    """

    landing_probability: float = 1.0
    min_delay_slots: int = 1
    max_delay_slots: int = 2
    slot_ms: int = 400
    failure_probability: float = 0.0
    signature_fee_lamports: int = SIGNATURE_FEE_LAMPORTS
    priority_fee_lamports_per_tx: int = 0
    tip_floor_lamports: int = 0

    def __post_init__(self) -> None:
        for name in ("landing_probability", "failure_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(
                    f"bundles.{name} must be 0..1, was {getattr(self, name)}",
                    key=f"bundles.{name}",
                )
        if not 0 <= self.min_delay_slots <= self.max_delay_slots:
            raise ConfigError(
                "bundles.min_delay_slots must be 0..max_delay_slots "
                f"({self.max_delay_slots}), was {self.min_delay_slots}",
                key="bundles.min_delay_slots",
            )
        amounts = ("signature_fee_lamports", "priority_fee_lamports_per_tx", "tip_floor_lamports")
        for name in ("slot_ms", *amounts):
            if getattr(self, name) < 0 or (name == "slot_ms" and self.slot_ms == 0):
                raise ConfigError(
                    f"bundles.{name} is out of range, was {getattr(self, name)}",
                    key=f"bundles.{name}",
                )


@dataclass(frozen=True, slots=True)
class LandingDraw:
    """The block engine's verdict on one bundle.

    Attributes:
        is_landed: the bundle won its auction and was included.
        delay_slots: slots from sending to landing (or to being dropped).
        failing_transaction: index of the transaction that errs in execution, None if none.
    """

    is_landed: bool
    delay_slots: int
    failing_transaction: int | None


def landing_probability(params: BundleParams, tip_lamports: int | None) -> float:
    """Return the chance that a bundle tipping ``tip_lamports`` lands.

    ``landing_probability * min(1, tip / tip_floor_lamports)``: a tip at or above the floor
    keeps the full chance, a smaller one loses the auction proportionally more often. With no
    floor (0) or no tip given (None) the tip does not matter.
    """
    floor = params.tip_floor_lamports
    if floor == 0 or tip_lamports is None:
        return params.landing_probability
    return params.landing_probability * min(1.0, max(tip_lamports, 0) / floor)


def draw_landing(
    params: BundleParams,
    transactions: int,
    rng: random.Random,
    tip_lamports: int | None = None,
) -> LandingDraw:
    """Draw whether a bundle of ``transactions`` lands, when, and whether it fails."""
    is_landed = rng.random() < landing_probability(params, tip_lamports)
    delay = rng.randint(params.min_delay_slots, params.max_delay_slots)
    failing = None
    if is_landed and rng.random() < params.failure_probability:
        failing = rng.randrange(transactions)
    return LandingDraw(is_landed, delay, failing)


def transaction_fee_lamports(params: BundleParams, tx: TransactionLayout) -> int:
    """Return what the fee payer of ``tx`` pays: signatures plus priority fee."""
    return params.signature_fee_lamports * len(tx.signers) + params.priority_fee_lamports_per_tx
