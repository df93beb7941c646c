"""Byte-exactness against the official TypeScript client, without Node.

``tests/vectors/openbook_ts_vectors.json`` was produced by ``generate_openbook_vectors.mjs`` with
``@openbook-dex/openbook-v2@0.2.10``; each vector names the Python encoder call that must
reproduce the instruction data and account metas exactly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from bmvbot.core.types import Side
from bmvbot.openbook import instructions as ix
from bmvbot.openbook import pda
from bmvbot.openbook.bookside import BOOKSIDE_SIZE
from bmvbot.openbook.event_heap import EVENT_HEAP_SIZE
from bmvbot.openbook.jsonio import args_from_json

VECTORS_FILE = Path(__file__).resolve().parents[2] / "vectors" / "openbook_ts_vectors.json"
DOCUMENT: dict[str, Any] = json.loads(VECTORS_FILE.read_text())
VECTORS: dict[str, dict[str, Any]] = {v["name"]: v for v in DOCUMENT["vectors"]}
CHECKS_ONLY = frozenset({"account_num", "create_account_spaces"})


def _key(value: str | None) -> Pubkey | None:
    return None if value is None else Pubkey.from_string(value)


def _scalar(name: str, value: Any) -> Any:
    if name == "side_option":
        return None if value is None else Side(value)
    if name == "slots":
        return [int(v) for v in value]
    if name == "name":
        return value
    return int(value)


def build(call: dict[str, Any]) -> Instruction:
    """Call the Python encoder the vector names, with the vector's inputs."""
    kwargs: dict[str, Any] = {}
    for name, value in call["accounts"].items():
        kwargs[name] = [_key(v) for v in value] if isinstance(value, list) else _key(value)
    for name, value in call["scalars"].items():
        if name not in CHECKS_ONLY:
            kwargs[name] = _scalar(name, value)
    if call["args"] is not None:
        kwargs["args"] = args_from_json(call["fn"], call["args"])
    encoder = getattr(ix, call["fn"])
    if call["market_keys"] is None:
        built: Instruction = encoder(**kwargs)
    else:
        fields: dict[str, Any] = {k: _key(v) for k, v in call["market_keys"].items()}
        keys = ix.MarketKeys(**fields)
        built = encoder(keys, **kwargs)
    return built


def test_ts_vectors_generated_by_pinned_client_version() -> None:
    assert DOCUMENT["packages"]["@openbook-dex/openbook-v2"] == "0.2.10"
    assert DOCUMENT["packages"]["@coral-xyz/anchor"] == "0.29.0"
    names = {v["call"]["fn"] for v in DOCUMENT["vectors"]}
    assert names >= {
        "create_market",
        "create_open_orders_indexer",
        "create_open_orders_account",
        "deposit",
        "refill",
        "place_order",
        "place_orders",
        "cancel_all_and_place_orders",
        "place_take_order",
        "edit_order",
        "cancel_order",
        "cancel_order_by_client_order_id",
        "cancel_all_orders",
        "consume_events",
        "consume_given_events",
        "settle_funds",
        "close_open_orders_account",
        "close_open_orders_indexer",
        "set_delegate",
        "sweep_fees",
        "prune_orders",
        "close_market",
        "set_market_expired",
        "settle_funds_expired",
    }


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_ts_vector_python_encoder_reproduces_data_and_metas(name: str) -> None:
    vector = VECTORS[name]
    built = build(vector["call"])
    expected = vector["expected"]
    assert str(built.program_id) == expected["program_id"]
    assert bytes(built.data).hex() == expected["data_hex"]
    metas = [
        {"pubkey": str(m.pubkey), "is_signer": m.is_signer, "is_writable": m.is_writable}
        for m in built.accounts
    ]
    assert metas == expected["accounts"]


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_ts_vector_data_decodes_to_the_vector_inputs(name: str) -> None:
    vector = VECTORS[name]
    decoded = ix.decode_instruction(bytes.fromhex(vector["expected"]["data_hex"]))
    assert decoded.name == vector["call"]["fn"]
    if vector["call"]["args"] is not None:
        assert decoded.args == args_from_json(decoded.name, vector["call"]["args"])


def test_ts_vectors_open_orders_pdas_match_the_client() -> None:
    for name in ("create_open_orders_account_first", "create_open_orders_account_third_delegate"):
        call = VECTORS[name]["call"]
        owner = Pubkey.from_string(call["accounts"]["owner"])
        expected = Pubkey.from_string(call["accounts"]["open_orders_account"])
        assert pda.open_orders_account(owner, call["scalars"]["account_num"]) == expected
        metas = VECTORS[name]["expected"]["accounts"]
        assert metas[3]["pubkey"] == str(pda.open_orders_indexer(owner))


def test_ts_vectors_market_pdas_and_account_sizes_match_the_client() -> None:
    for name in ("create_market_default", "create_market_admins_oracles_fees"):
        call = VECTORS[name]["call"]
        market = Pubkey.from_string(call["market_keys"]["market"])
        keys = call["market_keys"]
        assert str(pda.market_authority(market)) == keys["market_authority"]
        base_mint = Pubkey.from_string(call["accounts"]["base_mint"])
        quote_mint = Pubkey.from_string(call["accounts"]["quote_mint"])
        assert str(pda.market_vault(market, base_mint)) == keys["base_vault"]
        assert str(pda.market_vault(market, quote_mint)) == keys["quote_vault"]
        spaces = call["scalars"]["create_account_spaces"]
        assert spaces == [BOOKSIDE_SIZE, BOOKSIDE_SIZE, EVENT_HEAP_SIZE]
        assert VECTORS[name]["expected"]["accounts"][19]["pubkey"] == str(pda.event_authority())


VECTORS_DIR = VECTORS_FILE.parent
NODE = shutil.which("node")


@pytest.mark.node
@pytest.mark.skipif(
    NODE is None or not (VECTORS_DIR / "node_modules" / "@openbook-dex").is_dir(),
    reason="needs node and `npm ci` in tests/vectors",
)
def test_ts_vectors_regenerate_identically_with_the_client(tmp_path: Path) -> None:
    assert NODE is not None
    target = tmp_path / "vectors.json"
    subprocess.run(  # noqa: S603 - fixed script, no user input
        [NODE, "generate_openbook_vectors.mjs", str(target)],
        cwd=VECTORS_DIR,
        check=True,
        capture_output=True,
        timeout=120,
    )
    regenerated = json.loads(target.read_text())
    regenerated.pop("node")
    committed = dict(DOCUMENT)
    committed.pop("node")
    assert regenerated == committed
