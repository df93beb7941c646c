import base64
import json
from typing import Any

import pytest
from solders.transaction import VersionedTransaction

from bmvbot.cli.main import main


def test_plan_json_lists_signed_transactions_per_bundle(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--wallets", "16", "--json"]) == 0

    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert data["is_atomic"] is True
    assert data["transaction_count"] == 3
    (bundle,) = data["bundles"]
    assert bundle["tip_lamports"] == 10_000
    for tx in bundle["transactions"]:
        raw = base64.b64decode(tx["base64"])
        assert len(raw) == tx["size_bytes"] <= 1_232
        assert all(VersionedTransaction.from_bytes(raw).verify_with_results())
        assert tx["account_locks"] <= 64
    assert bundle["transactions"][-1]["instructions"][-1]["lamports"] == 10_000


def test_plan_text_names_every_transaction_and_the_delegate_mode(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--wallets", "16", "--delegate", "--compute-budget", "always"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("2 transaction(s) in 1 bundle(s), atomic (one bundle)")
    assert "delegate mode" in out
    assert out.count("  transaction ") == 2
    assert out.count("base64: ") == 2


def test_plan_table_prints_the_packing_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--table"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| wallets |")
    assert lines[-1].startswith("| 20 | 32 | 4 | 1 |")


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--wallets", "0"],
        ["plan", "--wallets", "65"],
        ["plan", "--tip-lamports", "10"],
        ["plan", "--orders", "-1"],
    ],
)
def test_plan_bad_input_exits_with_config_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2

    assert capsys.readouterr().err.strip()
