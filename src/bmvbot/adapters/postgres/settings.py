"""Environment settings of the PostgreSQL adapter.

``DATABASE_URL`` selects an existing server; without it the embedded server runs with its data
under ``BMVBOT_DATA_DIR`` (default: the user's data directory, e.g. ``~/.local/share/bmvbot``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def default_data_dir() -> Path:
    """Return the default data directory: the user's data dir, or ``/var/lib/bmvbot`` as root.

    Under root the embedded server runs as an unprivileged user and every parent of its data
    directory must be traversable by it; ``/var/lib`` already is, whereas ``/root`` would have
    to be opened up to everyone.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/bmvbot")
    return platformdirs.user_data_path("bmvbot")


class StoreSettings(BaseSettings):
    """Where the store lives and how it is reached.

    Attributes:
        database_url: ``DATABASE_URL``, e.g. ``postgresql://user:pass@host:5432/db``; unset (the
            default) starts the embedded server. Kept secret: it may carry a password.
        data_dir: ``BMVBOT_DATA_DIR``; the embedded server keeps its files in
            ``<data_dir>/postgres``. Default: ``default_data_dir()``.
        db_schema: ``BMVBOT_DB_SCHEMA``, the schema holding bmvbot's tables; default ``public``.
        db_pool_size: ``BMVBOT_DB_POOL_SIZE``, connections kept in the pool; default 5, 1..100.
        db_timeout_s: ``BMVBOT_DB_TIMEOUT_S``, connect and command timeout in seconds; default 10.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        validation_alias=AliasChoices("BMVBOT_DATA_DIR", "data_dir"),
    )
    db_schema: str = Field(
        default="public", validation_alias=AliasChoices("BMVBOT_DB_SCHEMA", "db_schema")
    )
    db_pool_size: int = Field(
        default=5,
        ge=1,
        le=100,
        validation_alias=AliasChoices("BMVBOT_DB_POOL_SIZE", "db_pool_size"),
    )
    db_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        validation_alias=AliasChoices("BMVBOT_DB_TIMEOUT_S", "db_timeout_s"),
    )

    @field_validator("db_schema")
    @classmethod
    def _check_schema(cls, value: str) -> str:
        if not _SCHEMA_NAME.match(value):
            raise ValueError(
                "BMVBOT_DB_SCHEMA must be a lowercase identifier (a-z, 0-9, _; at most 63 "
                f"characters, not starting with a digit), was {value!r}"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        scheme = value.get_secret_value().split(":", 1)[0]
        if not scheme.startswith(("postgresql", "postgres")):
            raise ValueError(f"DATABASE_URL must start with postgresql://, was scheme {scheme!r}")
        return value

    @property
    def embedded_data_dir(self) -> Path:
        """Return the embedded server's data directory."""
        return self.data_dir / "postgres"
