"""Replay OpenBook V2 golden traces through ``bmvbot.exchange`` and compare every step.

Each recorded OpenBook instruction is mapped (name + args + accounts by position, pubkeys as
ids) to one ``Exchange`` call; after every transaction the model's state is compared with the
``decoded`` post-state of every account the step lists.

Compared after every transaction:
- the outcome: ok, or the error kind / code / name and the index of the failing instruction;
- the return data: order ids of place_order / edit_order / the batches, the quantity of
  cancel_order_by_client_order_id;
- the program events, by name, order and every decoded field: FillLog, OpenOrdersPositionLog,
  TotalOrderFillEvent, SettleFundsLog, DepositLog, SweepFeesLog, SetDelegateLog and the
  MarketMetaDataLog CPI event;
- Market: every field of ``market_summary`` (parameters, admins, account ids, seq_num,
  registration_time, fees accrued / to referrers / available, referrer rebates, volumes,
  deposit totals);
- BookSide: side, every resting order in priority order (price_lots, base_lots, owner,
  order_id, client_order_id, timestamp, time_in_force, expiry, owner_slot, seq_num, peg_limit,
  tree), both roots (maybe_node, leaf_count), bump_index, free_list_len, free_list_head, and
  all 1,024 nodes decoded from the raw account bytes (inner: prefix_len, key, children,
  children's earliest expiry; leaf: every field; free: tag and next) against the model's exact
  node layout (``Exchange(track_nodes=True)``), plus the node arithmetic of ``BookSide`` itself;
- EventHeap: count, seq_num, free_head, used_head and every event with its slot and all fields;
- OpenOrdersAccount: owner, market, name, delegate, account_num, version, the whole position,
  open_orders_in_use and all 24 slots;
- OpenOrdersIndexer: created_counter and addresses; TokenAccount: mint, owner and amount;
- closed accounts must be gone from the model.

Skipped, and why:
- whole-account byte equality (``data_sha256``) and the events' ``hex``: encodings, which the
  byte codec owns (the BookSide nodes are compared field by field from the bytes, see above);
- the PDA ``bump`` of Market, OpenOrdersAccount and indexer: deriving PDAs needs ed25519 curve
  checks (solders), which the pure model must not import; ``oracle_a`` / ``oracle_b`` /
  ``oracle_config``: no oracle markets are modelled (pegged orders are not supported);
- lamports, ``fee_lamports``, ``compute_units``, ``tx_size``, ``logs`` and
  ``inner_instructions``: runtime matters (rent, fees, compute, log text, CPIs); the v1.7 heap
  penalty is 0 lamports and its count is compared as ``penalty_heap_count``;
- Mint accounts and wallets: OpenBook changes only their lamports.
"""

from __future__ import annotations

import base64
import gzip
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from solders.pubkey import Pubkey

from bmvbot.core.types import Side
from bmvbot.exchange import (
    Exchange,
    ExchangeError,
    FillEvent,
    MarketAccounts,
    MarketParams,
    PlaceMultipleOrdersArgs,
    PlaceOrderArgs,
    PlaceOrdersArgs,
    PlaceTakeOrderArgs,
    SelfTradeBehavior,
    order_type_from_wire,
)
from bmvbot.exchange.book import BookSide
from bmvbot.exchange.market import Market
from bmvbot.exchange.order_tree import OrderTree

GOLDEN_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "golden" / "openbook-v2"
PROGRAM_ID = "opnb2LAfJYbRMAHHvqjCwQxanZn7ReEHp1k81EohpZb"


Json = dict[str, Any]


def trace_files() -> list[Path]:
    """Return every golden trace file, sorted."""
    return sorted(GOLDEN_DIR.glob("*.json.gz"))


def load_trace(path: Path) -> Json:
    """Return one decoded trace document."""
    with gzip.open(path) as handle:
        document: Json = json.load(handle)
    return document


def _opt(pubkey: str) -> str | None:
    return None if pubkey == PROGRAM_ID else pubkey


