"""Golden traces recorded from the real OpenBook V2 program (v1.7) against the codec.

Every OpenBook instruction re-encodes from name + args + accounts to the recorded bytes and
metas and decodes back; every recorded account snapshot decodes to its recorded summary and,
where a writer exists, re-encodes to the same bytes; every event and return value decodes.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.openbook import instructions as ix
from bmvbot.openbook import pda
from bmvbot.openbook.accounts import account_summary, decode_account
from bmvbot.openbook.args import CreateMarketArgs, NameArgs
from bmvbot.openbook.bookside import (
    BOOKSIDE_DISCRIMINATOR,
    BookSide,
    LeafNode,
    decode_bookside,
    encode_bookside,
    read_levels,
)
from bmvbot.openbook.event_heap import (
    EVENT_HEAP_DISCRIMINATOR,
    EventHeap,
    EventHeapEditor,
    decode_event_heap,
    empty_event_heap,
    encode_event_heap,
)
from bmvbot.openbook.events import (
    decode_cpi_event,
    decode_event,
    decode_return_data,
    encode_cpi_event,
    encode_event,
)
from bmvbot.openbook.ids import EVENT_IX_TAG, OPENBOOK_PROGRAM_ID
from bmvbot.openbook.jsonio import args_from_json, to_json
from bmvbot.openbook.market import Market, decode_market, encode_market, new_market
from bmvbot.openbook.open_orders import (
    OpenOrdersAccount,
    OpenOrdersIndexer,
    decode_open_orders_indexer,
    encode_open_orders_account,
    encode_open_orders_indexer,
    new_open_orders_account,
)
from bmvbot.openbook.order_tree import BookSideEditor, empty_bookside
from bmvbot.openbook.spl import (
    Mint,
    TokenAccount,
    decode_mint,
    decode_token_account,
    encode_mint,
    encode_token_account,
)

GOLDEN_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "golden" / "openbook-v2"
TRACE_FILES = sorted(GOLDEN_DIR.glob("*.json.gz"))

pytestmark = pytest.mark.skipif(
    not TRACE_FILES, reason=f"golden traces not found in {GOLDEN_DIR} (clone ../shared)"
)

Trace = dict[str, Any]


@functools.cache
def load_trace(name: str) -> Trace:
    with gzip.open(GOLDEN_DIR / name) as f:
        trace: Trace = json.load(f)
    return trace


def trace_names() -> list[str]:
    return [p.name for p in TRACE_FILES]


def transactions(trace: Trace) -> Iterator[dict[str, Any]]:
    for step in trace["steps"]:
        if step["kind"] == "transaction":
            yield step


def openbook_instructions(trace: Trace) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for step in transactions(trace):
        for instruction in step["instructions"]:
            if instruction["program"] == "openbook_v2":
                yield step, instruction


def snapshots(trace: Trace) -> Iterator[dict[str, Any]]:
    yield from trace["meta"]["initial_accounts"]
    for step in transactions(trace):
        yield from step["accounts"]


def raw_data(snapshot: Mapping[str, Any]) -> bytes:
    return zlib.decompress(base64.b64decode(snapshot["data_zlib_b64"]))


# --- building the instruction through the public encoders -------------------------------------


def market_keys(named: Mapping[str, Pubkey | None], trace: Trace) -> ix.MarketKeys:
    """MarketKeys from the trace's market entry (by market pubkey) plus the accounts sent."""
    market = named.get("market")
    entry = next((m for m in trace["meta"]["markets"] if m["market"] == str(market)), None)

    def key(text: str | None) -> Pubkey | None:
        return None if text is None else Pubkey.from_string(text)

    def pick(*names: str) -> Pubkey | None:
        for name in names:
            if named.get(name) is not None:
                return named[name]
        return None

    if entry is None or "payer" in named:  # create_market: everything is in the account list
        entry = {"params": {}}
    params = entry["params"]
    default = Pubkey.default()
    return ix.MarketKeys(
        market=market or default,
        bids=pick("bids") or key(entry.get("bids")) or default,
        asks=pick("asks") or key(entry.get("asks")) or default,
        event_heap=pick("event_heap") or key(entry.get("event_heap")) or default,
        market_authority=pick("market_authority") or key(entry.get("market_authority")) or default,
        base_vault=pick("market_base_vault") or key(entry.get("base_vault")) or default,
        quote_vault=pick("market_quote_vault") or key(entry.get("quote_vault")) or default,
        oracle_a=named.get("oracle_a"),
        oracle_b=named.get("oracle_b"),
        open_orders_admin=pick("open_orders_admin") or key(params.get("open_orders_admin")),
        consume_events_admin=named.get("consume_events_admin"),
        close_market_admin=pick("close_market_admin") or key(params.get("close_market_admin")),
    )


