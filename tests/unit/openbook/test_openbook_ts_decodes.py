"""The Python account decoders agree with the official TypeScript client's, without Node.

``tests/vectors/openbook_ts_decodes.json.gz`` holds the TS client's decodings (Anchor coder,
``BookSide.items``/``getL2``, ``EventHeap.rawEvents``) of every distinct BookSide, EventHeap and
OpenOrders account state and of the final Markets and indexers of the golden traces
(``decode_golden_accounts.mjs``). Each is re-read here from the golden bytes with the codec.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from bmvbot.openbook.accounts import decode_account
from bmvbot.openbook.bookside import BookSide
from bmvbot.openbook.event_heap import EventHeap, FillEvent
from bmvbot.openbook.jsonio import to_json

VECTORS_DIR = Path(__file__).resolve().parents[2] / "vectors"
DECODES_FILE = VECTORS_DIR / "openbook_ts_decodes.json.gz"
GOLDEN_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "golden" / "openbook-v2"
ZERO_KEY = "11111111111111111111111111111111"

with gzip.open(DECODES_FILE) as _f:
    DOCUMENT: dict[str, Any] = json.load(_f)
ENTRIES: list[dict[str, Any]] = DOCUMENT["entries"]

pytestmark = pytest.mark.skipif(
    not GOLDEN_DIR.is_dir(), reason=f"golden traces not found in {GOLDEN_DIR} (clone ../shared)"
)


@functools.cache
def golden_bytes(trace_file: str) -> dict[str, bytes]:
    """sha256 -> raw account bytes of every snapshot in a trace."""
    with gzip.open(GOLDEN_DIR / trace_file) as f:
        trace = json.load(f)
    snapshots = list(trace["meta"]["initial_accounts"])
    for step in trace["steps"]:
        if step["kind"] == "transaction":
            snapshots.extend(step["accounts"])
    return {
        s["data_sha256"]: zlib.decompress(base64.b64decode(s["data_zlib_b64"]))
        for s in snapshots
        if s["exists"] and "data_zlib_b64" in s
    }


def ts_form(value: Any) -> Any:
    """Render like the TS normalizer: scalars as strings, absent keys as the zero key."""
    if value is None:
        return ZERO_KEY
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [ts_form(v) for v in value]
    if isinstance(value, dict):
        return {k: ts_form(v) for k, v in value.items()}
    return value


ORDER_FIELDS = (
    "order_id",
    "price_lots",
    "base_lots",
    "owner",
    "seq_num",
    "client_order_id",
    "timestamp",
    "time_in_force",
    "owner_slot",
    "peg_limit",
)


def bookside_form(book: BookSide) -> Any:
    orders = [to_json(o) for o in book.all_orders()]
    return ts_form(
        {
            "roots": to_json(list(book.roots)),
            "order_tree_type": int(book.side),
            "bump_index": book.bump_index,
            "free_list_len": book.free_list_len,
            "free_list_head": book.free_list_head,
            "orders": [{k: o[k] for k in ORDER_FIELDS} for o in orders if isinstance(o, dict)],
            "l2": [[lv.price_lots, lv.size_base_lots] for lv in book.levels(1000)],
        }
    )


def heap_form(heap: EventHeap) -> Any:
    events = []
    for _, event in heap.events():
        body = to_json(event)
        assert isinstance(body, dict)
        events.append({"event_type": 0 if isinstance(event, FillEvent) else 1, **body})
    header = {
        "free_head": heap.free_head,
        "used_head": heap.used_head,
        "count": heap.count,
        "padd": 0,
        "seq_num": heap.seq_num,
    }
    return ts_form({"header": header, "events": events})


def test_ts_decodes_cover_every_account_type_from_the_pinned_client() -> None:
    assert DOCUMENT["packages"]["@openbook-dex/openbook-v2"] == "0.2.10"
    kinds = {e["type"] for e in ENTRIES}
    assert kinds == {"Market", "OpenOrdersAccount", "OpenOrdersIndexer", "BookSide", "EventHeap"}
    assert any(e["type"] == "EventHeap" and e["ts"]["events"] for e in ENTRIES)
    assert any(e["type"] == "BookSide" and len(e["ts"]["orders"]) > 10 for e in ENTRIES)


@pytest.mark.parametrize("index", range(len(ENTRIES)), ids=lambda i: ENTRIES[i]["type"])
def test_python_decoder_agrees_with_ts_client(index: int) -> None:
    entry = ENTRIES[index]
    data = golden_bytes(entry["trace"])[entry["data_sha256"]]
    account = decode_account(data)
    assert type(account).__name__ == entry["type"]
    if isinstance(account, BookSide):
        got = bookside_form(account)
    elif isinstance(account, EventHeap):
        got = heap_form(account)
    else:
        got = ts_form(to_json(account))
    assert got == entry["ts"], f"{entry['trace']} {entry['pubkey']}"


@pytest.mark.node
@pytest.mark.skipif(
    shutil.which("node") is None or not (VECTORS_DIR / "node_modules" / "@openbook-dex").is_dir(),
    reason="needs node and `npm ci` in tests/vectors",
)
def test_ts_decodes_regenerate_identically(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None
    target = tmp_path / "decodes.json.gz"
    subprocess.run(  # noqa: S603 - fixed script, no user input
        [node, "decode_golden_accounts.mjs", str(GOLDEN_DIR), str(target)],
        cwd=VECTORS_DIR,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert target.read_bytes() == DECODES_FILE.read_bytes()
