"""Store settings and URL handling: clear errors naming the variable, never the secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bmvbot.adapters.postgres.engine import asyncpg_url
from bmvbot.adapters.postgres.settings import StoreSettings, default_data_dir
from bmvbot.bootstrap import store_settings
from bmvbot.core.errors import ConfigError


def test_store_settings_defaults_embedded_under_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("BMVBOT_DATA_DIR", str(tmp_path))

    settings = store_settings()

    assert settings.database_url is None
    assert settings.embedded_data_dir == tmp_path / "postgres"
    assert settings.db_schema == "public"


def test_store_settings_empty_database_url_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "")

    assert store_settings().database_url is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://root:topsecretpw@db/x", "must start with postgresql://"),
        ("BMVBOT_DB_SCHEMA", "Robert'); DROP", "lowercase identifier"),
        ("BMVBOT_DB_POOL_SIZE", "0", "greater than or equal to 1"),
    ],
)
def test_store_settings_bad_variable_config_error_names_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError, match=message) as caught:
        store_settings()

    assert variable in str(caught.value)
    assert "topsecretpw" not in str(caught.value)


def test_asyncpg_url_sets_driver_and_keeps_unix_socket_host() -> None:
    url = asyncpg_url("postgresql://postgres:@/postgres?host=/var/run/bmvbot-pg")

    assert url.startswith("postgresql+asyncpg://postgres")
    assert make_url(url).query["host"] == "/var/run/bmvbot-pg"


def test_asyncpg_url_garbage_config_error_without_the_url() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL is not a valid URL") as caught:
        asyncpg_url("::not a url with password hunter2::")

    assert "hunter2" not in str(caught.value)


def test_store_settings_secret_url_hidden_in_repr() -> None:
    settings = StoreSettings(database_url="postgresql://u:hunter2@h/db")

    assert "hunter2" not in repr(settings)


def test_default_data_dir_outside_root_home_when_root() -> None:
    expected_root = os.geteuid() == 0

    directory = default_data_dir()

    assert (directory == Path("/var/lib/bmvbot")) is expected_root
