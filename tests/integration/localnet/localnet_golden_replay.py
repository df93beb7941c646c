"""Replay golden OpenBook V2 traces as signed transactions on the emulator-backed localnet.

Genesis is every existing account of ``meta.initial_accounts``; each transaction step is rebuilt
from its recorded instructions (accounts and flags as sent, ``data_hex``), signed with the trace
actors' seeds and executed by ``LocalChain`` (in process, or through a ``submit`` callable that
goes over HTTP). After each step the outcome and every recorded account are compared: the decoded
summary of Market, BookSide, EventHeap, OpenOrdersAccount and OpenOrdersIndexer accounts (the
codec's ``account_summary`` of the emulator-written bytes against the trace's ``decoded``), the
amount of every token account, whether closed accounts are gone, and - stricter - the lamports
and raw bytes (``data_sha256``) of every account the step lists, fee payer and rent included.
In-process runs also compare the ``Program data:`` events and the return data byte for byte.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from solders.account import Account
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bmvbot.localnet.chain import LocalChain, TransactionOutcome
from bmvbot.openbook.accounts import account_summary, decode_account
from bmvbot.openbook.spl import decode_token_account

GOLDEN_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "golden" / "openbook-v2"
Json = dict[str, Any]
Submit = Callable[[VersionedTransaction], TransactionOutcome]
_COMPARED = ("Market", "BookSide", "EventHeap", "OpenOrdersAccount", "OpenOrdersIndexer")
# node placement fields the model does not claim (see tests/golden/exchange_golden_replay.py)
_LAYOUT_FIELDS = ("free_list_head", "fixed_root", "oracle_pegged_root", "bump")


def trace_files() -> list[Path]:
    """Return every golden trace file, sorted."""
    return sorted(GOLDEN_DIR.glob("*.json.gz"))


def load_trace(path: Path) -> Json:
    """Return one decoded trace document."""
    with gzip.open(path) as handle:
        document: Json = json.load(handle)
    return document


def raw_data(snapshot: Json) -> bytes:
    """Return the raw account bytes of a recorded snapshot."""
    return zlib.decompress(base64.b64decode(snapshot["data_zlib_b64"]))


def genesis(chain: LocalChain, trace: Json) -> None:
    """Create every account that exists before step 0."""
    for snapshot in trace["meta"]["initial_accounts"]:
        if snapshot["exists"]:
            account = Account(
                snapshot["lamports"], raw_data(snapshot), Pubkey.from_string(snapshot["owner"]),
                snapshot["executable"], 0,
            )  # fmt: skip
            chain.set(Pubkey.from_string(snapshot["pubkey"]), account)


def signed_transaction(trace: Json, step: Json, blockhash: Hash) -> VersionedTransaction:
    """Return the step's transaction, rebuilt and signed by its recorded signers."""
    keypairs = {
        actor["pubkey"]: Keypair.from_seed(bytes.fromhex(actor["seed_hex"]))
        for actor in trace["meta"]["actors"].values()
        if actor.get("seed_hex")
    }
    instructions = [
        Instruction(
            Pubkey.from_string(ix["program_id"]),
            bytes.fromhex(ix["data_hex"]),
            [
                AccountMeta(Pubkey.from_string(a["pubkey"]), a["is_signer"], a["is_writable"])
                for a in ix["accounts"]
            ],
        )
        for ix in step["instructions"]
    ]
    payer = Pubkey.from_string(step["fee_payer"])
    message = Message.new_with_blockhash(instructions, payer, blockhash)
    signers = [
        keypairs[str(key)] for key in message.account_keys[: message.header.num_required_signatures]
    ]
    return VersionedTransaction(message, signers)


