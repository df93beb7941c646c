"""A Jito block engine over the local chain: bundles of up to 5 transactions, all-or-nothing.

``BlockEngine.call`` answers sendBundle, getBundleStatuses, getInflightBundleStatuses,
getTipAccounts and sendTransaction (fact sheet 1.2-1.5) and validates bundles like the block
engine (1.9): 1-5 fully signed transactions of at most 1,232 bytes, no duplicates, a static
write lock on one of the 8 tip accounts, the ``jitodontfront`` rule (static keys), known
blockhashes, nothing already processed. ``sendTransaction`` with ``bundle_only`` (the
``?bundleOnly=true`` query) is a one-transaction bundle whose id the server puts in the
``x-bundle-id`` header. A valid
bundle runs at once, in order; if any transaction fails every account is restored (fees
included) and the bundle is ``Failed``, otherwise ``Landed`` in the current slot. The bundle id
is the hex SHA-256 of the comma-joined first signatures. The 1 request/s limit is applied by
the HTTP layer when asked for (``server.jito_app``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bmvbot.localnet.chain import LocalChain
from bmvbot.localnet.rpc import Json, SolanaRpc, error_text
from bmvbot.localnet.transaction import RpcError, legacy_or_v0

TIP_ACCOUNTS = tuple(
    Pubkey.from_string(key)
    for key in (
        "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5",
        "HFqU5x63VTqvQss8hp11i4wVV8bD44PvwucfZ2bU7gRe",
        "Cw8CFyM9FkoMi7K7Crf6HNQqf4uEMzpKw6QNghXLvLkY",
        "ADaUMid9yfUytqMBgopwjb2DTLSokTSzL1zt6iGPaS49",
        "DfXygSm4jCyNCybVYYK6DwvWqjKee8pbDmJGcLWNDXjh",
        "ADuUkR4vqLUMWXxW9gh6D6L8pMSawimctcNZ5pGwDcEt",
        "DttWaMuVvTiduZRnguLF7jNxTgiMBZ1hyAumKUiL2KRL",
        "3AVi9Tg9Uo68tJfuvoKvqKNWKkC5wPdSSdeBnizKZ6jT",
    )
)
"""The mainnet tip accounts (fact sheet 1.7); the localnet funds them at start."""
logger = logging.getLogger(__name__)
MAX_BUNDLE_TRANSACTIONS = 5
MAX_STATUS_IDS = 5
BUNDLE_RETENTION_SLOTS = 10_000
"""Bundle statuses are kept this long (the block engine answers Invalid after 5 minutes)."""


@dataclass
class BundleRecord:
    """What happened to one bundle: its transactions' signatures, status and slot."""

    signatures: list[str]
    status: str
    slot: int
    err: Json = None


def bundle_id(transactions: list[VersionedTransaction]) -> str:
    """Return the bundle id: sha256 over the comma-joined base58 first signatures, in hex."""
    joined = ",".join(str(tx.signatures[0]) for tx in transactions)
    return hashlib.sha256(joined.encode()).hexdigest()


def _static_write_locks(tx: VersionedTransaction) -> set[Pubkey]:
    message = legacy_or_v0(tx)
    header = message.header
    keys = list(message.account_keys)
    signed = header.num_required_signatures
    locks = set(keys[: signed - header.num_readonly_signed_accounts])
    locks.update(keys[signed : len(keys) - header.num_readonly_unsigned_accounts])
    return locks


DONT_FRONT_PREFIX = "jitodontfront"


def _signers(tx: VersionedTransaction) -> set[Pubkey]:
    message = legacy_or_v0(tx)
    return set(list(message.account_keys)[: message.header.num_required_signatures])


def _check_dont_front(transactions: list[VersionedTransaction]) -> None:
    # a transaction naming a jitodontfront key must sit at the front, in one contiguous run
    # whose transactions each share a signer with the first (fact sheet 1.6)
    marked = [
        any(str(key).startswith(DONT_FRONT_PREFIX) for key in legacy_or_v0(tx).account_keys)
        for tx in transactions
    ]
    run = 0
    while run < len(marked) and marked[run]:
        run += 1
    first = _signers(transactions[0])
    if any(marked[run:]) or any(not _signers(tx) & first for tx in transactions[1:run]):
        raise RpcError(
            -32602, "bundle violates jitodontfront: protected transactions must come first"
        )


