"""The wallet vault: creates, imports, lists and opens swarm wallets over a WalletStore.

Secret keys enter as Solana keypair bytes (64 bytes: seed then public key), are sealed with
``WalletCipher`` before they reach the store, and leave only through ``keypair`` (for signing).
Listings and exports return ``WalletAddress`` values: public keys, labels and roles, never a
secret or a ciphertext.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from solders.keypair import Keypair

from bmvbot.adapters.crypto.cipher import WalletCipher
from bmvbot.core.errors import ConfigError, InvariantError
from bmvbot.core.types import WalletId
from bmvbot.ports.clock import Clock
from bmvbot.ports.store import WalletAddress, WalletRecord, WalletRole, WalletStore

_log = logging.getLogger(__name__)

KEYPAIR_BYTES = 64
MAX_WALLETS_PER_CALL = 10_000


def _keypair_from_json(item: object, where: str) -> Keypair:
    if not isinstance(item, list) or len(item) != KEYPAIR_BYTES:
        raise ConfigError(
            f"{where} must be a keypair: a JSON array of {KEYPAIR_BYTES} integers 0..255 "
            "(the Solana CLI format)",
            key="wallets.import",
        )
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in item):
        raise ConfigError(f"{where} must hold integers 0..255 only", key="wallets.import")
    try:
        return Keypair.from_bytes(bytes(item))
    except ValueError:
        raise ConfigError(
            f"{where} is not a valid keypair (its public half does not match its secret half)",
            key="wallets.import",
        ) from None


def read_keypair_file(path: Path) -> list[Keypair]:
    """Return the keypairs of a Solana CLI keypair file, or of a JSON array of such arrays.

    Raises:
        ConfigError: the file is missing, not JSON or not keypairs (no secret in the message).
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(
            f"cannot read keypair file {path}: {error.strerror}", key="wallets.import"
        ) from None
    except ValueError:
        raise ConfigError(f"keypair file {path} is not JSON", key="wallets.import") from None
    if isinstance(document, list) and document and all(isinstance(i, list) for i in document):
        return [_keypair_from_json(item, f"{path} item {n}") for n, item in enumerate(document)]
    return [_keypair_from_json(document, str(path))]


def _next_label_index(prefix: str, labels: Sequence[str]) -> int:
    indexes = [
        int(label[len(prefix) + 1 :])
        for label in labels
        if label.startswith(prefix + "-") and label[len(prefix) + 1 :].isdigit()
    ]
    return max(indexes, default=-1) + 1


class WalletVault:
    """Swarm wallets with sealed keys (see the module docstring)."""

    def __init__(self, store: WalletStore, cipher: WalletCipher, clock: Clock) -> None:
        self._store = store
        self._cipher = cipher
        self._clock = clock

    async def _add(
        self, keypairs: Sequence[Keypair], role: WalletRole, label_prefix: str | None
    ) -> list[WalletAddress]:
        existing = await self._store.wallets()
        if existing:
            # one master secret per swarm: refuse to mix keys sealed under different ones
            self._cipher.check_master(existing[0].pubkey, existing[0].secret)
        kdf = self._cipher.kdf_for_new_wallets(existing[0].secret.kdf if existing else None)
        prefix = label_prefix or role.value
        first = _next_label_index(prefix, [w.label for w in existing])
        now_ns = self._clock.now_ns()
        records = []
        for offset, keypair in enumerate(keypairs):
            pubkey = str(keypair.pubkey())
            records.append(
                WalletRecord(
                    pubkey=WalletId(pubkey),
                    label=f"{prefix}-{first + offset:04d}",
                    role=role,
                    created_ns=now_ns,
                    secret=self._cipher.seal(pubkey, bytes(keypair), kdf),
                )
            )
        await self._store.add_wallets(records)
        _log.info("wallets added count=%d role=%s", len(records), role.value)
        return [record.address for record in records]

    async def create(
        self, count: int, role: WalletRole = WalletRole.SWARM, label_prefix: str | None = None
    ) -> list[WalletAddress]:
        """Generate ``count`` fresh keypairs, store them sealed and return their addresses.

        Raises:
            ConfigError: ``count`` is not 1..10000.
        """
        if not 1 <= count <= MAX_WALLETS_PER_CALL:
            raise ConfigError(
                f"wallet count must be 1..{MAX_WALLETS_PER_CALL}, was {count}", key="wallets.count"
            )
        return await self._add([Keypair() for _ in range(count)], role, label_prefix)

    async def import_keypairs(
        self,
        keypairs: Sequence[Keypair],
        role: WalletRole = WalletRole.SWARM,
        label_prefix: str | None = None,
    ) -> list[WalletAddress]:
        """Store existing keypairs sealed and return their addresses (all or none)."""
        if not keypairs:
            raise ConfigError("no keypair to import", key="wallets.import")
        return await self._add(keypairs, role, label_prefix)

    async def addresses(self, *, include_disabled: bool = True) -> list[WalletAddress]:
        """Return every wallet's public part, oldest first (the audit list of the swarm)."""
        wallets = await self._store.wallets(include_disabled=include_disabled)
        return [wallet.address for wallet in wallets]

    async def keypair(self, pubkey: WalletId) -> Keypair:
        """Return the keypair of ``pubkey`` for signing.

        Raises:
            ConfigError: wrong master secret.
            InvariantError: the sealed key fails authentication or belongs to another wallet.
            FatalStoreError: the wallet is unknown.
        """
        wallet = await self._store.wallet(pubkey)
        secret = self._cipher.open(wallet.pubkey, wallet.secret)
        try:
            keypair = Keypair.from_bytes(secret)
        except ValueError:
            raise InvariantError(f"wallet {pubkey}: the stored secret is not a keypair") from None
        if str(keypair.pubkey()) != wallet.pubkey:
            raise InvariantError(f"wallet {pubkey}: the stored secret belongs to another key")
        return keypair

    async def verify(self) -> int:
        """Open every wallet's key once (checks the master secret); return how many."""
        wallets = await self._store.wallets()
        for wallet in wallets:
            await self.keypair(wallet.pubkey)
        return len(wallets)
