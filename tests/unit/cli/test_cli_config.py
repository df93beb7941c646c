import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bmvbot.cli.main import main
from bmvbot.settings import load_settings
from bmvbot.settings.render import render_json_data, render_toml

DATA = Path(__file__).resolve().parents[2] / "data"
ROOT = Path(__file__).resolve().parents[3]
SECRET = "tok-77c1e0-secret"  # noqa: S105 -- a canary, not a credential


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BMVBOT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def test_config_check_valid_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["config", "check", str(DATA / "config_full.toml")])

    out = capsys.readouterr().out
    assert code == 0
    assert "is valid" in out
    assert "mode=live" in out


def test_config_check_bad_file_exits_2_listing_every_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["config", "check", str(DATA / "config_bad.toml")])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "7 configuration errors" in captured.err
    for key in ("pivot.lookback_days", "treasury.min_balanse_sol", "guards.proximity_pct"):
        assert key in captured.err


def test_config_check_missing_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["config", "check", str(tmp_path / "absent.toml")])

    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_config_check_applies_env_unless_ignored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BMVBOT_SWARM__WALLET_COUNT", "100")
    path = str(DATA / "config_full.toml")

    assert main(["config", "check", path]) == 2
    assert "swarm.wallet_count" in capsys.readouterr().err
    assert main(["config", "check", "--ignore-env", path]) == 0


def test_config_show_equals_the_shipped_default_config(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["config", "show"])

    shown = tomllib.loads(capsys.readouterr().out)
    shipped = tomllib.loads((ROOT / "src" / "bmvbot" / "bmvbot.default.toml").read_text())
    assert code == 0
    for secret in ("rpc_url", "ws_url"):
        assert shown["venue"].pop(secret) == "**********"
        shipped["venue"].pop(secret)
    assert shown == shipped


def test_config_show_json_is_the_effective_config(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["config", "show", "--json", "--config", str(DATA / "config_full.toml")])

    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    assert shown == json.loads(
        json.dumps(render_json_data(load_settings(DATA / "config_full.toml", env={})))
    )


def test_config_show_reads_bmvbot_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BMVBOT_CONFIG", str(DATA / "config_full.toml"))

    code = main(["config", "show"])

    out = capsys.readouterr().out
    assert code == 0
    assert f"# effective configuration: {DATA / 'config_full.toml'}" in out
    assert tomllib.loads(out)["market"]["name"] == "BMV/USDC"


def test_config_show_describe_documents_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["config", "show", "--describe"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.split("\n", 1)[1] == render_toml(load_settings(None, env={}), describe=True)
    assert "Unit: days. Default:" in out


def test_config_show_never_prints_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BMVBOT_VENUE__RPC_URL", f"https://rpc.example/{SECRET}")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:{SECRET}@db/bmvbot")

    for argv in (
        ["config", "show"],
        ["config", "show", "--json"],
        ["config", "show", "--describe"],
    ):
        assert main(argv) == 0
        assert SECRET not in capsys.readouterr().out


def test_config_without_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["config"])

    assert caught.value.code == 2
    assert "ACTION" in capsys.readouterr().err


def test_installed_console_script_exits_2_naming_the_key() -> None:
    script = Path(sys.executable).with_name("bmvbot")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BMVBOT_")}

    result = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [str(script), "config", "check", str(DATA / "config_bad.toml")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )

    assert result.returncode == 2
    assert "venue.mode" in result.stderr
    assert "api.port must be an integer 1..65535, was 70000" in result.stderr
