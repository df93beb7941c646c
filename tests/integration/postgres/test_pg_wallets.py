"""Sealed wallet keys in PostgreSQL: round trip, tampering, wrong master, swapped rows, CLI."""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr
from solders.keypair import Keypair
from sqlalchemy import text

from bmvbot.adapters.crypto.settings import MasterSecretSettings
from bmvbot.adapters.crypto.vault import WalletVault
from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.bootstrap import wallet_vault
from bmvbot.cli.main import EXIT_CONFIG, EXIT_OK, main
from bmvbot.core.errors import ConfigError, InvariantError
from bmvbot.core.types import WalletId

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(1, 33))).decode()
PASSPHRASE = "correct horse battery staple"  # noqa: S105 - a test passphrase


class StepClock:
    """A clock that advances one second per reading."""

    def __init__(self) -> None:
        self.ts_ns = 1_767_225_600_000_000_000

    def now_ns(self) -> int:
        self.ts_ns += 1_000_000_000
        return self.ts_ns


def vault_with(
    database: PostgresDatabase,
    *,
    master_key: str | None = None,
    master_passphrase: str | None = None,
) -> WalletVault:
    settings = MasterSecretSettings(
        master_key=None if master_key is None else SecretStr(master_key),
        master_passphrase=None if master_passphrase is None else SecretStr(master_passphrase),
        scrypt_log2_n=14,
    )
    return wallet_vault(database.stores, StepClock(), settings)


async def execute(database: PostgresDatabase, sql: str, **params: object) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(text(sql), params)


@pytest.mark.asyncio
async def test_vault_created_wallets_open_to_their_own_keypairs(
    pg_database: PostgresDatabase,
) -> None:
    created = await vault_with(pg_database, master_key=KEY_A).create(3)

    reopened = vault_with(pg_database, master_key=KEY_A)
    keypairs = [await reopened.keypair(address.pubkey) for address in created]

    assert [str(k.pubkey()) for k in keypairs] == [a.pubkey for a in created]
    assert [a.label for a in created] == ["swarm-0000", "swarm-0001", "swarm-0002"]
    assert await reopened.verify() == 3


@pytest.mark.asyncio
async def test_vault_passphrase_stores_scrypt_params_and_fresh_nonces(
    pg_database: PostgresDatabase,
) -> None:
    created = await vault_with(pg_database, master_passphrase=PASSPHRASE).create(2)

    stored = await pg_database.stores.wallets.wallets()
    reopened = vault_with(pg_database, master_passphrase=PASSPHRASE)

    kdfs = {w.secret.kdf for w in stored}
    assert len(kdfs) == 1
    (kdf,) = kdfs
    assert (kdf.name, kdf.log2_n, kdf.r, kdf.p, len(kdf.salt)) == ("scrypt", 14, 8, 1, 16)
    assert stored[0].secret.nonce != stored[1].secret.nonce
    assert str((await reopened.keypair(created[1].pubkey)).pubkey()) == created[1].pubkey


@pytest.mark.asyncio
async def test_vault_tampered_ciphertext_fails_authentication(
    pg_database: PostgresDatabase,
) -> None:
    (address,) = await vault_with(pg_database, master_key=KEY_A).create(1)
    await execute(
        pg_database,
        "UPDATE wallets SET secret_ciphertext = set_byte(secret_ciphertext, 5, "
        "get_byte(secret_ciphertext, 5) # 1) WHERE pubkey = :pubkey",
        pubkey=address.pubkey,
    )

    with pytest.raises(InvariantError, match="fails authentication"):
        await vault_with(pg_database, master_key=KEY_A).keypair(address.pubkey)


@pytest.mark.asyncio
async def test_vault_swapped_rows_fail_authentication(pg_database: PostgresDatabase) -> None:
    first, second = await vault_with(pg_database, master_key=KEY_A).create(2)
    await execute(
        pg_database,
        "UPDATE wallets AS w SET secret_ciphertext = o.secret_ciphertext, "
        "secret_nonce = o.secret_nonce FROM wallets AS o "
        "WHERE w.pubkey IN (:a, :b) AND o.pubkey IN (:a, :b) AND o.pubkey <> w.pubkey",
        a=first.pubkey,
        b=second.pubkey,
    )
    vault = vault_with(pg_database, master_key=KEY_A)

    with pytest.raises(InvariantError, match=f"wallet {first.pubkey}.*another wallet"):
        await vault.keypair(first.pubkey)
    with pytest.raises(InvariantError, match=f"wallet {second.pubkey}"):
        await vault.keypair(second.pubkey)