class GoldenReplay:
    """Drives one trace through an ``Exchange`` and collects mismatches."""

    def __init__(self, trace: Json) -> None:
        self.trace = trace
        self.exchange = Exchange(record_logs=True, track_nodes=True)
        self.now_s = 0
        self.mismatches: list[str] = []
        for snapshot in trace["meta"]["initial_accounts"]:
            decoded = snapshot.get("decoded") or {}
            if snapshot["exists"] and decoded.get("type") == "TokenAccount":
                self.exchange.ledger.open_account(
                    snapshot["pubkey"], decoded["mint"], decoded["owner"], decoded["amount"]
                )
        self.handlers: dict[str, Callable[[Json, list[str]], object]] = {
            "create_market": self._create_market,
            "create_open_orders_indexer": self._create_indexer,
            "create_open_orders_account": self._create_account,
            "close_open_orders_account": self._close_account,
            "close_open_orders_indexer": self._close_indexer,
            "set_delegate": self._set_delegate,
            "deposit": self._deposit,
            "refill": self._refill,
            "place_order": self._place_order,
            "edit_order": self._edit_order,
            "place_orders": self._place_orders,
            "cancel_all_and_place_orders": self._cancel_all_and_place_orders,
            "place_take_order": self._place_take_order,
            "cancel_order": self._cancel_order,
            "cancel_order_by_client_order_id": self._cancel_by_client_id,
            "cancel_all_orders": self._cancel_all_orders,
            "consume_events": self._consume_events,
            "consume_given_events": self._consume_given_events,
            "settle_funds": self._settle_funds,
            "sweep_fees": self._sweep_fees,
        }

    # -- driving -----------------------------------------------------------------------------

    def run(self) -> list[str]:
        """Replay every step; return the mismatches found (empty when faithful)."""
        for step in self.trace["steps"]:
            self.now_s = step["clock"]["unix_timestamp"]
            if step["kind"] == "transaction":
                self._transaction(step)
        return self.mismatches

    def _fail(self, step: Json, message: str) -> None:
        self.mismatches.append(f"step {step['index']} {step['name']}: {message}")

    def _transaction(self, step: Json) -> None:
        returned: object = None
        error: ExchangeError | None = None
        failed_index: int | None = None
        for instruction in step["instructions"]:
            program = instruction["program"]
            if program == "associated_token":
                self._create_ata(step, instruction)
                continue
            if program != "openbook_v2":
                continue
            accounts = [a["pubkey"] for a in instruction["accounts"]]
            try:
                returned = self.handlers[instruction["name"]](instruction["args"], accounts)
            except ExchangeError as exc:
                error = exc
                failed_index = instruction["index"]
                break
        self._compare_outcome(step, error, failed_index)
        if error is None:
            self._compare_return(step, returned)
        self._compare_logs(step)
        for snapshot in step["accounts"]:
            self._compare_account(step, snapshot)

    def _create_ata(self, step: Json, instruction: Json) -> None:
        created = instruction["accounts"][1]["pubkey"]
        for snapshot in step["accounts"]:
            if snapshot["pubkey"] == created and snapshot["exists"]:
                decoded = snapshot["decoded"]
                self.exchange.ledger.open_account(created, decoded["mint"], decoded["owner"])

    def _compare_outcome(self, step: Json, error: ExchangeError | None, index: int | None) -> None:
        outcome = step["outcome"]
        if outcome["ok"]:
            if error is not None:
                self._fail(step, f"expected success, model raised {error}")
            return
        expected = outcome["error"]
        if error is None:
            self._fail(step, f"expected error {expected}, model succeeded")
            return
        got = {"kind": error.kind.value, "code": error.code, "name": error.name}
        wanted = {"kind": expected["kind"], "code": expected.get("code"), "name": expected["name"]}
        if got != wanted or index != outcome["instruction_index"]:
            self._fail(
                step, f"expected {wanted} at {outcome['instruction_index']}, got {got} at {index}"
            )

    def _compare_logs(self, step: Json) -> None:
        got = [
            (type(log).__name__, log._asdict())
            for market in self.exchange.markets.values()
            for log in market.drain_logs()
        ]
        expected = [(event["name"], event["decoded"]) for event in step["events"]]
        if [name for name, _ in got] != [name for name, _ in expected]:
            self._fail(step, f"logs expected {[n for n, _ in expected]}, got {[n for n, _ in got]}")
            return
        for (name, fields), (_, decoded) in zip(got, expected, strict=True):
            for field, value in fields.items():
                wanted = decoded.get(field)
                # u128 fields are decimal strings in the traces
                got_value = (
                    str(value) if isinstance(wanted, str) and isinstance(value, int) else value
                )
                if wanted != got_value:
                    self._fail(step, f"{name}.{field}: expected {wanted!r}, got {got_value!r}")

    def _compare_return(self, step: Json, returned: object) -> None:
        data = step.get("return_data")
        if data is None:
            return
        expected = data["decoded"]
        if isinstance(expected, list):
            got: object = [None if r is None else str(r) for r in returned]  # type: ignore[attr-defined]
        elif isinstance(expected, int):
            got = returned
        else:
            got = None if returned is None else str(returned)
        if got != expected:
            self._fail(step, f"return data expected {expected}, got {got}")

    # -- instruction mapping -----------------------------------------------------------------

    def _create_market(self, args: Json, acc: list[str]) -> object:
        ledger = self.exchange.ledger
        base_mint, quote_mint = acc[8], acc[9]
        mints = {m["address"]: m["decimals"] for m in self.trace["meta"]["mints"].values()}
        params = MarketParams(
            name=args["name"],
            base_mint=base_mint,
            quote_mint=quote_mint,
            base_lot_size=args["base_lot_size"],
            quote_lot_size=args["quote_lot_size"],
            base_decimals=mints[base_mint],
            quote_decimals=mints[quote_mint],
            maker_fee=args["maker_fee"],
            taker_fee=args["taker_fee"],
            time_expiry=args["time_expiry"],
            collect_fee_admin=acc[15],
            open_orders_admin=_opt(acc[16]),
            consume_events_admin=_opt(acc[17]),
            close_market_admin=_opt(acc[18]),
        )
        accounts = MarketAccounts(
            market=acc[0], market_authority=acc[1], bids=acc[2], asks=acc[3], event_heap=acc[4],
            base_vault=acc[6], quote_vault=acc[7],
        )  # fmt: skip
        del ledger
        self.exchange.create_market(accounts, params, self.now_s)
        return None

    def _create_indexer(self, args: Json, acc: list[str]) -> object:
        self.exchange.create_open_orders_indexer(acc[1], indexer_id=acc[2])
        return None

    def _create_account(self, args: Json, acc: list[str]) -> object:
        self.exchange.create_open_orders_account(
            acc[1], acc[5], args["name"], delegate=_opt(acc[2]), account_id=acc[4],
            indexer_id=acc[3],
        )  # fmt: skip
        return None

    def _close_account(self, args: Json, acc: list[str]) -> object:
        self.exchange.close_open_orders_account(acc[0], acc[2], indexer_id=acc[1])
        return None

    def _close_indexer(self, args: Json, acc: list[str]) -> object:
        self.exchange.close_open_orders_indexer(acc[0], indexer_id=acc[1])
        return None

    def _set_delegate(self, args: Json, acc: list[str]) -> object:
        self.exchange.set_delegate(acc[0], acc[1], _opt(acc[2]))
        return None

    def _deposit(self, args: Json, acc: list[str]) -> object:
        self.exchange.deposit(
            acc[0], acc[3], acc[1], acc[2], args["base_amount"], args["quote_amount"], self.now_s
        )
        return None

    def _refill(self, args: Json, acc: list[str]) -> object:
        self.exchange.refill(
            acc[0], acc[3], acc[1], acc[2], args["base_amount"], args["quote_amount"], self.now_s
        )
        return None

    @staticmethod
    def _order_args(args: Json) -> PlaceOrderArgs:
        return PlaceOrderArgs(
            side=Side(args["side"]),
            price_lots=int(args["price_lots"]),
            max_base_lots=int(args["max_base_lots"]),
            max_quote_lots_including_fees=int(args["max_quote_lots_including_fees"]),
            client_order_id=int(args["client_order_id"]),
            order_type=order_type_from_wire(args["order_type"]),
            expiry_timestamp=int(args["expiry_timestamp"]),
            self_trade_behavior=SelfTradeBehavior(args["self_trade_behavior"]),
            limit=args["limit"],
        )

    def _place_order(self, args: Json, acc: list[str]) -> object:
        order = self._order_args(args)
        result = self.exchange.place_order(acc[0], acc[1], order, acc[3], self.now_s, acc[12:])
        return result.order_id

    def _edit_order(self, args: Json, acc: list[str]) -> object:
        order = self._order_args(args["place_order"])
        result = self.exchange.edit_order(
            acc[0], acc[1], int(args["client_order_id"]), int(args["expected_cancel_size"]),
            order, acc[3], self.now_s, acc[12:],
        )  # fmt: skip
        return result.order_id

    def _batch(self, args: Json, acc: list[str], *, should_cancel: bool) -> object:
        batch = PlaceOrdersArgs(
            orders_type=order_type_from_wire(args["orders_type"]),
            bids=tuple(_entry(e) for e in args["bids"]),
            asks=tuple(_entry(e) for e in args["asks"]),
            limit=args["limit"],
        )
        run = (
            self.exchange.cancel_all_and_place_orders
            if should_cancel
            else self.exchange.place_orders
        )
        return run(acc[0], acc[1], batch, acc[4], acc[3], self.now_s, acc[14:])

    def _place_orders(self, args: Json, acc: list[str]) -> object:
        return self._batch(args, acc, should_cancel=False)

    def _cancel_all_and_place_orders(self, args: Json, acc: list[str]) -> object:
        return self._batch(args, acc, should_cancel=True)

    def _place_take_order(self, args: Json, acc: list[str]) -> object:
        order = PlaceTakeOrderArgs(
            side=Side(args["side"]),
            price_lots=int(args["price_lots"]),
            max_base_lots=int(args["max_base_lots"]),
            max_quote_lots_including_fees=int(args["max_quote_lots_including_fees"]),
            order_type=order_type_from_wire(args["order_type"]),
            limit=args["limit"],
        )
        self.exchange.place_take_order(acc[0], acc[2], order, acc[9], acc[10], self.now_s, acc[16:])
        return None

    def _cancel_order(self, args: Json, acc: list[str]) -> object:
        self.exchange.cancel_order(acc[0], acc[1], int(args["order_id"]))
        return None

    def _cancel_by_client_id(self, args: Json, acc: list[str]) -> object:
        return self.exchange.cancel_order_by_client_order_id(
            acc[0], acc[1], int(args["client_order_id"])
        )

    def _cancel_all_orders(self, args: Json, acc: list[str]) -> object:
        side = None if args["side_option"] is None else Side(args["side_option"])
        self.exchange.cancel_all_orders(acc[0], acc[1], side, args["limit"])
        return None

    def _consume_events(self, args: Json, acc: list[str]) -> object:
        self.exchange.consume_events(acc[1], int(args["limit"]), acc[3:], signer=_opt(acc[0]))
        return None

    def _consume_given_events(self, args: Json, acc: list[str]) -> object:
        slots = [int(s) for s in args["slots"]]
        self.exchange.consume_given_events(acc[1], slots, acc[3:], signer=_opt(acc[0]))
        return None

    def _settle_funds(self, args: Json, acc: list[str]) -> object:
        self.exchange.settle_funds(acc[0], acc[2], acc[7], acc[8], _opt(acc[9]))
        return None

    def _sweep_fees(self, args: Json, acc: list[str]) -> object:
        self.exchange.sweep_fees(acc[0], acc[1], acc[4])
        return None

    # -- state comparison --------------------------------------------------------------------

    def _compare_account(self, step: Json, snapshot: Json) -> None:
        pubkey = snapshot["pubkey"]
        decoded = snapshot.get("decoded")
        exchange = self.exchange
        if not snapshot["exists"]:
            for table in (exchange.open_orders, exchange.indexers, exchange.markets):
                if pubkey in table:
                    self._fail(step, f"{snapshot['label']} should not exist")
            return
        if decoded is None:
            return
        summaries: dict[str, Callable[[], Json | None]] = {
            "Market": lambda: market_summary(exchange.market(pubkey)),
            "BookSide": lambda: self._book_summary(pubkey),
            "EventHeap": lambda: self._heap_summary(pubkey),
            "OpenOrdersAccount": lambda: self._account_summary(pubkey),
            "OpenOrdersIndexer": lambda: self._indexer_summary(pubkey),
            "TokenAccount": lambda: self._token_summary(pubkey),
        }
        summarize = summaries.get(decoded["type"])
        if summarize is not None:
            self._compare_fields(step, snapshot["label"], decoded, summarize())
        if decoded["type"] == "BookSide":
            self._compare_nodes(step, snapshot)

    def _compare_nodes(self, step: Json, snapshot: Json) -> None:
        pubkey = snapshot["pubkey"]
        market = self._market_of(pubkey, "bids") or self._market_of(pubkey, "asks")
        if market is None:
            return
        book = market.bids if market.accounts.bids == pubkey else market.asks
        if book.tree is None:
            self._fail(step, "node tracking is off")
            return
        counted = (book.bump_index, book.free_list_len)
        if counted != (book.tree.bump_index, book.tree.free_list_len):
            self._fail(step, f"{snapshot['label']} node arithmetic {counted} disagrees with tree")
        raw = zlib.decompress(base64.b64decode(snapshot["data_zlib_b64"]))
        for problem in node_mismatches(raw, book.tree):
            self._fail(step, f"{snapshot['label']} {problem}")

    def _indexer_summary(self, pubkey: str) -> Json | None:
        indexer = self.exchange.indexers.get(pubkey)
        if indexer is None:
            return None
        return {"created_counter": indexer.created_counter, "addresses": indexer.addresses}

    def _token_summary(self, pubkey: str) -> Json | None:
        token = self.exchange.ledger.accounts.get(pubkey)
        if token is None:
            return None
        return {"mint": token.mint, "owner": token.owner, "amount": token.amount}

    def _compare_fields(self, step: Json, label: str, decoded: Json, got: Json | None) -> None:
        if got is None:
            self._fail(step, f"{label}: model has no such account")
            return
        for field, value in got.items():
            expected: object = decoded
            for part in field.split("."):
                expected = expected.get(part) if isinstance(expected, dict) else None
            if expected != value:
                self._fail(step, f"{label}.{field}: expected {expected!r}, got {value!r}")

    def _market_of(self, pubkey: str, role: str) -> Market | None:
        for market in self.exchange.markets.values():
            if getattr(market.accounts, role) == pubkey:
                return market
        return None

    def _book_summary(self, pubkey: str) -> Json | None:
        market = self._market_of(pubkey, "bids") or self._market_of(pubkey, "asks")
        if market is None:
            return None
        book = market.bids if market.accounts.bids == pubkey else market.asks
        return book_summary(book)

    def _heap_summary(self, pubkey: str) -> Json | None:
        market = self._market_of(pubkey, "event_heap")
        return None if market is None else heap_summary(market)

    def _account_summary(self, pubkey: str) -> Json | None:
        account = self.exchange.open_orders.get(pubkey)
        if account is None:
            return None
        position = {
            "bids_base_lots": account.bids_base_lots,
            "asks_base_lots": account.asks_base_lots,
            "base_free_native": account.base_free_native,
            "quote_free_native": account.quote_free_native,
            "locked_maker_fees": account.locked_maker_fees,
            "referrer_rebates_available": account.referrer_rebates_available,
            "penalty_heap_count": account.penalty_heap_count,
            "maker_volume": str(account.maker_volume),
            "taker_volume": str(account.taker_volume),
            "bids_quote_lots": account.bids_quote_lots,
        }
        slots = []
        for index, entry in enumerate(account.slots):
            if entry is None:
                slots.append({"slot": index, "is_free": True, "id": "0", "client_id": 0,
                              "locked_price": 0, "side_and_tree": 0})  # fmt: skip
            else:
                slots.append({"slot": index, "is_free": False, "id": str(entry.order_id),
                              "client_id": entry.client_order_id,
                              "locked_price": entry.locked_price,
                              "side_and_tree": int(entry.side)})  # fmt: skip
        return {
            "owner": account.owner,
            "market": account.market,
            "name": account.name,
            "delegate": account.delegate,
            "account_num": account.account_num,
            "version": account.version,
            "position": position,
            "open_orders_in_use": account.open_orders_in_use,
            "slots": slots,
        }


