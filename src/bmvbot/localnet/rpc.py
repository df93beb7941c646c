"""Solana JSON-RPC methods over a :class:`~bmvbot.localnet.chain.LocalChain`.

``SolanaRpc.call(method, params)`` returns the ``result`` value or raises
:class:`~bmvbot.localnet.chain.RpcError` with the cluster's code and message (fact sheet 3.1,
3.2): -32602 invalid params or transaction, -32003 signature verification failure, -32002
preflight failure with the simulation as ``data``, -32601 unknown method. Committed transactions
are reported to ``listeners`` (the WebSocket subscriptions).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from bmvbot.localnet.chain import LocalChain
from bmvbot.localnet.transaction import RpcError, TransactionOutcome
from bmvbot.openbook.ids import TOKEN_PROGRAM_ID
from bmvbot.openbook.spl import TOKEN_ACCOUNT_SIZE, decode_mint, decode_token_account

Json = Any
logger = logging.getLogger(__name__)
Listener = Callable[[TransactionOutcome], None]
VERSION = {"solana-core": "2.1.0", "feature-set": 0}
_ERROR_TEXT = {
    "BlockhashNotFound": "Blockhash not found",
    "AlreadyProcessed": "This transaction has already been processed",
    "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
}
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    """Return the bytes of base58 ``text``.

    Raises:
        ValueError: a character outside the base58 alphabet.
    """
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def account_json(account: Account | None) -> Json:
    """Return an account as ``getAccountInfo`` renders it (base64), None when missing."""
    if account is None or account.lamports == 0:
        return None
    return {
        "data": [base64.b64encode(bytes(account.data)).decode(), "base64"],
        "executable": account.executable,
        "lamports": account.lamports,
        "owner": str(account.owner),
        "rentEpoch": 18446744073709551615,
        "space": len(account.data),
    }


def error_text(err: Json) -> str:
    """Return the cluster's wording of a transaction error."""
    if isinstance(err, str):
        return _ERROR_TEXT.get(err, err)
    if isinstance(err, dict) and "InstructionError" in err:
        index, detail = err["InstructionError"]
        if isinstance(detail, dict) and "Custom" in detail:
            return (
                f"Error processing Instruction {index}: custom program error: {detail['Custom']:#x}"
            )
        return f"Error processing Instruction {index}: {detail}"
    return str(err)


def _pubkey(value: object, what: str) -> Pubkey:
    try:
        return Pubkey.from_string(str(value))
    except ValueError:
        raise RpcError(-32602, f"Invalid param: {what} is not a valid pubkey: {value!r}") from None


def _matches(data: bytes, spec: Json) -> bool:
    # getProgramAccounts filters: {"dataSize": n} or {"memcmp": {"offset", "bytes"[, "encoding"]}}
    if not isinstance(spec, dict):
        raise RpcError(-32602, f"Invalid params: unknown filter {spec!r}")
    if "dataSize" in spec:
        return len(data) == int(spec["dataSize"])
    memcmp = spec.get("memcmp")
    if not isinstance(memcmp, dict):
        raise RpcError(-32602, f"Invalid params: unknown filter {spec!r}")
    offset = int(memcmp.get("offset", 0))
    text = str(memcmp.get("bytes", ""))
    try:
        wanted = (
            base64.b64decode(text, validate=True)
            if memcmp.get("encoding") == "base64"
            else b58decode(text)
        )
    except (binascii.Error, ValueError):
        raise RpcError(-32602, f"Invalid params: memcmp bytes {text!r}") from None
    return data[offset : offset + len(wanted)] == wanted


def _config(params: list[Json], index: int) -> dict[str, Json]:
    value = params[index] if len(params) > index else None
    return value if isinstance(value, dict) else {}


