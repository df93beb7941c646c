"""The local chain: LiteSVM plus the OpenBook program emulator, slots, blockhashes, statuses.

System, SPL Token, Associated Token and Address Lookup Table programs run for real inside
LiteSVM. LiteSVM is built with its own signature, blockhash and history checks off; this class
does them on the whole transaction instead (signatures with solders, blockhashes valid for 150
slots, a signature is processed once), because a transaction that holds OpenBook instructions is
executed in pieces:

- the message's accounts are resolved (static keys, then lookup-table entries);
- runs of non-OpenBook instructions execute in LiteSVM as unsigned sub-transactions with the
  same fee payer and account flags, each OpenBook instruction in the emulator, in order;
- every account the transaction names is snapshotted first and restored if any piece fails, so
  the transaction is all-or-nothing; then the real fee (5,000 lamports per signature plus the
  priority fee) replaces whatever the sub-transactions were charged.

Limits of that approach: OpenBook compute units are an estimate (``compute``), reported but
not held against the transaction's compute-unit limit; each LiteSVM piece gets its own default
budget; a CPI into OpenBook from another program is not emulated (LiteSVM fails it: no such
program); the emulated program's log lines are fewer than the real one's (its ``Program data:``
events and return data are exact). With ``openbook_so`` the real program runs inside LiteSVM and
nothing is split. Signature statuses and blockhashes are kept in memory only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable
from solders.clock import Clock
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.litesvm import LiteSVM
from solders.message import Message, MessageV0, MessageV1
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import SanitizeError, VersionedTransaction
from solders.transaction_metadata import TransactionMetadata

from bmvbot.core.errors import CodecError
from bmvbot.exchange import ExchangeError
from bmvbot.localnet.emulator import OpenBookEmulator
from bmvbot.localnet.transaction import (
    MAX_COMPUTE_UNITS,
    RpcError,
    TransactionOutcome,
    error_json,
    instruction_error,
    legacy_or_v0,
    transaction_fee,
)
from bmvbot.openbook.ids import OPENBOOK_PROGRAM_ID, SYSTEM_PROGRAM_ID

PACKET_DATA_SIZE = 1232
"""Largest serialized transaction the cluster accepts, in bytes."""
MAX_PROCESSING_AGE_SLOTS = 150
"""A blockhash is usable for this many slots."""
_SLOT_HASHES_KEPT = 512
_STATUS_RETENTION_SLOTS = 10_000
_EMPTY = Account(0, b"", SYSTEM_PROGRAM_ID, False, 0)


@dataclass
class _Status:
    slot: int
    err: object


class LocalChain:
    """LiteSVM with the OpenBook emulator, a slot clock, blockhashes and signature statuses."""

    def __init__(
        self,
        *,
        openbook_so: bytes | None = None,
        program_id: Pubkey = OPENBOOK_PROGRAM_ID,
        start_unix_s: int = 1_700_000_000,
    ) -> None:
        svm = LiteSVM().with_sigverify(False).with_blockhash_check(False)
        self.svm = svm.with_transaction_history(0)
        self.program_id = program_id
        self.emulator: OpenBookEmulator | None = None
        if openbook_so is None:
            self.emulator = OpenBookEmulator(self, program_id)
        else:
            self.svm.add_program(program_id, openbook_so)
        self.blockhashes: dict[Hash, int] = {}
        self.statuses: dict[Signature, _Status] = {}
        self.set_clock(1, start_unix_s)

    # -- account store (for the emulator) ----------------------------------------------------

    def get(self, address: Pubkey) -> Account | None:
        """Return the account at ``address``; None when missing or emptied."""
        account = self.svm.get_account(address)
        if account is None or account.lamports == 0:
            return None
        return account

    def set(self, address: Pubkey, account: Account) -> None:
        """Create or overwrite the account at ``address``."""
        self.svm.set_account(address, account)

    def rent(self, data_len: int) -> int:
        """Return the rent-exempt minimum for ``data_len`` bytes."""
        return int(self.svm.minimum_balance_for_rent_exemption(data_len))

    # -- clock and blockhashes ---------------------------------------------------------------

    @property
    def slot(self) -> int:
        """Return the current slot."""
        return int(self.svm.get_clock().slot)

    @property
    def unix_timestamp(self) -> int:
        """Return the clock's unix time in seconds."""
        return int(self.svm.get_clock().unix_timestamp)

    def set_clock(self, slot: int, unix_timestamp: int) -> None:
        """Move the clock to ``slot`` / ``unix_timestamp`` and issue a new blockhash."""
        if slot != self.slot:
            self.svm.warp_to_slot(slot)
        self.svm.set_clock(Clock(slot, unix_timestamp, 0, 0, unix_timestamp))
        self.svm.expire_blockhash()
        blockhash = self.svm.latest_blockhash()
        self.blockhashes[blockhash] = slot
        # lookup tables need recent slots in SlotHashes (newest first, at most 512)
        hashes = [(s, h) for s, h in self.svm.get_slot_hashes() if s < slot]
        self.svm.set_slot_hashes([(slot, blockhash), *hashes][:_SLOT_HASHES_KEPT])
        oldest = slot - 2 * MAX_PROCESSING_AGE_SLOTS
        for expired in [h for h, s in self.blockhashes.items() if s < oldest]:
            del self.blockhashes[expired]
        if slot % _STATUS_RETENTION_SLOTS == 0:
            # a signature older than its blockhash cannot be replayed; keep statuses bounded
            cutoff = slot - _STATUS_RETENTION_SLOTS
            for signature in [g for g, st in self.statuses.items() if st.slot < cutoff]:
                del self.statuses[signature]

    def advance(self, slots: int = 1, seconds: int = 0) -> None:
        """Advance the clock by ``slots`` slots and ``seconds`` seconds."""
        self.set_clock(self.slot + slots, self.unix_timestamp + seconds)

    def latest_blockhash(self) -> tuple[Hash, int]:
        """Return the latest blockhash and the last block height it is valid at."""
        blockhash = self.svm.latest_blockhash()
        return blockhash, self.blockhashes.get(blockhash, self.slot) + MAX_PROCESSING_AGE_SLOTS

    def is_blockhash_valid(self, blockhash: Hash) -> bool:
        """Return True when ``blockhash`` was issued at most 150 slots ago."""
        issued = self.blockhashes.get(blockhash)
        return issued is not None and self.slot - issued <= MAX_PROCESSING_AGE_SLOTS

    # -- intake ------------------------------------------------------------------------------

    def parse(self, raw: bytes, *, verify_signatures: bool = True) -> VersionedTransaction:
        """Return the signed transaction in ``raw`` after the cluster's intake checks.

        ``verify_signatures=False`` is ``simulateTransaction``'s ``sigVerify: false``.

        Raises:
            RpcError: -32602 too large or malformed; -32003 a signature does not verify.
        """
        if len(raw) > PACKET_DATA_SIZE:
            raise RpcError(
                -32602,
                f"base64 encoded solana_transaction::versioned::VersionedTransaction too large: "
                f"{len(raw)} bytes (max: encoded/raw 1644/{PACKET_DATA_SIZE})",
            )
        try:
            tx = VersionedTransaction.from_bytes(raw)
            tx.sanitize()
        except (ValueError, TypeError, SanitizeError) as e:
            raise RpcError(
                -32602, f"failed to deserialize solana_transaction::versioned::"
                f"VersionedTransaction: {e}",
            ) from None  # fmt: skip
        if isinstance(tx.message, MessageV1):
            raise RpcError(-32015, "Transaction version (1) is not supported")
        if verify_signatures and not all(tx.verify_with_results()):
            raise RpcError(-32003, "Transaction signature verification failure")
        return tx

    def precheck(self, tx: VersionedTransaction, *, check_blockhash: bool = True) -> str | None:
        """Return the runtime's pre-execution error name (blockhash, duplicate), or None."""
        if tx.signatures[0] in self.statuses:
            return "AlreadyProcessed"
        if check_blockhash and not self.is_blockhash_valid(tx.message.recent_blockhash):
            return "BlockhashNotFound"
        payer = self.get(tx.message.account_keys[0])
        if payer is None:
            return "AccountNotFound"
        return None

    def status(self, signature: Signature) -> tuple[int, object] | None:
        """Return ``(slot, err)`` of a processed signature, None when unknown."""
        status = self.statuses.get(signature)
        return None if status is None else (status.slot, status.err)

    # -- execution ---------------------------------------------------------------------------

    def execute(
        self, tx: VersionedTransaction, *, commit: bool, check_blockhash: bool = True
    ) -> TransactionOutcome:
        """Execute ``tx``; keep the result only when ``commit`` (then its status is recorded).

        A failed transaction that is committed leaves only its fee charged, as on the cluster.
        ``check_blockhash=False`` (simulation with ``replaceRecentBlockhash``) accepts any
        blockhash.
        """
        signature = tx.signatures[0]
        pre_error = self.precheck(tx, check_blockhash=check_blockhash)
        if pre_error is not None:
            return TransactionOutcome(signature, pre_error, slot=self.slot)
        try:
            keys = self.resolve_keys(legacy_or_v0(tx))
        except RpcError as e:
            return TransactionOutcome(signature, e.message, slot=self.slot)
        snapshot = self.snapshot(keys)
        outcome = self._run(tx, keys)
        if not outcome.is_ok or not commit:
            self.restore(snapshot)
        if commit:
            if not outcome.is_ok:
                self._charge(keys[0], outcome.fee)
            self.statuses[signature] = _Status(self.slot, outcome.err)
        outcome.written = [k for k in keys if self.svm.get_account(k) != snapshot.get(k)]
        return outcome

    def snapshot(self, keys: Iterable[Pubkey]) -> dict[Pubkey, Account | None]:
        """Return the accounts at ``keys`` (None for missing ones)."""
        return {key: self.svm.get_account(key) for key in keys}

    def restore(self, snapshot: dict[Pubkey, Account | None]) -> None:
        """Put back the accounts of ``snapshot``; missing ones become empty again."""
        for key, account in snapshot.items():
            if self.svm.get_account(key) != account:
                self.svm.set_account(key, _EMPTY if account is None else account)

    def resolve_keys(self, message: Message | MessageV0) -> list[Pubkey]:
        """Return the message's account keys: static, then lookup-table writable, readonly.

        Raises:
            RpcError: a lookup table is missing or an index is not active yet.
        """
        keys = list(message.account_keys)
        if not isinstance(message, MessageV0):
            return keys
        writable: list[Pubkey] = []
        readonly: list[Pubkey] = []
        for lookup in message.address_table_lookups:
            account = self.get(lookup.account_key)
            if account is None:
                raise RpcError(-32602, "AddressLookupTableNotFound")
            table = AddressLookupTable.deserialize(bytes(account.data))
            meta = table.meta
            active = len(table.addresses)
            if self.slot <= meta.last_extended_slot:
                active = meta.last_extended_slot_start_index
            for indexes, out in ((lookup.writable_indexes, writable),
                                 (lookup.readonly_indexes, readonly)):  # fmt: skip
                for index in bytes(indexes):
                    if index >= active:
                        raise RpcError(-32602, "InvalidAddressLookupTableIndex")
                    out.append(table.addresses[index])
        return keys + writable + readonly

    def _metas(self, message: Message | MessageV0, keys: Sequence[Pubkey]) -> list[bool]:
        header = message.header
        signed = header.num_required_signatures
        static = len(message.account_keys)
        writable_lookups = sum(
            len(bytes(lookup.writable_indexes))
            for lookup in getattr(message, "address_table_lookups", [])
        )
        flags = []
        for index in range(len(keys)):
            if index < signed:
                flags.append(index < signed - header.num_readonly_signed_accounts)
            elif index < static:
                flags.append(index < static - header.num_readonly_unsigned_accounts)
            else:
                flags.append(index < static + writable_lookups)
        return flags

    def _run(self, tx: VersionedTransaction, keys: list[Pubkey]) -> TransactionOutcome:
        message = legacy_or_v0(tx)
        fee = transaction_fee(message, keys)
        outcome = TransactionOutcome(tx.signatures[0], fee=fee, slot=self.slot)
        programs = [keys[ix.program_id_index] for ix in message.instructions]
        if self.emulator is None or self.program_id not in programs:
            return self._run_in_svm(tx, outcome)
        writable = self._metas(message, keys)
        signed = message.header.num_required_signatures
        pending: list[Instruction] = []
        charged = 0
        for index, compiled in enumerate(message.instructions):
            metas = [
                AccountMeta(keys[i], i < signed, writable[i]) for i in bytes(compiled.accounts)
            ]
            program = keys[compiled.program_id_index]
            if program != self.program_id:
                pending.append(Instruction(program, bytes(compiled.data), metas))
                continue
            charged += self._flush(pending, keys[0], message.recent_blockhash, outcome, index)
            pending = []
            if outcome.err is None:
                self._emulate(index, bytes(compiled.data), metas, outcome)
            if outcome.err is not None:
                return outcome
        end = len(message.instructions)
        charged += self._flush(pending, keys[0], message.recent_blockhash, outcome, end)
        if outcome.err is None:
            self._charge(keys[0], fee - charged)
        return outcome

    def _run_in_svm(
        self, tx: VersionedTransaction, outcome: TransactionOutcome
    ) -> TransactionOutcome:
        result = self.svm.send_transaction(tx)
        meta = result if isinstance(result, TransactionMetadata) else result.meta()
        outcome.logs = list(meta.logs())
        outcome.units_consumed = int(meta.compute_units_consumed())
        outcome.fee = int(meta.fee())
        data = meta.return_data()
        if data is not None and bytes(data.data):
            outcome.return_data = (data.program_id, bytes(data.data))
        if not isinstance(result, TransactionMetadata):
            outcome.err = error_json(result.err())
        return outcome

    def _flush(
        self,
        instructions: list[Instruction],
        payer: Pubkey,
        blockhash: Hash,
        outcome: TransactionOutcome,
        next_index: int,
    ) -> int:
        # run a segment of non-OpenBook instructions in LiteSVM; return the fee it charged
        if not instructions or outcome.err is not None:
            return 0
        message = Message.new_with_blockhash(instructions, payer, blockhash)
        signatures = [Signature.default()] * message.header.num_required_signatures
        sub = VersionedTransaction.populate(message, signatures)
        result = self.svm.send_transaction(sub)
        meta = result if isinstance(result, TransactionMetadata) else result.meta()
        outcome.logs.extend(meta.logs())
        outcome.units_consumed += int(meta.compute_units_consumed())
        if not isinstance(result, TransactionMetadata):
            err = error_json(result.err())
            outcome.err = _shift_index(err, next_index - len(instructions))
        return int(meta.fee())

    def _emulate(
        self, index: int, data: bytes, metas: list[AccountMeta], outcome: TransactionOutcome
    ) -> None:
        if self.emulator is None:
            return
        program = str(self.program_id)
        outcome.logs.append(f"Program {program} invoke [1]")
        try:
            output = self.emulator.execute(data, metas, self.unix_timestamp)
        except ExchangeError as e:
            outcome.logs.append(f"Program log: {e}")
            code = "" if e.code is None else f"custom program error: {e.code:#x}"
            outcome.logs.append(f"Program {program} failed: {code or e.name}")
            outcome.err = instruction_error(index, e)
            return
        except (CodecError, OverflowError, ValueError, KeyError) as e:
            # the program would panic (a full event heap or book side, corrupt account data)
            outcome.logs.append(f"Program log: panicked: {e}")
            outcome.logs.append(f"Program {program} failed: ProgramFailedToComplete")
            outcome.err = {"InstructionError": [index, "ProgramFailedToComplete"]}
            return
        outcome.logs.extend(output.logs)
        outcome.units_consumed += output.units_consumed
        outcome.logs.append(
            f"Program {program} consumed {output.units_consumed} of "
            f"{MAX_COMPUTE_UNITS} compute units"
        )
        outcome.logs.append(f"Program {program} success")
        if output.return_data:
            outcome.return_data = (self.program_id, output.return_data)

    def _charge(self, payer: Pubkey, lamports: int) -> None:
        account = self.svm.get_account(payer)
        if account is None or lamports == 0:
            return
        balance = max(account.lamports - lamports, 0)
        self.svm.set_account(
            payer, Account(balance, account.data, account.owner, account.executable,
                           account.rent_epoch),
        )  # fmt: skip

    def airdrop(self, address: Pubkey, lamports: int) -> Signature:
        """Credit ``lamports`` to ``address``; return a signature recorded as processed."""
        self.svm.airdrop(address, lamports)
        signature = Signature.new_unique()
        self.statuses[signature] = _Status(self.slot, None)
        return signature


def _shift_index(err: object, first: int) -> object:
    # a sub-transaction numbers its instructions from 0; report the original index
    if not isinstance(err, dict) or "InstructionError" not in err:
        return err
    index, detail = err["InstructionError"]
    return {"InstructionError": [first + int(index), detail]}


__all__ = ["LocalChain", "RpcError", "TransactionOutcome", "legacy_or_v0", "transaction_fee"]
