"""The ``wallets`` table: public keys, roles and AES-256-GCM sealed secret keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bmvbot.adapters.postgres.engine import fetch_all
from bmvbot.adapters.postgres.errors import translated
from bmvbot.adapters.postgres.tables import wallets
from bmvbot.adapters.postgres.timestamps import to_datetime, to_ns
from bmvbot.core.errors import FatalStoreError
from bmvbot.core.types import WalletId
from bmvbot.ports.store import EncryptedSecret, KdfParams, WalletRecord, WalletRole, WalletStore


def _row(wallet: WalletRecord) -> dict[str, object]:
    secret = wallet.secret
    return {
        "pubkey": wallet.pubkey,
        "label": wallet.label,
        "role": wallet.role.value,
        "created_at": to_datetime(wallet.created_ns),
        "disabled_at": None if wallet.disabled_ns is None else to_datetime(wallet.disabled_ns),
        "secret_ciphertext": secret.ciphertext,
        "secret_nonce": secret.nonce,
        "kek_id": secret.kek_id,
        "kdf_name": secret.kdf.name,
        "kdf_salt": secret.kdf.salt,
        "kdf_log2_n": secret.kdf.log2_n,
        "kdf_r": secret.kdf.r,
        "kdf_p": secret.kdf.p,
    }


def _record(row: Row[tuple[object, ...]]) -> WalletRecord:
    m = row._mapping
    try:
        role = WalletRole(m["role"])
    except ValueError as error:
        raise FatalStoreError(f"wallet {m['pubkey']} has an unknown role {m['role']!r}") from error
    kdf = KdfParams(
        name=str(m["kdf_name"]),
        salt=bytes(m["kdf_salt"]),
        log2_n=int(m["kdf_log2_n"]),
        r=int(m["kdf_r"]),
        p=int(m["kdf_p"]),
    )
    disabled_at = m["disabled_at"]
    return WalletRecord(
        pubkey=WalletId(str(m["pubkey"])),
        label=str(m["label"]),
        role=role,
        created_ns=to_ns(m["created_at"]),
        secret=EncryptedSecret(
            bytes(m["secret_ciphertext"]), bytes(m["secret_nonce"]), bytes(m["kek_id"]), kdf
        ),
        disabled_ns=None if disabled_at is None else to_ns(disabled_at),
    )


class PostgresWalletStore(WalletStore):
    """``wallets``: one row per public key; labels are unique."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_wallets(self, records: Sequence[WalletRecord]) -> None:
        if not records:
            return
        async with translated("storing wallets"):
            try:
                async with self._engine.begin() as connection:
                    await connection.execute(insert(wallets), [_row(w) for w in records])
            except IntegrityError as error:
                # all or nothing: one duplicate key or label rolls the whole batch back
                raise FatalStoreError(
                    f"wallet already stored (duplicate public key or label) among "
                    f"{len(records)} new wallets: {str(error.orig).splitlines()[-1]}"
                ) from error

    async def wallets(self, *, include_disabled: bool = True) -> list[WalletRecord]:
        c = wallets.c
        query = select(wallets).order_by(c.created_at, c.label.collate("C"))
        if not include_disabled:
            query = query.where(c.disabled_at.is_(None))
        rows = await fetch_all(self._engine, query, "reading wallets")
        return [_record(row) for row in rows]

    async def wallet(self, pubkey: WalletId) -> WalletRecord:
        query = select(wallets).where(wallets.c.pubkey == pubkey)
        async with translated("reading a wallet"), self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            raise FatalStoreError(f"wallet {pubkey} is not stored")
        return _record(row)

    async def disable_wallet(self, pubkey: WalletId, now_ns: int) -> None:
        statement = (
            update(wallets)
            .where(wallets.c.pubkey == pubkey)
            .values(disabled_at=to_datetime(now_ns))
        )
        async with translated("disabling a wallet"), self._engine.begin() as connection:
            result = await connection.execute(statement)
        if result.rowcount == 0:
            raise FatalStoreError(f"wallet {pubkey} is not stored")
