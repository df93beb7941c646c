"""Environment settings of the wallet key encryption: the master secret."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MasterSecretSettings(BaseSettings):
    """Where the key-encryption key comes from; set exactly one of the two.

    Attributes:
        master_key: ``BMVBOT_MASTER_KEY``, 32 random bytes in base64 (``openssl rand -base64
            32``); used directly as the AES-256 key-encryption key. No default.
        master_passphrase: ``BMVBOT_MASTER_PASSPHRASE``, a passphrase stretched with scrypt
            (memory-hard; parameters stored with each wallet). No default.
        scrypt_log2_n: ``BMVBOT_SCRYPT_LOG2_N``, scrypt cost for new wallets, N = 2**value;
            default 17 (128 MiB, about 0.3 s), 14..22.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    master_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("BMVBOT_MASTER_KEY", "master_key")
    )
    master_passphrase: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("BMVBOT_MASTER_PASSPHRASE", "master_passphrase"),
    )
    scrypt_log2_n: int = Field(
        default=17,
        ge=14,
        le=22,
        validation_alias=AliasChoices("BMVBOT_SCRYPT_LOG2_N", "scrypt_log2_n"),
    )
