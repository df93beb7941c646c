"""AES-256-GCM wallet sealing: fresh nonces, public key bound, wrong master told apart."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from pydantic import SecretStr

from bmvbot.adapters.crypto.cipher import KDF_RAW, KDF_SCRYPT, MasterSecret, WalletCipher, kek_id
from bmvbot.adapters.crypto.settings import MasterSecretSettings
from bmvbot.core.errors import ConfigError, InvariantError

KEY = bytes(range(32))
SECRET = bytes(range(64))
PUBKEY = "PubKey1111111111111111111111111111111111111"
OTHER_PUBKEY = "PubKey2222222222222222222222222222222222222"
PASSPHRASE = "a long enough passphrase"  # noqa: S105 - a test passphrase


def key_cipher(key: bytes = KEY) -> WalletCipher:
    return WalletCipher(MasterSecret(key=key))


def passphrase_cipher(passphrase: str = PASSPHRASE) -> WalletCipher:
    return WalletCipher(MasterSecret(passphrase=passphrase), scrypt_log2_n=14)


def test_seal_twice_fresh_nonces_and_ciphertexts() -> None:
    cipher = key_cipher()
    kdf = cipher.kdf_for_new_wallets(None)

    first, second = cipher.seal(PUBKEY, SECRET, kdf), cipher.seal(PUBKEY, SECRET, kdf)

    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext
    assert len(first.nonce) == 12
    assert SECRET not in first.ciphertext
    assert cipher.open(PUBKEY, first) == SECRET


def test_open_ciphertext_under_another_public_key_fails_authentication() -> None:
    cipher = key_cipher()
    sealed = cipher.seal(PUBKEY, SECRET, cipher.kdf_for_new_wallets(None))

    with pytest.raises(InvariantError, match=f"wallet {OTHER_PUBKEY}.*another wallet"):
        cipher.open(OTHER_PUBKEY, sealed)


@pytest.mark.parametrize("field", ["ciphertext", "nonce"])
def test_open_flipped_bit_fails_authentication(field: str) -> None:
    cipher = key_cipher()
    sealed = cipher.seal(PUBKEY, SECRET, cipher.kdf_for_new_wallets(None))
    value = bytearray(getattr(sealed, field))
    value[0] ^= 0x01

    tampered = (
        replace(sealed, nonce=bytes(value))
        if field == "nonce"
        else replace(sealed, ciphertext=bytes(value))
    )

    with pytest.raises(InvariantError, match="fails authentication"):
        cipher.open(PUBKEY, tampered)


def test_open_wrong_master_key_config_error_naming_the_variable() -> None:
    sealed = key_cipher().seal(PUBKEY, SECRET, key_cipher().kdf_for_new_wallets(None))

    with pytest.raises(ConfigError, match="wrong master secret") as caught:
        key_cipher(bytes(32)).open(PUBKEY, sealed)

    assert caught.value.key == "BMVBOT_MASTER_KEY"


def test_passphrase_scrypt_params_stored_and_reused_for_one_derivation() -> None:
    cipher = passphrase_cipher()
    kdf = cipher.kdf_for_new_wallets(None)

    reused = cipher.kdf_for_new_wallets(kdf)
    sealed = cipher.seal(PUBKEY, SECRET, kdf)

    assert (kdf.name, kdf.log2_n, kdf.r, kdf.p, len(kdf.salt)) == (KDF_SCRYPT, 14, 8, 1, 16)
    assert reused is kdf
    assert passphrase_cipher().open(PUBKEY, sealed) == SECRET
    with pytest.raises(ConfigError, match="BMVBOT_MASTER_PASSPHRASE"):
        passphrase_cipher("another long passphrase").open(PUBKEY, sealed)


def test_passphrase_cipher_new_salt_when_existing_wallets_use_raw_key() -> None:
    kdf = passphrase_cipher().kdf_for_new_wallets(key_cipher().kdf_for_new_wallets(None))

    assert kdf.name == KDF_SCRYPT


def test_open_raw_sealed_with_passphrase_config_error() -> None:
    sealed = key_cipher().seal(PUBKEY, SECRET, key_cipher().kdf_for_new_wallets(None))

    with pytest.raises(ConfigError, match="sealed with BMVBOT_MASTER_KEY"):
        passphrase_cipher().open(PUBKEY, sealed)


def test_open_scrypt_sealed_with_raw_key_config_error() -> None:
    cipher = passphrase_cipher()
    sealed = cipher.seal(PUBKEY, SECRET, cipher.kdf_for_new_wallets(None))

    with pytest.raises(ConfigError, match="sealed with BMVBOT_MASTER_PASSPHRASE"):
        key_cipher().open(PUBKEY, sealed)


def test_open_unknown_kdf_invariant_error() -> None:
    cipher = key_cipher()
    sealed = cipher.seal(PUBKEY, SECRET, cipher.kdf_for_new_wallets(None))

    with pytest.raises(InvariantError, match="unknown kdf 'argon9'"):
        cipher.open(PUBKEY, replace(sealed, kdf=replace(sealed.kdf, name="argon9")))


def test_kek_id_depends_on_the_key_only() -> None:
    assert kek_id(KEY) == kek_id(bytes(KEY))
    assert kek_id(KEY) != kek_id(bytes(32))
    assert len(kek_id(KEY)) == 8


def _settings(key: str | None = None, passphrase: str | None = None) -> MasterSecretSettings:
    return MasterSecretSettings(
        master_key=None if key is None else SecretStr(key),
        master_passphrase=None if passphrase is None else SecretStr(passphrase),
    )


@pytest.mark.parametrize(
    ("key", "passphrase", "message"),
    [
        (None, None, "need a master secret"),
        (base64.b64encode(KEY).decode(), PASSPHRASE, "only one"),
        ("not base64!", None, "must be base64"),
        (base64.b64encode(bytes(16)).decode(), None, "32 bytes, was 16 bytes"),
        (None, "short", "at least 12 characters, was 5"),
    ],
)
def test_master_secret_from_settings_bad_input_config_error(
    key: str | None, passphrase: str | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        MasterSecret.from_settings(_settings(key, passphrase))

    assert caught.value.key is not None
    if key is not None:
        assert key not in str(caught.value)


def test_master_secret_repr_names_the_kind_only() -> None:
    master = MasterSecret.from_settings(_settings(base64.b64encode(KEY).decode()))
    phrase = MasterSecret.from_settings(_settings(passphrase=PASSPHRASE))

    assert repr(master) == "MasterSecret(kind=key)"
    assert repr(phrase) == "MasterSecret(kind=passphrase)"
    assert PASSPHRASE not in repr(phrase)
    assert master.is_passphrase is False
    assert key_cipher().kdf_for_new_wallets(None).name == KDF_RAW
