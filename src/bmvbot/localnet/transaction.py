"""Transactions on the local chain: outcomes, cluster errors, fees and message helpers.

``TransactionOutcome`` is what executing or simulating a transaction did (error JSON as the RPC
renders it, logs, compute units, fee, return data, written accounts); ``RpcError`` is a JSON-RPC
error with the cluster's code; ``transaction_fee`` is 5,000 lamports per signature plus the
priority fee ``ceil(price x limit / 1e6)`` on the requested (or default) compute-unit limit.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from solders.message import Message, MessageV0, MessageV1
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from bmvbot.exchange import ExchangeError
from bmvbot.exchange.errors import ErrorKind

LAMPORTS_PER_SIGNATURE = 5000
MAX_COMPUTE_UNITS = 1_400_000
_DEFAULT_UNITS_PER_INSTRUCTION = 200_000
_COMPUTE_BUDGET_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")


class RpcError(Exception):
    """A JSON-RPC error as the cluster returns it: code, message and optional data."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


@dataclass
class TransactionOutcome:
    """What executing (or simulating) one transaction did."""

    signature: Signature
    err: object = None
    logs: list[str] = field(default_factory=list)
    units_consumed: int = 0
    fee: int = 0
    return_data: tuple[Pubkey, bytes] | None = None
    slot: int = 0
    written: list[Pubkey] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        """Return True when the transaction succeeded."""
        return self.err is None


def error_json(err: object) -> object:
    """Return a solders transaction error as the RPC renders it (JSON), else its text."""
    to_json = getattr(err, "to_json", None)
    if to_json is None:
        # fieldless errors are enum members: "TransactionErrorFieldless.AccountInUse"
        return str(err).rpartition(".")[2]
    return json.loads(to_json())


def instruction_error(index: int, error: ExchangeError) -> object:
    """Return the ``InstructionError`` JSON the runtime reports for an emulator refusal."""
    if error.kind is ErrorKind.INSTRUCTION_ERROR or error.code is None:
        return {"InstructionError": [index, error.name]}
    return {"InstructionError": [index, {"Custom": error.code}]}


def legacy_or_v0(tx: VersionedTransaction) -> Message | MessageV0:
    """Return the transaction's message (version 1 messages are refused at intake).

    Raises:
        RpcError: -32015 for a version 1 message.
    """
    message = tx.message
    if isinstance(message, MessageV1):
        raise RpcError(-32015, "Transaction version (1) is not supported")
    return message


def transaction_fee(message: Message | MessageV0, keys: Sequence[Pubkey]) -> int:
    """Return the fee: 5,000 lamports per signature plus ceil(price x limit / 1e6)."""
    limit: int | None = None
    price = 0
    others = 0
    for compiled in message.instructions:
        data = bytes(compiled.data)
        if keys[compiled.program_id_index] != _COMPUTE_BUDGET_ID:
            others += 1
        elif data[:1] == b"\x02" and len(data) >= 5:
            limit = struct.unpack_from("<I", data, 1)[0]
        elif data[:1] == b"\x03" and len(data) >= 9:
            price = struct.unpack_from("<Q", data, 1)[0]
    if limit is None:
        limit = min(_DEFAULT_UNITS_PER_INSTRUCTION * others, MAX_COMPUTE_UNITS)
    priority = -(-price * limit // 1_000_000)
    return LAMPORTS_PER_SIGNATURE * message.header.num_required_signatures + priority