def _entry(entry: Json) -> PlaceMultipleOrdersArgs:
    return PlaceMultipleOrdersArgs(
        price_lots=int(entry["price_lots"]),
        max_quote_lots_including_fees=int(entry["max_quote_lots_including_fees"]),
        expiry_timestamp=int(entry["expiry_timestamp"]),
    )


def market_summary(market: Market) -> Json:
    """Return the model's Market fields under the trace's names."""
    params = market.params
    accounts = market.accounts
    return {
        "base_decimals": params.base_decimals,
        "quote_decimals": params.quote_decimals,
        "market_authority": accounts.market_authority,
        "time_expiry": market.time_expiry,
        "collect_fee_admin": params.collect_fee_admin,
        "open_orders_admin": params.open_orders_admin,
        "consume_events_admin": params.consume_events_admin,
        "close_market_admin": params.close_market_admin,
        "name": params.name,
        "bids": accounts.bids,
        "asks": accounts.asks,
        "event_heap": accounts.event_heap,
        "quote_lot_size": market.quote_lot_size,
        "base_lot_size": market.base_lot_size,
        "seq_num": market.seq_num,
        "registration_time": market.registration_time,
        "maker_fee": market.maker_fee,
        "taker_fee": market.taker_fee,
        "fees_accrued": str(market.fees_accrued),
        "fees_to_referrers": str(market.fees_to_referrers),
        "referrer_rebates_accrued": market.referrer_rebates_accrued,
        "fees_available": market.fees_available,
        "maker_volume": str(market.maker_volume),
        "taker_volume_wo_oo": str(market.taker_volume_wo_oo),
        "base_mint": params.base_mint,
        "quote_mint": params.quote_mint,
        "market_base_vault": accounts.base_vault,
        "base_deposit_total": market.base_deposit_total,
        "market_quote_vault": accounts.quote_vault,
        "quote_deposit_total": market.quote_deposit_total,
    }


