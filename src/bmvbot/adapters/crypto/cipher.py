"""AES-256-GCM sealing of wallet secret keys under a key-encryption key (KEK).

- The KEK is ``BMVBOT_MASTER_KEY`` (32 bytes, base64) used as is, or ``BMVBOT_MASTER_PASSPHRASE``
  stretched with scrypt (memory-hard) whose salt and cost are stored with every wallet, so a
  later run can derive the same KEK even after the default cost changes.
- Every seal draws a fresh 96-bit random nonce; a nonce is never reused under one KEK.
- The associated data is the wallet's public key: a ciphertext copied onto another row (or two
  rows swapped) fails authentication instead of yielding the wrong key.
- ``kek_id`` (the first 8 bytes of HMAC-SHA256(KEK, label)) is stored with the ciphertext; it
  tells a wrong master secret (a ``ConfigError``: fix the environment) apart from a ciphertext
  that fails authentication under the right one (an ``InvariantError``: tampered or swapped).
  It reveals nothing about the KEK beyond what one known-plaintext MAC would.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bmvbot.adapters.crypto.settings import MasterSecretSettings
from bmvbot.core.errors import ConfigError, InvariantError
from bmvbot.ports.store import EncryptedSecret, KdfParams

KEK_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
SCRYPT_R = 8
SCRYPT_P = 1
KDF_RAW = "raw"
KDF_SCRYPT = "scrypt"
_AAD_PREFIX = b"bmvbot/wallet/v1:"
_KEK_ID_LABEL = b"bmvbot/kek-id/v1"


class MasterSecret:
    """The master secret from the environment: a raw 32-byte key or a passphrase.

    Its ``repr`` names the kind only; the value is never printed.
    """

    __slots__ = ("_key", "_passphrase")

    def __init__(self, *, key: bytes | None = None, passphrase: str | None = None) -> None:
        if (key is None) == (passphrase is None):
            raise ConfigError(
                "set exactly one of BMVBOT_MASTER_KEY and BMVBOT_MASTER_PASSPHRASE",
                key="BMVBOT_MASTER_KEY",
            )
        if key is not None and len(key) != KEK_BYTES:
            raise ConfigError(
                f"BMVBOT_MASTER_KEY must decode to {KEK_BYTES} bytes, was {len(key)} bytes",
                key="BMVBOT_MASTER_KEY",
            )
        if passphrase is not None and len(passphrase) < 12:
            raise ConfigError(
                f"BMVBOT_MASTER_PASSPHRASE must have at least 12 characters, was {len(passphrase)}",
                key="BMVBOT_MASTER_PASSPHRASE",
            )
        self._key = key
        self._passphrase = passphrase

    @classmethod
    def from_settings(cls, settings: MasterSecretSettings) -> MasterSecret:
        """Return the master secret configured in ``settings``.

        Raises:
            ConfigError: neither or both are set, or the key is not 32 bytes of base64.
        """
        if settings.master_key is not None and settings.master_passphrase is not None:
            raise ConfigError(
                "set only one of BMVBOT_MASTER_KEY and BMVBOT_MASTER_PASSPHRASE, both were set",
                key="BMVBOT_MASTER_KEY",
            )
        if settings.master_key is not None:
            try:
                key = base64.b64decode(settings.master_key.get_secret_value(), validate=True)
            except binascii.Error as error:
                raise ConfigError(
                    "BMVBOT_MASTER_KEY must be base64 (e.g. `openssl rand -base64 32`)",
                    key="BMVBOT_MASTER_KEY",
                ) from error
            return cls(key=key)
        if settings.master_passphrase is not None:
            return cls(passphrase=settings.master_passphrase.get_secret_value())
        raise ConfigError(
            "wallet keys need a master secret: set BMVBOT_MASTER_KEY (32 bytes, base64) or "
            "BMVBOT_MASTER_PASSPHRASE",
            key="BMVBOT_MASTER_KEY",
        )

    @property
    def is_passphrase(self) -> bool:
        """Return True for a passphrase, False for a raw key."""
        return self._passphrase is not None

    def derive(self, kdf: KdfParams, pubkey: str) -> bytes:
        """Return the KEK for ``kdf`` (raw: the key itself; scrypt: the stretched passphrase).

        Raises:
            ConfigError: the wallet was sealed with the other kind of master secret.
        """
        if kdf.name == KDF_RAW:
            if self._key is None:
                raise ConfigError(
                    f"wallet {pubkey} was sealed with BMVBOT_MASTER_KEY, which is not set "
                    "(BMVBOT_MASTER_PASSPHRASE is)",
                    key="BMVBOT_MASTER_KEY",
                )
            return self._key
        if kdf.name == KDF_SCRYPT:
            if self._passphrase is None:
                raise ConfigError(
                    f"wallet {pubkey} was sealed with BMVBOT_MASTER_PASSPHRASE, which is not "
                    "set (BMVBOT_MASTER_KEY is)",
                    key="BMVBOT_MASTER_PASSPHRASE",
                )
            stretch = Scrypt(salt=kdf.salt, length=KEK_BYTES, n=2**kdf.log2_n, r=kdf.r, p=kdf.p)
            return stretch.derive(self._passphrase.encode("utf-8"))
        raise InvariantError(f"wallet {pubkey} names an unknown kdf {kdf.name!r}")

    def __repr__(self) -> str:
        return f"MasterSecret(kind={'passphrase' if self.is_passphrase else 'key'})"


def kek_id(kek: bytes) -> bytes:
    """Return the 8-byte fingerprint of a KEK stored next to each ciphertext."""
    return hmac.new(kek, _KEK_ID_LABEL, hashlib.sha256).digest()[:8]


class WalletCipher:
    """Seal and open wallet secret keys with AES-256-GCM (see the module docstring)."""

    def __init__(
        self,
        master: MasterSecret,
        *,
        scrypt_log2_n: int = 17,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._master = master
        self._scrypt_log2_n = scrypt_log2_n
        self._random_bytes = random_bytes
        self._keks: dict[KdfParams, bytes] = {}

    def kdf_for_new_wallets(self, existing: KdfParams | None) -> KdfParams:
        """Return the KDF parameters for new seals: reuse ``existing`` when it fits the master.

        Reusing the stored salt means one scrypt derivation per process, not one per wallet.
        """
        if not self._master.is_passphrase:
            return KdfParams(KDF_RAW)
        if existing is not None and existing.name == KDF_SCRYPT:
            return existing
        salt = self._random_bytes(SALT_BYTES)
        return KdfParams(KDF_SCRYPT, salt, self._scrypt_log2_n, SCRYPT_R, SCRYPT_P)

    def _kek(self, kdf: KdfParams, pubkey: str) -> bytes:
        kek = self._keks.get(kdf)
        if kek is None:
            kek = self._master.derive(kdf, pubkey)
            self._keks[kdf] = kek
        return kek

    def seal(self, pubkey: str, secret_key: bytes, kdf: KdfParams) -> EncryptedSecret:
        """Return ``secret_key`` encrypted for the wallet ``pubkey`` with a fresh nonce."""
        kek = self._kek(kdf, pubkey)
        nonce = self._random_bytes(NONCE_BYTES)
        ciphertext = AESGCM(kek).encrypt(nonce, secret_key, _AAD_PREFIX + pubkey.encode())
        return EncryptedSecret(ciphertext, nonce, kek_id(kek), kdf)

    def check_master(self, pubkey: str, sealed: EncryptedSecret) -> None:
        """Raise ``ConfigError`` unless the master secret is the one that sealed ``sealed``."""
        if not hmac.compare_digest(kek_id(self._kek(sealed.kdf, pubkey)), sealed.kek_id):
            variable = (
                "BMVBOT_MASTER_PASSPHRASE" if self._master.is_passphrase else "BMVBOT_MASTER_KEY"
            )
            raise ConfigError(
                f"wrong master secret: wallet {pubkey} was sealed with a different {variable}; "
                "set the one used when the wallet was created",
                key=variable,
            )

    def open(self, pubkey: str, sealed: EncryptedSecret) -> bytes:
        """Return the secret key of ``pubkey``.

        Raises:
            ConfigError: the master secret is not the one that sealed this wallet.
            InvariantError: the ciphertext fails authentication (tampered, or copied from
                another wallet's row).
        """
        self.check_master(pubkey, sealed)
        kek = self._kek(sealed.kdf, pubkey)
        try:
            return AESGCM(kek).decrypt(
                sealed.nonce, sealed.ciphertext, _AAD_PREFIX + pubkey.encode()
            )
        except InvalidTag:
            raise InvariantError(
                f"wallet {pubkey}: the encrypted secret key fails authentication under the "
                "right master secret; the row was tampered with or its ciphertext belongs to "
                "another wallet. Restore it from a backup"
            ) from None