@pytest.mark.asyncio
async def test_vault_wrong_master_key_config_error(pg_database: PostgresDatabase) -> None:
    (address,) = await vault_with(pg_database, master_key=KEY_A).create(1)
    wrong = vault_with(pg_database, master_key=KEY_B)

    with pytest.raises(ConfigError, match="wrong master secret") as caught:
        await wrong.keypair(address.pubkey)
    with pytest.raises(ConfigError, match="wrong master secret"):
        await wrong.create(1)

    assert caught.value.key == "BMVBOT_MASTER_KEY"
    assert len(await pg_database.stores.wallets.wallets()) == 1


@pytest.mark.asyncio
async def test_vault_key_sealed_wallet_with_passphrase_config_error(
    pg_database: PostgresDatabase,
) -> None:
    (address,) = await vault_with(pg_database, master_key=KEY_A).create(1)

    with pytest.raises(ConfigError, match="sealed with BMVBOT_MASTER_KEY"):
        await vault_with(pg_database, master_passphrase=PASSPHRASE).keypair(address.pubkey)


@pytest.mark.asyncio
async def test_vault_imported_keypairs_kept_and_secrets_never_logged(
    pg_database: PostgresDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    keypairs = [Keypair() for _ in range(2)]
    caplog.set_level(logging.DEBUG)

    imported = await vault_with(pg_database, master_key=KEY_A).import_keypairs(
        keypairs, label_prefix="imported"
    )
    opened = await vault_with(pg_database, master_key=KEY_A).keypair(WalletId(imported[0].pubkey))

    assert [a.label for a in imported] == ["imported-0000", "imported-0001"]
    assert bytes(opened) == bytes(keypairs[0])
    for keypair in keypairs:
        secret = bytes(keypair)
        for rendering in (
            secret.hex(),
            str(list(secret)),
            str(keypair),
            base64.b64encode(secret).decode(),
        ):
            assert rendering not in caplog.text


def _cli_env(monkeypatch: pytest.MonkeyPatch, settings: StoreSettings) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("DATABASE_URL", settings.database_url.get_secret_value())
    monkeypatch.setenv("BMVBOT_DB_SCHEMA", settings.db_schema)
    monkeypatch.setenv("BMVBOT_MASTER_KEY", KEY_A)
    monkeypatch.delenv("BMVBOT_MASTER_PASSPHRASE", raising=False)


def test_cli_wallets_create_list_export_full_swarm_without_secrets(
    pg_settings: StoreSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _cli_env(monkeypatch, pg_settings)
    keyfile = tmp_path / "id.json"
    external = Keypair()
    keyfile.write_text(json.dumps(list(bytes(external))))

    codes = [
        main(["db", "upgrade"]),
        main(["wallets", "create", "3"]),
        main(["wallets", "import", str(keyfile), "--role", "treasury"]),
        main(["wallets", "list"]),
        main(["wallets", "export-addresses", "--format", "json"]),
    ]
    output = capsys.readouterr().out
    exported = json.loads(output[output.index("[\n") :])
    main(["wallets", "export-addresses", "--format", "csv", "--output", str(tmp_path / "a.csv")])
    rows = list(csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text())))

    assert codes == [EXIT_OK] * 5
    assert len(exported) == 4
    assert [r["pubkey"] for r in rows] == [e["pubkey"] for e in exported]
    assert {e["role"] for e in exported} == {"swarm", "treasury"}
    assert str(external.pubkey()) in [e["pubkey"] for e in exported]
    assert bytes(external).hex() not in output
    assert str(list(bytes(external))) not in output


def test_cli_wallets_create_without_master_secret_exit_config(
    pg_settings: StoreSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_env(monkeypatch, pg_settings)
    monkeypatch.delenv("BMVBOT_MASTER_KEY")

    code = main(["wallets", "create", "1"])

    assert code == EXIT_CONFIG
    assert "BMVBOT_MASTER_KEY" in capsys.readouterr().err


def test_cli_bad_database_url_names_the_variable_not_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://admin:hunter2secret@db/x")

    code = main(["db", "upgrade"])

    error = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert "DATABASE_URL" in error
    assert "hunter2secret" not in error