def node_mismatches(raw: bytes, tree: OrderTree) -> list[str]:
    """Compare the model's node array with the raw BookSide bytes, node by node."""
    problems = []
    for index, node in enumerate(tree.nodes):
        offset = 840 + 88 * index
        got = _raw_node(raw[offset : offset + 88])
        wanted = None if node is None else [str(v) if isinstance(v, str) else v for v in node]
        if got != wanted:
            problems.append(f"node {index}: bytes say {got}, model has {wanted}")
    return problems


def _raw_node(data: bytes) -> list[int | str] | None:
    tag = data[0]
    if tag == 0:
        return None
    if tag == 1:
        prefix_len, key_low, key_high, child0, child1, expiry0, expiry1 = struct.unpack_from(
            "<I QQ II QQ", data, 4
        )
        return [1, prefix_len, key_high << 64 | key_low, child0, child1, expiry0, expiry1]
    if tag == 2:
        owner_slot, tif = struct.unpack_from("<BH", data, 1)
        key_low, key_high = struct.unpack_from("<QQ", data, 8)
        quantity, timestamp, peg_limit, client_order_id = struct.unpack_from("<qQqQ", data, 56)
        owner = str(Pubkey.from_bytes(data[24:56]))
        return [2, key_high << 64 | key_low, owner_slot, tif, owner, quantity, timestamp,
                peg_limit, client_order_id]  # fmt: skip
    (next_free,) = struct.unpack_from("<I", data, 4)
    return [tag, next_free]