class LocalnetReplay:
    """Drives one trace through a ``LocalChain`` and collects mismatches."""

    def __init__(self, trace: Json, chain: LocalChain | None = None) -> None:
        self.trace = trace
        self.chain = chain or LocalChain()
        self.mismatches: list[str] = []
        self.byte_identical = 0
        self.compared = 0
        genesis(self.chain, trace)

    def run(self, submit: Submit | None = None) -> list[str]:
        """Replay every step; return the mismatches (empty when faithful)."""
        for step in self.trace["steps"]:
            clock = step["clock"]
            self.chain.set_clock(clock["slot"], clock["unix_timestamp"])
            if step["kind"] != "transaction":
                continue
            tx = signed_transaction(self.trace, step, self.chain.latest_blockhash()[0])
            outcome = submit(tx) if submit is not None else self.chain.execute(tx, commit=True)
            self._compare_outcome(step, outcome)
            if outcome.logs:
                self._compare_program_output(step, outcome)
            for snapshot in step["accounts"]:
                self._compare_account(step, snapshot)
        return self.mismatches

    def _fail(self, step: Json, message: str) -> None:
        self.mismatches.append(f"step {step['index']} {step['name']}: {message}")

    def _compare_outcome(self, step: Json, outcome: TransactionOutcome) -> None:
        expected = step["outcome"]
        if expected["ok"]:
            if not outcome.is_ok:
                self._fail(step, f"expected success, got {outcome.err} {outcome.logs[-3:]}")
            return
        error = expected["error"]
        detail: object = error.get("code")
        detail = error["name"] if error["kind"] == "instruction_error" else {"Custom": detail}
        wanted = {"InstructionError": [expected["instruction_index"], detail]}
        if outcome.err != wanted:
            self._fail(step, f"expected {wanted}, got {outcome.err}")

    def _compare_program_output(self, step: Json, outcome: TransactionOutcome) -> None:
        # events written as "Program data:" lines, and the return data (in-process runs only)
        prefix = "Program data: "
        got = [base64.b64decode(line[len(prefix) :]).hex() for line in outcome.logs
               if line.startswith(prefix)]  # fmt: skip
        wanted = [event["hex"] for event in step["events"] if event["source"] == "log"]
        if got != wanted:
            self._fail(step, f"log events: expected {len(wanted)}, got {len(got)} or other bytes")
        recorded = step.get("return_data")
        returned = outcome.return_data[1].hex() if outcome.return_data else None
        if step["outcome"]["ok"] and ((recorded or {}).get("hex") or None) != returned:
            self._fail(step, f"return data: expected {recorded}, got {returned}")

    def _compare_account(self, step: Json, snapshot: Json) -> None:
        account = self.chain.get(Pubkey.from_string(snapshot["pubkey"]))
        label = snapshot["label"]
        if not snapshot["exists"]:
            if account is not None and account.lamports:
                self._fail(step, f"{label} should not exist")
            return
        decoded = snapshot.get("decoded")
        if account is None:
            self._fail(step, f"{label} is missing")
            return
        if account.lamports != snapshot["lamports"]:
            self._fail(step, f"{label}.lamports: {snapshot['lamports']} != {account.lamports}")
        if hashlib.sha256(bytes(account.data)).hexdigest() != snapshot["data_sha256"]:
            self._fail(step, f"{label}: account bytes differ from the recording")
        if decoded is not None:
            self._compare_decoded(step, label, snapshot, bytes(account.data))

    def _compare_decoded(self, step: Json, label: str, snapshot: Json, data: bytes) -> None:
        decoded = snapshot["decoded"]
        if decoded["type"] == "TokenAccount":
            amount = decode_token_account(data).amount
            if amount != decoded["amount"]:
                self._fail(step, f"{label}.amount: expected {decoded['amount']}, got {amount}")
            return
        if decoded["type"] not in _COMPARED:
            return
        self.compared += 1
        if hashlib.sha256(data).hexdigest() == snapshot["data_sha256"]:
            self.byte_identical += 1
        got = account_summary(decode_account(data))
        for field, value in decoded.items():
            if field in _LAYOUT_FIELDS:
                continue
            if got.get(field) != value:
                self._fail(step, f"{label}.{field}: expected {value!r}, got {got.get(field)!r}")