def _req(named: Mapping[str, Pubkey | None], name: str) -> Pubkey:
    value = named[name]
    assert value is not None
    return value


Named = Mapping[str, Pubkey | None]
Remaining = tuple[Pubkey, ...]
Builder = Callable[[Named, ix.MarketKeys, Any, Remaining], Instruction]


def _keys_dict(k: ix.MarketKeys) -> dict[str, Any]:
    return {f: getattr(k, f) for f in k.__dataclass_fields__}


def _with_vault(n: Named, k: ix.MarketKeys) -> ix.MarketKeys:
    # keep the vault that was sent, also when it is the wrong one on purpose (error cases)
    vault = _req(n, "market_vault")
    return ix.MarketKeys(**{**_keys_dict(k), "quote_vault": vault, "base_vault": vault})


def _place_order(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.place_order(
        _with_vault(n, k),
        signer=_req(n, "signer"),
        open_orders_account=_req(n, "open_orders_account"),
        user_token_account=_req(n, "user_token_account"),
        args=a,
        remaining_accounts=rem,
    )


def _edit_order(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.edit_order(
        _with_vault(n, k),
        signer=_req(n, "signer"),
        open_orders_account=_req(n, "open_orders_account"),
        user_token_account=_req(n, "user_token_account"),
        args=a,
        remaining_accounts=rem,
    )


def _batch(fn: Callable[..., Instruction]) -> Builder:
    def build(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
        return fn(
            k,
            signer=_req(n, "signer"),
            open_orders_account=_req(n, "open_orders_account"),
            user_base_account=_req(n, "user_base_account"),
            user_quote_account=_req(n, "user_quote_account"),
            args=a,
        )

    return build


def _funding(fn: Callable[..., Instruction]) -> Builder:
    def build(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
        return fn(
            k,
            owner=_req(n, "owner"),
            open_orders_account=_req(n, "open_orders_account"),
            user_base_account=_req(n, "user_base_account"),
            user_quote_account=_req(n, "user_quote_account"),
            base_amount=a.base_amount,
            quote_amount=a.quote_amount,
        )

    return build


def _create_market(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.create_market(
        k,
        payer=_req(n, "payer"),
        base_mint=_req(n, "base_mint"),
        quote_mint=_req(n, "quote_mint"),
        collect_fee_admin=_req(n, "collect_fee_admin"),
        args=a,
        check_name=False,
    )


def _create_indexer(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.create_open_orders_indexer(
        payer=_req(n, "payer"),
        owner=_req(n, "owner"),
        open_orders_indexer=n["open_orders_indexer"],
    )


def _create_account(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.create_open_orders_account(
        payer=_req(n, "payer"),
        owner=_req(n, "owner"),
        market=_req(n, "market"),
        open_orders_account=_req(n, "open_orders_account"),
        name=a.name,
        delegate=n["delegate_account"],
        open_orders_indexer=n["open_orders_indexer"],
        check_name=False,
    )


def _close_account(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.close_open_orders_account(
        owner=_req(n, "owner"),
        open_orders_account=_req(n, "open_orders_account"),
        sol_destination=_req(n, "sol_destination"),
        open_orders_indexer=n["open_orders_indexer"],
    )


def _close_indexer(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.close_open_orders_indexer(
        owner=_req(n, "owner"),
        sol_destination=_req(n, "sol_destination"),
        open_orders_indexer=n["open_orders_indexer"],
    )


def _set_delegate(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.set_delegate(
        owner=_req(n, "owner"),
        open_orders_account=_req(n, "open_orders_account"),
        delegate=n["delegate_account"],
    )


def _place_take_order(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.place_take_order(
        k,
        signer=_req(n, "signer"),
        penalty_payer=_req(n, "penalty_payer"),
        user_base_account=_req(n, "user_base_account"),
        user_quote_account=_req(n, "user_quote_account"),
        args=a,
        remaining_accounts=rem,
    )


def _cancel_order(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.cancel_order(
        k,
        signer=_req(n, "signer"),
        open_orders_account=_req(n, "open_orders_account"),
        order_id=a.order_id,
    )


def _cancel_by_client_id(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.cancel_order_by_client_order_id(
        k,
        signer=_req(n, "signer"),
        open_orders_account=_req(n, "open_orders_account"),
        client_order_id=a.client_order_id,
    )


def _cancel_all(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.cancel_all_orders(
        k,
        signer=_req(n, "signer"),
        open_orders_account=_req(n, "open_orders_account"),
        side_option=a.side_option,
        limit=a.limit,
    )


def _consume(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.consume_events(k, limit=a.limit, open_orders_accounts=rem)


def _consume_given(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.consume_given_events(k, slots=a.slots, open_orders_accounts=rem)


def _settle(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.settle_funds(
        k,
        owner=_req(n, "owner"),
        penalty_payer=_req(n, "penalty_payer"),
        open_orders_account=_req(n, "open_orders_account"),
        user_base_account=_req(n, "user_base_account"),
        user_quote_account=_req(n, "user_quote_account"),
        referrer_account=n["referrer_account"],
    )


def _sweep(n: Named, k: ix.MarketKeys, a: Any, rem: Remaining) -> Instruction:
    return ix.sweep_fees(
        k,
        collect_fee_admin=_req(n, "collect_fee_admin"),
        token_receiver_account=_req(n, "token_receiver_account"),
    )


BUILDERS: dict[str, Builder] = {
    "create_market": _create_market,
    "create_open_orders_indexer": _create_indexer,
    "create_open_orders_account": _create_account,
    "close_open_orders_account": _close_account,
    "close_open_orders_indexer": _close_indexer,
    "set_delegate": _set_delegate,
    "deposit": _funding(ix.deposit),
    "refill": _funding(ix.refill),
    "place_order": _place_order,
    "edit_order": _edit_order,
    "place_orders": _batch(ix.place_orders),
    "cancel_all_and_place_orders": _batch(ix.cancel_all_and_place_orders),
    "place_take_order": _place_take_order,
    "cancel_order": _cancel_order,
    "cancel_order_by_client_order_id": _cancel_by_client_id,
    "cancel_all_orders": _cancel_all,
    "consume_events": _consume,
    "consume_given_events": _consume_given,
    "settle_funds": _settle,
    "sweep_fees": _sweep,
}


def metas_json(instruction: Instruction) -> list[tuple[str, bool, bool]]:
    return [(str(m.pubkey), m.is_signer, m.is_writable) for m in instruction.accounts]


def recorded_metas(instruction: Mapping[str, Any]) -> list[tuple[str, bool, bool]]:
    return [(a["pubkey"], a["is_signer"], a["is_writable"]) for a in instruction["accounts"]]


# --- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_instruction_data_decodes_to_recorded_args(trace_name: str) -> None:
    trace = load_trace(trace_name)
    checked = 0
    for step, instruction in openbook_instructions(trace):
        data = bytes.fromhex(instruction["data_hex"])
        if (
            step["outcome"].get("error", {}).get("code") == 102
            and step["outcome"]["instruction_index"] == instruction["index"]
        ):
            # InstructionDidNotDeserialize: the codec must refuse these bytes as well
            with pytest.raises(CodecError, match=r"orders?_type must be one of .*was 5"):
                ix.decode_instruction(data)
            continue
        decoded = ix.decode_instruction(data)
        assert decoded.name == instruction["name"], step["name"]
        expected = args_from_json(instruction["name"], instruction["args"])
        assert decoded.args == expected, f"{trace_name} step {step['index']} {instruction['name']}"
        assert to_json(decoded.args) == to_json(expected)
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_instructions_reencode_to_recorded_bytes_and_metas(trace_name: str) -> None:
    trace = load_trace(trace_name)
    checked = 0
    for step, instruction in openbook_instructions(trace):
        outcome = step["outcome"]
        if (
            outcome.get("error", {}).get("code") == 102
            and outcome["instruction_index"] == instruction["index"]
        ):
            continue  # not a valid encoding by design (order type 5)
        keys = [Pubkey.from_string(a["pubkey"]) for a in instruction["accounts"]]
        named, remaining = ix.named_accounts(instruction["name"], keys)
        args = args_from_json(instruction["name"], instruction["args"])
        built = BUILDERS[instruction["name"]](named, market_keys(named, trace), args, remaining)
        where = f"{trace_name} step {step['index']} {instruction['name']}"
        assert built.program_id == OPENBOOK_PROGRAM_ID
        assert bytes(built.data).hex() == instruction["data_hex"], where
        assert metas_json(built) == recorded_metas(instruction), where
        assert ix.account_flag_violations(instruction["name"], built.accounts) == [], where
        checked += 1
    assert checked > 0


WRITERS: dict[type, Callable[[Any], bytes]] = {
    Market: encode_market,
    OpenOrdersAccount: encode_open_orders_account,
    OpenOrdersIndexer: encode_open_orders_indexer,
    BookSide: encode_bookside,
    EventHeap: encode_event_heap,
    TokenAccount: encode_token_account,
    Mint: encode_mint,
}


def decode_snapshot(snapshot: Mapping[str, Any]) -> Any:
    data = raw_data(snapshot)
    kind = snapshot["decoded"]["type"]
    if kind == "TokenAccount":
        return decode_token_account(data)
    if kind == "Mint":
        return decode_mint(data)
    return decode_account(data)


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_accounts_decode_to_recorded_summary_and_reencode(trace_name: str) -> None:
    trace = load_trace(trace_name)
    seen: set[str] = set()
    kinds: set[str] = set()
    for snapshot in snapshots(trace):
        if not snapshot.get("exists") or "decoded" not in snapshot:
            continue
        if snapshot["data_sha256"] in seen:
            continue
        seen.add(snapshot["data_sha256"])
        account = decode_snapshot(snapshot)
        where = f"{trace_name} {snapshot['label']} {snapshot['data_sha256'][:12]}"
        assert account_summary(account) == snapshot["decoded"], where
        writer = WRITERS.get(type(account))
        if writer is not None:
            assert writer(account) == raw_data(snapshot), where
        kinds.add(snapshot["decoded"]["type"])
    assert kinds


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_events_decode_to_recorded_fields_and_reencode(trace_name: str) -> None:
    trace = load_trace(trace_name)
    for step in transactions(trace):
        for event in step["events"]:
            payload = bytes.fromhex(event["hex"])
            decoded = decode_event(payload)
            assert type(decoded).__name__ == event["name"]
            assert to_json(decoded) == event["decoded"], f"{trace_name} step {step['index']}"
            assert encode_event(decoded) == payload
        for inner in step["inner_instructions"]:
            data = bytes.fromhex(inner["data_hex"])
            if inner["program"] == "openbook_v2" and data[:8] == EVENT_IX_TAG:
                event = decode_cpi_event(data)
                assert type(event).__name__ == "MarketMetaDataLog"
                assert encode_cpi_event(event) == data


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_return_data_decodes_to_recorded_value(trace_name: str) -> None:
    trace = load_trace(trace_name)
    for step in transactions(trace):
        returned = step["return_data"]
        if returned is None or returned["program_id"] != str(OPENBOOK_PROGRAM_ID):
            continue
        name = [i for i in step["instructions"] if i["program"] == "openbook_v2"][-1]["name"]
        data = bytes.fromhex(returned["hex"])
        value = decode_return_data(name, data) if data else None
        field = "quantity" if name == "cancel_order_by_client_order_id" else "order_id"
        assert to_json(value, field) == returned["decoded"], f"{trace_name} {step['name']}"


# --- byte-faithful edits: replay every BookSide / EventHeap change of the traces -------------


def account_transitions(trace: Trace, kind: str) -> Iterator[tuple[str, bytes | None, bytes]]:
    """(where, bytes before, bytes after) for every change of an account of type ``kind``."""
    last = {s["pubkey"]: raw_data(s) for s in trace["meta"]["initial_accounts"] if s["exists"]}
    for step in transactions(trace):
        for snapshot in step["accounts"]:
            if not snapshot["exists"] or snapshot.get("decoded", {}).get("type") != kind:
                continue
            new = raw_data(snapshot)
            old = last.get(snapshot["pubkey"])
            last[snapshot["pubkey"]] = new
            if old != new:
                yield f"step {step['index']} {step['name']} {snapshot['label']}", old, new


def _book_leaves(book: BookSide) -> dict[tuple[int, int], tuple[int, LeafNode]]:
    """(tree, key) -> (seq_num, leaf) for every order, in priority order."""
    leaves = {n.key: n for n in book.nodes if isinstance(n, LeafNode)}
    return {
        (o.tree, o.order_id): (o.seq_num, leaves[o.order_id])
        for tree in (0, 1)
        for o in book.orders(tree)
    }


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_bookside_changes_replay_byte_exact_with_editor(trace_name: str) -> None:
    for where, old, new in account_transitions(load_trace(trace_name), "BookSide"):
        after = decode_bookside(new)
        if old is None or old[:8] != BOOKSIDE_DISCRIMINATOR:
            assert encode_bookside(empty_bookside(after.side)) == new, where
            continue
        before = decode_bookside(old)
        old_leaves, new_leaves = _book_leaves(before), _book_leaves(after)
        editor = BookSideEditor(before)
        # removals in priority order, then insertions in placement order (seq_num)
        for tree, key in [k for k in old_leaves if k not in new_leaves]:
            assert editor.remove_by_key(tree, key) == old_leaves[(tree, key)][1], where
        added = sorted((v[0], k) for k, v in new_leaves.items() if k not in old_leaves)
        for _, (tree, key) in added:
            editor.insert_leaf(tree, new_leaves[(tree, key)][1])
        for (tree, key), (_, leaf) in new_leaves.items():
            if (tree, key) in old_leaves and old_leaves[(tree, key)][1].quantity != leaf.quantity:
                editor.set_quantity(tree, key, leaf.quantity)
        assert encode_bookside(editor.freeze()) == new, where


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_event_heap_changes_replay_byte_exact_with_editor(trace_name: str) -> None:
    for where, old, new in account_transitions(load_trace(trace_name), "EventHeap"):
        if old is None or old[:8] != EVENT_HEAP_DISCRIMINATOR:
            assert encode_event_heap(empty_event_heap()) == new, where
            continue
        before, after = decode_event_heap(old), decode_event_heap(new)
        kept = {e.seq_num for _, e in after.events()}
        known = {e.seq_num for _, e in before.events()}
        editor = EventHeapEditor(before)
        for slot, event in before.events():
            if event.seq_num not in kept:
                assert editor.delete_slot(slot) == event, where
        for _, event in after.events():
            if event.seq_num not in known:
                editor.push_back(event)
        assert encode_event_heap(editor.freeze()) == new, where


def _expected_levels(orders: list[dict[str, Any]], now_ts: int) -> list[tuple[int, int]]:
    levels: list[tuple[int, int]] = []
    for order in orders:
        if order["expiry"] and now_ts >= order["expiry"]:
            continue
        if levels and levels[-1][0] == order["price_lots"]:
            levels[-1] = (order["price_lots"], levels[-1][1] + order["base_lots"])
        else:
            levels.append((order["price_lots"], order["base_lots"]))
    return levels


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_bookside_levels_match_recorded_orders_at_step_time(trace_name: str) -> None:
    for step in transactions(load_trace(trace_name)):
        now_ts = step["clock"]["unix_timestamp"]
        for snapshot in step["accounts"]:
            if snapshot.get("decoded", {}).get("type") != "BookSide":
                continue
            data = raw_data(snapshot)
            expected = _expected_levels(snapshot["decoded"]["fixed_orders"], now_ts)
            for depth in (1, 3, 1000):
                fast = read_levels(data, depth, now_ts)
                assert [(lv.price_lots, lv.size_base_lots) for lv in fast] == expected[:depth]
                assert decode_bookside(data).levels(depth, now_ts) == fast


def _post_state(step: dict[str, Any], pubkey: Pubkey) -> bytes:
    snapshot = next(s for s in step["accounts"] if s["pubkey"] == str(pubkey))
    return raw_data(snapshot)


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_created_accounts_match_new_account_constructors(trace_name: str) -> None:
    trace = load_trace(trace_name)
    decimals = {m["address"]: m["decimals"] for m in trace["meta"]["mints"].values()}
    for step, instruction in openbook_instructions(trace):
        if not step["outcome"]["ok"]:
            continue
        keys = [Pubkey.from_string(a["pubkey"]) for a in instruction["accounts"]]
        named, _ = ix.named_accounts(instruction["name"], keys)
        args = args_from_json(instruction["name"], instruction["args"])
        if instruction["name"] == "create_market":
            assert isinstance(args, CreateMarketArgs)
            market = new_market(
                market=_req(named, "market"),
                bids=_req(named, "bids"),
                asks=_req(named, "asks"),
                event_heap=_req(named, "event_heap"),
                base_mint=_req(named, "base_mint"),
                quote_mint=_req(named, "quote_mint"),
                base_decimals=decimals[str(named["base_mint"])],
                quote_decimals=decimals[str(named["quote_mint"])],
                base_vault=_req(named, "market_base_vault"),
                quote_vault=_req(named, "market_quote_vault"),
                collect_fee_admin=_req(named, "collect_fee_admin"),
                args=args,
                registration_time=step["clock"]["unix_timestamp"],
                oracle_a=named["oracle_a"],
                oracle_b=named["oracle_b"],
                open_orders_admin=named["open_orders_admin"],
                consume_events_admin=named["consume_events_admin"],
                close_market_admin=named["close_market_admin"],
            )
            where = f"{trace_name} {step['name']}"
            assert encode_market(market) == _post_state(step, _req(named, "market")), where
        elif instruction["name"] == "create_open_orders_account":
            assert isinstance(args, NameArgs)
            indexer = decode_open_orders_indexer(
                _post_state(step, _req(named, "open_orders_indexer"))
            )
            account = new_open_orders_account(
                owner=_req(named, "owner"),
                market=_req(named, "market"),
                name=args.name,
                account_num=indexer.created_counter,
                delegate=named["delegate_account"],
            )
            ooa = _req(named, "open_orders_account")
            assert encode_open_orders_account(account) == _post_state(step, ooa), step["name"]
            assert indexer.addresses[-1] == ooa


@pytest.mark.parametrize("trace_name", trace_names())
def test_golden_market_keys_from_decoded_market_match_trace_meta(trace_name: str) -> None:
    trace = load_trace(trace_name)
    last = {s["pubkey"]: s for s in snapshots(trace) if s.get("exists")}
    for entry in trace["meta"]["markets"]:
        market = decode_market(raw_data(last[entry["market"]]))
        keys = ix.MarketKeys.from_market(Pubkey.from_string(entry["market"]), market)
        assert str(keys.bids) == entry["bids"]
        assert str(keys.asks) == entry["asks"]
        assert str(keys.event_heap) == entry["event_heap"]
        assert str(keys.market_authority) == entry["market_authority"]
        assert str(keys.base_vault) == entry["base_vault"]
        assert str(keys.quote_vault) == entry["quote_vault"]
        params = entry["params"]
        for admin in ("open_orders_admin", "consume_events_admin", "close_market_admin"):
            value = getattr(keys, admin)
            assert (None if value is None else str(value)) == params[admin]
        base_mint = Pubkey.from_string(params["base_mint"])
        assert str(pda.market_vault(keys.market, base_mint)) == entry["base_vault"]
        assert str(pda.event_authority()) == entry["event_authority"]
