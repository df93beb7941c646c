"""Jito tip and submission encodings: tip transfer, tip accounts, base58/base64, bundle id."""

from __future__ import annotations

import base64
import hashlib
import random

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import decode_transfer
from tests.unit.adapters.openbook.planner_cases import planned, transactions

from bmvbot.adapters.openbook import jito
from bmvbot.adapters.openbook.execution_plan import base58_encode, encode_transaction
from bmvbot.core.errors import ConfigError


def test_planner_jito_tip_instruction_transfers_to_tip_account() -> None:
    payer = Keypair().pubkey()

    instruction = jito.tip_instruction(payer, jito.MAINNET_TIP_ACCOUNTS[3], 1_000)

    params = decode_transfer(instruction)
    assert params["from_pubkey"] == payer
    assert params["to_pubkey"] == jito.MAINNET_TIP_ACCOUNTS[3]
    assert params["lamports"] == 1_000


@pytest.mark.parametrize("tip", [999, 0, -5, True])
def test_planner_jito_tip_below_minimum_raises(tip: int) -> None:
    with pytest.raises(ConfigError, match=r"jito\.tip_lamports"):
        jito.tip_instruction(Keypair().pubkey(), jito.MAINNET_TIP_ACCOUNTS[0], tip)


def test_planner_jito_pick_tip_account_is_seeded_and_from_the_list() -> None:
    picks = [jito.pick_tip_account(jito.MAINNET_TIP_ACCOUNTS, random.Random(7)) for _ in range(3)]

    assert len(set(picks)) == 1
    assert picks[0] in jito.MAINNET_TIP_ACCOUNTS
    assert len(set(jito.MAINNET_TIP_ACCOUNTS)) == 8
    with pytest.raises(ConfigError, match="at least one"):
        jito.pick_tip_account((), random.Random(0))


def test_planner_base58_matches_solders_for_keys_and_signatures() -> None:
    key = Keypair.from_seed(bytes(32)).pubkey()
    signature = Keypair().sign_message(b"bmvbot")

    assert base58_encode(bytes(key)) == str(key)
    assert base58_encode(bytes(Pubkey.default())) == str(Pubkey.default())
    assert base58_encode(bytes(signature)) == str(signature)
    assert base58_encode(bytes(Signature.default())) == str(Signature.default())


def test_planner_bundle_encodings_and_id() -> None:
    bundle = planned(16).execution.bundles[0]

    encoded = bundle.encoded("base64")

    assert [base64.b64decode(e) for e in encoded] == [tx.transaction for tx in bundle.transactions]
    assert bundle.encoded("base58")[0] == base58_encode(bundle.transactions[0].transaction)
    joined = ",".join(tx.signature for tx in bundle.transactions)
    assert bundle.bundle_id == hashlib.sha256(joined.encode()).hexdigest()
    with pytest.raises(ConfigError, match="base64 or base58"):
        encode_transaction(b"", "hex")  # type: ignore[arg-type]  # the bad value under test


def test_planner_json_lists_every_transaction() -> None:
    execution = planned(20).execution

    data = execution.to_json_data()

    bundles = data["bundles"]
    assert isinstance(bundles, list)
    listed = [tx["base64"] for bundle in bundles for tx in bundle["transactions"]]
    assert listed == [tx.encoded() for tx in transactions(execution)]
    assert data["is_atomic"] is True
