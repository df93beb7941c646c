"""``bmvbot auth hash-password``: the hash of the password on stdin is the last line printed."""

from __future__ import annotations

import io

import pytest
from argon2 import PasswordHasher

from bmvbot.cli.main import main


def test_cli_auth_hash_password_from_stdin_prints_argon2id_hash_last(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret pass phrase\n"))

    code = main(["auth", "hash-password"])

    out = capsys.readouterr()
    last = out.out.strip().splitlines()[-1]
    assert code == 0
    assert last.startswith("$argon2id$")
    assert PasswordHasher().verify(last, "s3cret pass phrase")
    assert "s3cret" not in out.out + out.err


@pytest.mark.parametrize("text", ["\n", "", "x" * 1025 + "\n"])
def test_cli_auth_hash_password_empty_or_too_long_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))

    code = main(["auth", "hash-password"])

    assert code == 2
    assert "$argon2id$" not in capsys.readouterr().out


def test_cli_auth_hash_password_prompt_mismatch_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["first password", "second password"])
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    code = main(["auth", "hash-password"])

    assert code == 2
    assert "differ" in capsys.readouterr().err
