"""The deployment sections of ``bmvbot.toml``: venue, api, database.

Endpoints that may carry an access token (RPC, WebSocket, Jito, database URLs) are
``SecretStr``: they print as ``**********`` and never appear in errors or logs. Set them from
the environment (``BMVBOT_VENUE__RPC_URL``, ``DATABASE_URL``) rather than in a file kept in git.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import parse_qs, urlsplit

import platformdirs
from pydantic import SecretStr, field_validator

from bmvbot.settings.fields import Section, setting


def _check_url(
    value: SecretStr | None, schemes: tuple[str, ...], *, is_socket_ok: bool = False
) -> SecretStr | None:
    # the message must not contain the URL: it may carry a token
    if value is None:
        return None
    try:
        parts = urlsplit(value.get_secret_value())
        # libpq names a Unix socket directory in the query: postgresql://user@/db?host=/run/pg
        has_socket = is_socket_ok and "host" in parse_qs(parts.query)
        is_ok = parts.scheme in schemes and (bool(parts.hostname) or has_socket)
    except ValueError:  # a malformed IPv6 host
        is_ok = False
    if not is_ok:
        starts = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f"must be a URL starting with {starts} and naming a host")
    return value


class VenueSettings(Section):
    """``[venue]``: the trading mode, the Solana endpoints and Jito bundle parameters."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"rpc_url", "ws_url", "jito_url"})

    mode: Literal["sim", "paper", "live"] = setting(
        "paper",
        "sim: scenario-driven Simulation Lab; paper: the simulated market in real time; "
        "live: OpenBook V2 through Jito bundles.",
        unit="mode",
    )
    rpc_url: SecretStr = setting(
        SecretStr("http://127.0.0.1:8899"),
        "Solana JSON-RPC endpoint (secret: may carry a token).",
        unit="http(s) URL",
        allowed="an http:// or https:// URL",
        shown='"http://127.0.0.1:8899" (the localnet)',
    )
    ws_url: SecretStr = setting(
        SecretStr("ws://127.0.0.1:8900"),
        "Solana WebSocket endpoint (secret: may carry a token).",
        unit="ws(s) URL",
        allowed="a ws:// or wss:// URL",
        shown='"ws://127.0.0.1:8900" (the localnet)',
    )
    jito_url: SecretStr | None = setting(
        None,
        "Jito block engine base URL, e.g. https://mainnet.block-engine.jito.wtf; "
        "required in live mode (secret: may carry a token).",
        unit="http(s) URL",
        allowed="an http:// or https:// URL",
    )
    commitment: Literal["processed", "confirmed", "finalized"] = setting(
        "confirmed", "Commitment of reads and confirmations.", unit="commitment level"
    )
    tip_lamports: int = setting(
        10_000,
        "Jito tip paid per bundle (Jito's minimum is 1000).",
        unit="lamports",
        ge=1000,
        le=1_000_000_000,
    )
    bundle_max_transactions: int = setting(
        5, "Transactions per bundle (Jito allows 5).", unit="transactions", ge=1, le=5
    )
    bundle_landing_timeout_s: float = setting(
        60.0,
        "Give up waiting for a bundle to land after this (a blockhash lives ~60 s).",
        unit="seconds",
        gt=0,
        le=600,
    )
    bundle_status_poll_s: float = setting(
        2.0,
        "Interval between bundle status polls (Jito allows 1 request per second).",
        unit="seconds",
        ge=1,
        le=60,
    )

    @field_validator("rpc_url", "jito_url")
    @classmethod
    def _check_http_url(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_url(value, ("http", "https"))

    @field_validator("ws_url")
    @classmethod
    def _check_ws_url(cls, value: SecretStr) -> SecretStr | None:
        return _check_url(value, ("ws", "wss"))


class ApiSettings(Section):
    """``[api]``: where the HTTP API and dashboard listen, and which browser origins may call."""

    host: str = setting(
        "127.0.0.1",
        "Interface to listen on; 0.0.0.0 exposes the API to the network.",
        unit="IP address or host name",
        min_length=1,
    )
    port: int = setting(8000, "TCP port to listen on.", unit="port", ge=1, le=65535)
    cors_origins: list[str] = setting(
        [],
        "Browser origins allowed to call the API, e.g. https://ops.example.com; empty "
        "allows none. From the environment: a comma-separated list.",
        unit="origins",
        allowed="a list of origins like https://host[:port] (no '*')",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in "/":
                raise ValueError("must list origins like https://host[:port] ('*' is not allowed)")
        return value


class DatabaseSettings(Section):
    """``[database]``: PostgreSQL; without a URL an embedded server runs under ``data_dir``."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"url"})

    url: SecretStr | None = setting(
        None,
        "PostgreSQL URL, e.g. postgresql://user:pass@host:5432/db; unset runs the "
        "embedded server. The DATABASE_URL environment variable overrides it (secret).",
        unit="postgresql URL",
        allowed="a postgresql:// URL",
    )
    data_dir: Path | None = setting(
        None,
        "Where the embedded server and other local state live; unset uses the platform's "
        "user data directory. BMVBOT_DATA_DIR overrides it.",
        unit="directory",
        strict=False,
    )

    @field_validator("url")
    @classmethod
    def _check_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_url(
            value, ("postgres", "postgresql", "postgresql+asyncpg"), is_socket_ok=True
        )

    def resolved_data_dir(self) -> Path:
        """Return ``data_dir``, or the platform's user data directory for bmvbot."""
        return self.data_dir if self.data_dir is not None else platformdirs.user_data_path("bmvbot")