def book_summary(book: BookSide) -> Json:
    """Return the model's BookSide under the trace's names (node layout excluded)."""
    orders = [
        {
            "price_lots": o.price_lots,
            "base_lots": o.quantity,
            "owner": o.owner,
            "order_id": str(o.order_id),
            "client_order_id": o.client_order_id,
            "timestamp": o.timestamp,
            "time_in_force": o.time_in_force,
            "expiry": o.expiry,
            "owner_slot": o.owner_slot,
            "seq_num": o.seq_num,
            "peg_limit": -1,
            "tree": "fixed",
        }
        for o in book.iter_orders()
    ]
    return {
        "side": "bids" if book.side is Side.BID else "asks",
        "bump_index": book.bump_index,
        "free_list_len": book.free_list_len,
        "fixed_orders": orders,
        "oracle_pegged_orders": [],
        "fixed_root.leaf_count": len(orders),
        "oracle_pegged_root.leaf_count": 0,
        **_tree_summary(book),
    }


def _tree_summary(book: BookSide) -> Json:
    tree = book.tree
    if tree is None:
        return {}
    return {
        "bump_index": tree.bump_index,
        "free_list_len": tree.free_list_len,
        "free_list_head": tree.free_list_head,
        "fixed_root.maybe_node": tree.roots[0][0],
        "oracle_pegged_root.maybe_node": tree.roots[1][0],
    }