class BlockEngine:
    """Jito JSON-RPC methods; bundles execute on the shared ``SolanaRpc``'s chain."""

    def __init__(self, rpc: SolanaRpc) -> None:
        self.rpc = rpc
        self.chain: LocalChain = rpc.chain
        self.bundles: dict[str, BundleRecord] = {}

    def fund_tip_accounts(self) -> None:
        """Give every tip account its rent-exempt minimum so that small tips can land."""
        for key in TIP_ACCOUNTS:
            if self.chain.get(key) is None:
                self.chain.airdrop(key, self.chain.rent(0))

    def call(self, method: str, params: Json) -> Json:
        """Return the result of a block-engine method.

        Raises:
            RpcError: -32601 unknown method; -32602 an invalid bundle or parameter.
        """
        params = params if isinstance(params, list) else []
        if method == "sendBundle":
            return self.send_bundle(params)
        if method == "getBundleStatuses":
            return self._statuses(params, is_inflight=False)
        if method == "getInflightBundleStatuses":
            return self._statuses(params, is_inflight=True)
        if method == "getTipAccounts":
            return [str(key) for key in TIP_ACCOUNTS]
        if method == "sendTransaction":
            config = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
            return self.rpc.call("sendTransaction", [params[0], {**config, "skipPreflight": True}])
        raise RpcError(-32601, "Method not found")

    def send_bundle_only(self, params: Json) -> tuple[str, str]:
        """Run ``sendTransaction?bundleOnly=true``: a one-transaction bundle.

        Returns:
            The transaction signature and the bundle id.

        Raises:
            RpcError: as ``send_bundle``.
        """
        params = params if isinstance(params, list) and params else [None]
        config = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        transactions = self._decode([[params[0]], config])
        return str(transactions[0].signatures[0]), self.send_bundle([[params[0]], config])

    def _decode(self, params: list[Json]) -> list[VersionedTransaction]:
        if not params or not isinstance(params[0], list):
            raise RpcError(-32602, "Invalid params: expected an array of transactions")
        texts = params[0]
        if not texts:
            raise RpcError(-32602, "bundle must contain at least one transaction")
        if len(texts) > MAX_BUNDLE_TRANSACTIONS:
            raise RpcError(-32602, "exceeded maximum number of transactions")
        config = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        encoding = config.get("encoding") or "base58"
        try:
            transactions = [self.rpc.decode_transaction(text, encoding) for text in texts]
        except RpcError as e:
            raise RpcError(-32602, f"bundle contains an invalid transaction: {e.message}") from None
        if len({str(tx.signatures[0]) for tx in transactions}) != len(transactions):
            raise RpcError(
                -32602,
                "bundles must not contain any duplicate transactions and every transaction "
                "must be signed",
            )
        return transactions

    def _validate(self, transactions: list[VersionedTransaction]) -> None:
        tips = set(TIP_ACCOUNTS)
        if not any(_static_write_locks(tx) & tips for tx in transactions):
            raise RpcError(
                -32602,
                "Bundles must write lock at least one tip account to be eligible for the auction.",
            )
        _check_dont_front(transactions)
        for tx in transactions:
            problem = self.chain.precheck(tx)
            if problem == "AlreadyProcessed":
                raise RpcError(-32602, "bundle contains an already processed transaction")
            if problem == "BlockhashNotFound":
                raise RpcError(-32602, "bundle contains an expired blockhash")

    def send_bundle(self, params: list[Json]) -> str:
        """Validate and execute a bundle; return its id.

        Raises:
            RpcError: -32602 with the block engine's message for an invalid bundle.
        """
        transactions = self._decode(params)
        self._validate(transactions)
        identifier = bundle_id(transactions)
        cutoff = self.chain.slot - BUNDLE_RETENTION_SLOTS
        for old in [i for i, record in self.bundles.items() if record.slot < cutoff]:
            del self.bundles[old]
        keys = set()
        for tx in transactions:
            keys.update(self.chain.resolve_keys(legacy_or_v0(tx)))
        snapshot = self.chain.snapshot(keys)
        outcomes = []
        for tx in transactions:
            outcome = self.chain.execute(tx, commit=True)
            outcomes.append(outcome)
            if not outcome.is_ok:
                self.chain.restore(snapshot)
                for done in outcomes:
                    self.chain.statuses.pop(done.signature, None)
                self.bundles[identifier] = BundleRecord(
                    [str(t.signatures[0]) for t in transactions], "Failed", self.chain.slot,
                    {"error": error_text(outcome.err), "tx_signature": str(outcome.signature)},
                )  # fmt: skip
                logger.info(
                    "bundle failed bundle_id=%s transactions=%d failed_signature=%s error=%s",
                    identifier, len(transactions), outcome.signature, error_text(outcome.err),
                )  # fmt: skip
                return identifier
        for outcome in outcomes:
            self.rpc.notify(outcome)
        self.bundles[identifier] = BundleRecord(
            [str(t.signatures[0]) for t in transactions], "Landed", self.chain.slot
        )
        logger.info(
            "bundle landed bundle_id=%s transactions=%d slot=%d",
            identifier, len(transactions), self.chain.slot,
        )  # fmt: skip
        return identifier

    def _statuses(self, params: list[Json], *, is_inflight: bool) -> Json:
        ids = params[0] if params and isinstance(params[0], list) else None
        if ids is None or len(ids) > MAX_STATUS_IDS:
            raise RpcError(-32602, "Invalid params: up to 5 bundle ids in an array")
        values: list[Json] = []
        for identifier in ids:
            record = self.bundles.get(str(identifier))
            if is_inflight:
                values.append(
                    {"bundle_id": identifier, "status": "Invalid", "landed_slot": None}
                    if record is None
                    else {"bundle_id": identifier, "status": record.status,
                          "landed_slot": record.slot if record.status == "Landed" else None}
                )  # fmt: skip
            elif record is None or record.status != "Landed":
                values.append(None)
            else:
                values.append({
                    "bundle_id": identifier, "transactions": record.signatures,
                    "slot": record.slot, "confirmation_status": "finalized",
                    "err": {"Ok": None},
                })  # fmt: skip
        return {"context": {"slot": self.chain.slot}, "value": values}
