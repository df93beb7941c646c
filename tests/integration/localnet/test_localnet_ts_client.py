"""The official TypeScript client decodes accounts the localnet emulator wrote.

A small session runs on the emulator (a seeded market, two wallets quoting, a crossing order
that leaves a fill on the event heap). Every OpenBook account it wrote is put into a file of the
golden-trace format and decoded by ``tests/vectors/decode_golden_accounts.mjs`` with
``@openbook-dex/openbook-v2``; the TS decodings must agree with the Python codec. Needs Node and
``tests/vectors/node_modules`` (``npm ci`` there); skipped without them.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bmvbot.core.types import PlaceOrderType, Side
from bmvbot.localnet.chain import LocalChain
from bmvbot.localnet.seed import SeededMarket, SeedParams, seed_market
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.accounts import account_summary, decode_account
from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrderArgs, PlaceOrdersArgs

VECTORS_DIR = Path(__file__).resolve().parents[2] / "vectors"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None or not (VECTORS_DIR / "node_modules" / "@openbook-dex").is_dir(),
    reason="needs node and tests/vectors/node_modules (npm ci in tests/vectors)",
)


def _session() -> tuple[LocalChain, SeededMarket]:
    chain = LocalChain()
    seeded = seed_market(chain, SeedParams(wallets=2))
    maker, taker = seeded.wallets
    keys = seeded.keys
    grid = PlaceOrdersArgs(
        PlaceOrderType.POST_ONLY,
        bids=(PlaceMultipleOrdersArgs(990, 990 * 3), PlaceMultipleOrdersArgs(980, 980 * 2)),
        asks=(PlaceMultipleOrdersArgs(1010, 1010 * 3),),
    )
    quote = ix.cancel_all_and_place_orders(
        keys, signer=maker.keypair.pubkey(), open_orders_account=maker.open_orders_account,
        user_base_account=maker.base_account, user_quote_account=maker.quote_account, args=grid,
    )  # fmt: skip
    take = ix.place_order(
        keys, signer=taker.keypair.pubkey(), open_orders_account=taker.open_orders_account,
        user_token_account=taker.base_account,
        args=PlaceOrderArgs(Side.ASK, 990, 1, 990, 7, PlaceOrderType.LIMIT),
    )  # fmt: skip
    for wallet, instruction in ((maker, quote), (taker, take)):
        message = MessageV0.try_compile(
            wallet.keypair.pubkey(), [instruction], [], chain.latest_blockhash()[0]
        )
        outcome = chain.execute(VersionedTransaction(message, [wallet.keypair]), commit=True)
        assert outcome.is_ok, outcome.err
        chain.advance(1, 1)
    return chain, seeded


def _snapshot(chain: LocalChain, address: Pubkey) -> dict[str, Any]:
    account = chain.get(address)
    assert account is not None
    data = bytes(account.data)
    return {
        "pubkey": str(address), "exists": True,
        "decoded": {"type": type(decode_account(data)).__name__},
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "data_zlib_b64": base64.b64encode(zlib.compress(data)).decode(),
    }  # fmt: skip


def _ts_decodes(tmp_path: Path, snapshots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    trace = {"meta": {"initial_accounts": []},
             "steps": [{"kind": "transaction", "accounts": snapshots}]}  # fmt: skip
    (tmp_path / "localnet.json.gz").write_bytes(gzip.compress(json.dumps(trace).encode()))
    output = tmp_path / "decodes.json.gz"
    subprocess.run(  # noqa: S603 (a fixed script under tests/ with temporary paths)
        [str(NODE), str(VECTORS_DIR / "decode_golden_accounts.mjs"), str(tmp_path), str(output)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    entries: list[dict[str, Any]] = json.loads(gzip.decompress(output.read_bytes()))["entries"]
    return entries


def test_localnet_ts_client_decodes_emulator_written_accounts(tmp_path: Path) -> None:
    chain, seeded = _session()
    keys = seeded.keys
    addresses = [keys.market, keys.bids, keys.asks, keys.event_heap] + [
        w.open_orders_account for w in seeded.wallets
    ]

    entries = _ts_decodes(tmp_path, [_snapshot(chain, a) for a in addresses])

    by_key = {e["pubkey"]: e["ts"] for e in entries}
    assert set(by_key) == {str(a) for a in addresses}
    python: dict[str, Any] = {}
    for address in addresses:
        account = chain.get(address)
        assert account is not None
        python[str(address)] = account_summary(decode_account(bytes(account.data)))
    bids = [(o["order_id"], o["price_lots"], o["base_lots"], o["owner"])
            for o in by_key[str(keys.bids)]["orders"]]  # fmt: skip
    assert bids == [(o["order_id"], str(o["price_lots"]), str(o["base_lots"]), o["owner"])
                    for o in python[str(keys.bids)]["fixed_orders"]]  # fmt: skip
    assert len(bids) == 2
    heap = by_key[str(keys.event_heap)]
    assert heap["header"]["count"] == "1"
    assert heap["events"][0]["event_type"] == "0"  # 0 = fill
    assert heap["events"][0]["maker"] == str(seeded.wallets[0].open_orders_account)
    market = by_key[str(keys.market)]
    assert market["seq_num"] == str(python[str(keys.market)]["seq_num"])
    maker = by_key[str(seeded.wallets[0].open_orders_account)]
    assert maker["position"]["bids_base_lots"] == str(
        python[str(seeded.wallets[0].open_orders_account)]["position"]["bids_base_lots"]
    )