class SolanaRpc:
    """The JSON-RPC methods a market-making bot needs, answered from the local chain."""

    def __init__(self, chain: LocalChain) -> None:
        self.chain = chain
        self.listeners: list[Listener] = []
        self._methods: dict[str, Callable[[list[Json]], Json]] = {
            "getLatestBlockhash": self._latest_blockhash,
            "getAccountInfo": self._account_info,
            "getMultipleAccounts": self._multiple_accounts,
            "getBalance": self._balance,
            "getTokenAccountBalance": self._token_balance,
            "sendTransaction": self._send,
            "simulateTransaction": self._simulate,
            "getSignatureStatuses": self._statuses,
            "getProgramAccounts": self._program_accounts,
            "getTokenAccountsByOwner": self._token_accounts_by_owner,
            "requestAirdrop": self._airdrop,
            "getSlot": lambda _: self.chain.slot,
            "getBlockHeight": lambda _: self.chain.slot,
            "getHealth": lambda _: "ok",
            "getVersion": lambda _: VERSION,
            "getMinimumBalanceForRentExemption": self._rent,
        }

    def call(self, method: str, params: Json) -> Json:
        """Return the result of ``method``.

        Raises:
            RpcError: the cluster's error for an unknown method, bad params or a failed call.
        """
        handler = self._methods.get(method)
        if handler is None:
            raise RpcError(-32601, "Method not found")
        if params is None:
            params = []
        if not isinstance(params, list):
            raise RpcError(-32602, "Invalid params: expected an array")
        try:
            return handler(params)
        except (IndexError, TypeError, KeyError) as e:
            raise RpcError(-32602, f"Invalid params: {e}") from None

    def context(self, value: Json) -> Json:
        """Wrap ``value`` with the current slot, as the RPC does."""
        return {"context": {"apiVersion": VERSION["solana-core"], "slot": self.chain.slot},
                "value": value}  # fmt: skip

    # -- reads -------------------------------------------------------------------------------

    def _latest_blockhash(self, params: list[Json]) -> Json:
        blockhash, last_valid = self.chain.latest_blockhash()
        return self.context({"blockhash": str(blockhash), "lastValidBlockHeight": last_valid})

    def _encoding(self, config: dict[str, Json]) -> None:
        encoding = config.get("encoding") or "base64"
        if encoding != "base64":
            raise RpcError(-32602, f"Invalid params: encoding must be base64, was {encoding!r}")

    def _account_info(self, params: list[Json]) -> Json:
        self._encoding(_config(params, 1))
        return self.context(account_json(self.chain.get(_pubkey(params[0], "address"))))

    def _multiple_accounts(self, params: list[Json]) -> Json:
        self._encoding(_config(params, 1))
        keys = params[0]
        if not isinstance(keys, list) or len(keys) > 100:
            raise RpcError(-32602, "Invalid params: up to 100 addresses in an array")
        return self.context([account_json(self.chain.get(_pubkey(key, "address"))) for key in keys])

    def _balance(self, params: list[Json]) -> Json:
        account = self.chain.get(_pubkey(params[0], "address"))
        return self.context(0 if account is None else account.lamports)

    def _token_balance(self, params: list[Json]) -> Json:
        account = self.chain.get(_pubkey(params[0], "token account"))
        if account is None or len(account.data) != TOKEN_ACCOUNT_SIZE:
            raise RpcError(-32602, "Invalid param: not a Token account")
        token = decode_token_account(bytes(account.data))
        mint = self.chain.get(token.mint)
        decimals = 0 if mint is None else decode_mint(bytes(mint.data)).decimals
        ui = token.amount / 10**decimals
        return self.context({
            "amount": str(token.amount), "decimals": decimals, "uiAmount": ui,
            "uiAmountString": f"{token.amount / 10**decimals:.{decimals}f}".rstrip("0").rstrip("."),
        })  # fmt: skip

    def _program_accounts(self, params: list[Json]) -> Json:
        config = _config(params, 1)
        self._encoding(config)
        filters = config.get("filters") or []
        if not isinstance(filters, list):
            raise RpcError(-32602, "Invalid params: filters must be an array")
        matches = [
            {"pubkey": str(key), "account": account_json(account)}
            for key, account in self.chain.svm.get_program_accounts(_pubkey(params[0], "program"))
            if account.lamports and all(_matches(bytes(account.data), f) for f in filters)
        ]
        return self.context(matches) if config.get("withContext") else matches

    def _token_accounts_by_owner(self, params: list[Json]) -> Json:
        owner = _pubkey(params[0], "owner")
        selector = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        self._encoding(_config(params, 2))
        mint = selector.get("mint")
        program = selector.get("programId")
        if (mint is None) == (program is None):
            raise RpcError(-32602, "Invalid params: give exactly one of mint or programId")
        if program is not None and _pubkey(program, "programId") != TOKEN_PROGRAM_ID:
            return self.context([])
        wanted_mint = None if mint is None else _pubkey(mint, "mint")
        values = []
        for key, account in self.chain.svm.get_program_accounts(TOKEN_PROGRAM_ID):
            if not account.lamports or len(account.data) != TOKEN_ACCOUNT_SIZE:
                continue
            token = decode_token_account(bytes(account.data))
            if token.owner == owner and wanted_mint in (None, token.mint):
                values.append({"pubkey": str(key), "account": account_json(account)})
        return self.context(values)

    def _rent(self, params: list[Json]) -> Json:
        return self.chain.rent(int(params[0]))

    def _statuses(self, params: list[Json]) -> Json:
        signatures = params[0]
        if not isinstance(signatures, list) or len(signatures) > 256:
            raise RpcError(-32602, "Invalid params: up to 256 signatures in an array")
        values: list[Json] = []
        for text in signatures:
            try:
                status = self.chain.status(Signature.from_string(str(text)))
            except ValueError:
                raise RpcError(-32602, f"Invalid param: invalid signature {text!r}") from None
            if status is None:
                values.append(None)
                continue
            slot, err = status
            values.append({
                "slot": slot, "confirmations": None, "err": err,
                "status": {"Ok": None} if err is None else {"Err": err},
                "confirmationStatus": "finalized",
            })  # fmt: skip
        return self.context(values)

    # -- writes ------------------------------------------------------------------------------

    def decode_transaction(
        self, text: object, encoding: object, *, verify_signatures: bool = True
    ) -> VersionedTransaction:
        """Return the signed transaction in ``text`` after the cluster's intake checks.

        Raises:
            RpcError: -32602 bad encoding, too large or malformed; -32003 bad signature.
        """
        try:
            raw = (
                base64.b64decode(str(text), validate=True)
                if encoding == "base64"
                else b58decode(str(text))
            )
        except (binascii.Error, ValueError):
            raise RpcError(-32602, f"invalid transaction: not {encoding}") from None
        return self.chain.parse(raw, verify_signatures=verify_signatures)

    def _transaction(self, params: list[Json], *, verify: bool = True) -> VersionedTransaction:
        config = _config(params, 1)
        encoding = config.get("encoding") or "base58"
        return self.decode_transaction(params[0], encoding, verify_signatures=verify)

    def simulation(self, outcome: TransactionOutcome, replacement: Json = None) -> Json:
        """Return the ``simulateTransaction`` value of ``outcome``."""
        return_data = None
        if outcome.return_data is not None:
            program, data = outcome.return_data
            return_data = {"programId": str(program),
                           "data": [base64.b64encode(data).decode(), "base64"]}  # fmt: skip
        return {
            "err": outcome.err, "logs": outcome.logs, "accounts": None,
            "unitsConsumed": outcome.units_consumed, "returnData": return_data,
            "innerInstructions": None, "replacementBlockhash": replacement,
            "loadedAccountsDataSize": 0,
        }  # fmt: skip

    def _simulate(self, params: list[Json]) -> Json:
        config = _config(params, 1)
        is_replacing = bool(config.get("replaceRecentBlockhash"))
        if is_replacing and config.get("sigVerify"):
            raise RpcError(
                -32602,
                "Invalid params: sigVerify may not be used with replaceRecentBlockhash",
            )
        tx = self._transaction(params, verify=bool(config.get("sigVerify")))
        outcome = self.chain.execute(tx, commit=False, check_blockhash=not is_replacing)
        replacement = None
        if is_replacing:
            blockhash, last_valid = self.chain.latest_blockhash()
            replacement = {"blockhash": str(blockhash), "lastValidBlockHeight": last_valid}
        return self.context(self.simulation(outcome, replacement))

    def _send(self, params: list[Json]) -> Json:
        tx = self._transaction(params)
        if not _config(params, 1).get("skipPreflight"):
            preflight = self.chain.execute(tx, commit=False)
            if not preflight.is_ok:
                raise RpcError(
                    -32002,
                    f"Transaction simulation failed: {error_text(preflight.err)}",
                    self.simulation(preflight),
                )
        elif self.chain.precheck(tx) is not None:
            # the cluster drops what it cannot even charge; the signature never lands
            return str(tx.signatures[0])
        outcome = self.chain.execute(tx, commit=True)
        logger.info(
            "transaction processed signature=%s slot=%s error=%s",
            outcome.signature, outcome.slot, error_text(outcome.err) if outcome.err else "none",
        )  # fmt: skip
        self.notify(outcome)
        return str(outcome.signature)

    def notify(self, outcome: TransactionOutcome) -> None:
        """Tell every listener about a committed transaction."""
        for listener in self.listeners:
            listener(outcome)

    def _airdrop(self, params: list[Json]) -> Json:
        address = _pubkey(params[0], "address")
        lamports = int(params[1])
        if lamports <= 0:
            raise RpcError(-32602, f"Invalid params: lamports must be > 0, was {lamports}")
        signature = self.chain.airdrop(address, lamports)
        self.notify(TransactionOutcome(signature, slot=self.chain.slot, written=[address]))
        return str(signature)