def heap_summary(market: Market) -> Json:
    """Return the model's EventHeap under the trace's names."""
    heap = market.event_heap
    events = []
    for slot, event in heap:
        if isinstance(event, FillEvent):
            events.append({
                "slot": slot, "event_type": "fill",
                "taker_side": "bid" if event.taker_side is Side.BID else "ask",
                "maker_out": event.maker_out, "maker_slot": event.maker_slot,
                "timestamp": event.timestamp, "seq_num": event.seq_num, "maker": event.maker,
                "maker_timestamp": event.maker_timestamp, "taker": event.taker,
                "taker_client_order_id": event.taker_client_order_id, "price": event.price,
                "peg_limit": event.peg_limit, "quantity": event.quantity,
                "maker_client_order_id": event.maker_client_order_id,
            })  # fmt: skip
        else:
            events.append({
                "slot": slot, "event_type": "out",
                "side": "bid" if event.side is Side.BID else "ask",
                "owner_slot": event.owner_slot, "timestamp": event.timestamp,
                "seq_num": event.seq_num, "owner": event.owner, "quantity": event.quantity,
            })  # fmt: skip
    return {
        "count": heap.count,
        "free_head": heap.free_head,
        "used_head": heap.used_head,
        "seq_num": heap.seq_num,
        "events": events,
    }
