"""Behaviour of the OpenBook codec's public API on hand-made values (fact sheet examples)."""

from __future__ import annotations

import base64
import dataclasses

from solders.instruction import AccountMeta
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from bmvbot.core.types import BaseLots, BookLevel, PlaceOrderType, PriceLots, Side
from bmvbot.openbook import instructions as ix
from bmvbot.openbook import pda
from bmvbot.openbook.accounts import account_summary, decode_account
from bmvbot.openbook.args import PlaceOrderArgs
from bmvbot.openbook.bookside import (
    FIXED_TREE,
    ORACLE_PEGGED_TREE,
    LeafNode,
    decode_bookside,
    encode_bookside,
    order_key,
    read_levels,
)
from bmvbot.openbook.events import (
    DepositLog,
    decode_program_data_log,
    decode_return_data,
    encode_return_data,
    program_data_log,
)
from bmvbot.openbook.ids import (
    ACCOUNT_DISCRIMINATORS,
    EVENT_DISCRIMINATORS,
    INSTRUCTION_DISCRIMINATORS,
    OPENBOOK_PROGRAM_ID,
)
from bmvbot.openbook.jsonio import to_json
from bmvbot.openbook.market import decode_market, encode_market, new_market
from bmvbot.openbook.open_orders import (
    OpenOrderSlot,
    decode_open_orders_account,
    encode_open_orders_account,
    new_open_orders_account,
)
from bmvbot.openbook.order_tree import BookSideEditor, empty_bookside


def key(i: int) -> Pubkey:
    return Keypair.from_seed(bytes([i]) * 32).pubkey()


def test_pdas_match_the_fact_sheet_check_vectors() -> None:
    owner = key(1)
    assert str(owner) == "AKnL4NNf3DGWZJS6cPknBuEGnVsV4A4m5tgebLHaRSZ9"
    assert str(pda.open_orders_indexer(owner)) == "3meH9A5EDhci3ERtPVWXpJw29PS5rJY975hyS3nH6voR"
    assert str(pda.open_orders_account(owner, 1)) == "9fHmKRYH5C2Y7VxeVUwyRvTRnYoXVy47a6CEusqEA6e4"
    market = Pubkey.from_string("Cdkrk8tujFY6mTyGwFgKpnbiGc1hqtXCog1qvUdKAe6D")
    authority, bump = pda.market_authority_with_bump(market)
    assert (str(authority), bump) == ("FPAa9qQJy5BP9npuHchNS6giX4vvYYH11xh3VCp7F9nJ", 254)
    assert str(pda.event_authority()) == "8rDvL1qM41mYVNYS6oKLfGXyBGov3jLtbELToxjSwShj"


def test_discriminators_match_the_fact_sheet_tables() -> None:
    assert INSTRUCTION_DISCRIMINATORS["place_order"].hex() == "33c29baf6d82606a"
    assert INSTRUCTION_DISCRIMINATORS["cancel_all_and_place_orders"].hex() == "809bde3cba28e132"
    assert INSTRUCTION_DISCRIMINATORS["stub_oracle_set"].hex() == "6dc64f7941caa18e"
    assert ACCOUNT_DISCRIMINATORS["Market"].hex() == "dbbed53700e3c69a"
    assert ACCOUNT_DISCRIMINATORS["EventHeap"].hex() == "773b3d13a55439af"
    assert EVENT_DISCRIMINATORS["FillLog"].hex() == "9617299498a2d740"
    assert EVENT_DISCRIMINATORS["TakerSignatureLog"].hex() == "7da7b6f6f903394d"


MARKET_KEYS = ix.MarketKeys(
    market=key(2),
    bids=key(3),
    asks=key(4),
    event_heap=key(5),
    market_authority=pda.market_authority(key(2)),
    base_vault=key(6),
    quote_vault=key(7),
)


def test_place_order_vault_follows_side_and_absent_optionals_are_program_id() -> None:
    for side, vault in ((Side.BID, key(7)), (Side.ASK, key(6))):
        args = PlaceOrderArgs(side, 10, 1, 10, 0, PlaceOrderType.LIMIT)
        built = ix.place_order(
            MARKET_KEYS,
            signer=key(1),
            open_orders_account=key(8),
            user_token_account=key(9),
            args=args,
            remaining_accounts=[key(12)],
        )
        metas = built.accounts
        assert metas[8].pubkey == vault
        for index in (2, 9, 10):
            assert (metas[index].pubkey, metas[index].is_signer, metas[index].is_writable) == (
                OPENBOOK_PROGRAM_ID,
                False,
                False,
            )
        assert (metas[12].pubkey, metas[12].is_writable) == (key(12), True)
        named, remaining = ix.named_accounts("place_order", [m.pubkey for m in metas])
        assert named["open_orders_admin"] is None
        assert named["market_vault"] == vault
        assert remaining == (key(12),)


def test_open_orders_admin_present_signs() -> None:
    keys = dataclasses.replace(MARKET_KEYS, open_orders_admin=key(14))
    built = ix.place_order(
        keys,
        signer=key(1),
        open_orders_account=key(8),
        user_token_account=key(9),
        args=PlaceOrderArgs(Side.BID, 10, 1, 10, 0, PlaceOrderType.LIMIT),
    )
    admin = built.accounts[2]
    assert (admin.pubkey, admin.is_signer, admin.is_writable) == (key(14), True, False)


def test_return_data_order_id_matches_the_mainnet_example() -> None:
    # fact sheet 6.9: a bid with price_data 1 and seq 39,029,348
    data = bytes.fromhex("019b75acfdffffffff0100000000000000")
    order_id = decode_return_data("place_order", data)
    assert order_id == order_key(Side.BID, 1, 39_029_348)
    assert encode_return_data("place_order", order_id) == data
    assert decode_return_data("cancel_order_by_client_order_id", (7).to_bytes(8, "little")) == 7


def test_program_data_log_roundtrip() -> None:
    event = DepositLog(key(8), key(1), 5, 0)
    line = program_data_log(event)
    assert line.startswith("Program data: ")
    assert base64.b64decode(line.split(": ")[1])[:8] == EVENT_DISCRIMINATORS["DepositLog"]
    assert decode_program_data_log(line) == event


def _leaf(side: Side, price: int, seq: int, qty: int, tif: int = 0, peg: int = -1) -> LeafNode:
    return LeafNode(seq % 24, tif, order_key(side, price, seq), key(8), qty, 1000, peg, seq)


def test_bookside_orders_price_time_priority_and_levels() -> None:
    editor = BookSideEditor(empty_bookside(Side.BID))
    for seq, (price, qty) in enumerate([(100, 1), (102, 2), (100, 3), (101, 4), (102, 5)], 1):
        editor.insert_leaf(FIXED_TREE, _leaf(Side.BID, price, seq, qty))
    data = encode_bookside(editor.freeze())
    book = decode_bookside(data)
    assert [(o.price_lots, o.seq_num) for o in book.orders()] == [
        (102, 2),
        (102, 5),
        (101, 4),
        (100, 1),
        (100, 3),
    ]
    expected = (
        BookLevel(PriceLots(102), BaseLots(7)),
        BookLevel(PriceLots(101), BaseLots(4)),
    )
    assert book.levels(2) == expected
    assert read_levels(data, 2) == expected
    assert book.levels(0) == ()


def test_bookside_levels_skip_expired_orders() -> None:
    editor = BookSideEditor(empty_bookside(Side.ASK))
    editor.insert_leaf(FIXED_TREE, _leaf(Side.ASK, 50, 1, 2, tif=10))  # expires at 1010
    editor.insert_leaf(FIXED_TREE, _leaf(Side.ASK, 51, 2, 3))
    data = encode_bookside(editor.freeze())
    assert [lv.price_lots for lv in read_levels(data, 5, now_ts=1009)] == [50, 51]
    assert [lv.price_lots for lv in read_levels(data, 5, now_ts=1010)] == [51]
    assert decode_bookside(data).levels(5, now_ts=1010) == read_levels(data, 5, now_ts=1010)
    assert decode_bookside(data).orders()[0].is_expired(1010)


def test_bookside_pegged_orders_merge_with_oracle_price_and_respect_peg_limit() -> None:
    editor = BookSideEditor(empty_bookside(Side.BID))
    editor.insert_leaf(FIXED_TREE, _leaf(Side.BID, 100, 1, 1))
    pegged_data = (-5 + (1 << 63)) % (1 << 64)  # offset -5
    editor.insert_leaf(ORACLE_PEGGED_TREE, _leaf(Side.BID, pegged_data, 2, 2, peg=104))
    book = editor.freeze()
    assert [o.price_lots for o in book.all_orders()] == [100]
    assert [(o.price_lots, o.tree) for o in book.all_orders(oracle_price_lots=106)] == [
        (101, ORACLE_PEGGED_TREE),
        (100, FIXED_TREE),
    ]
    # oracle 110 puts the pegged bid at 105, beyond its peg limit 104
    assert [o.price_lots for o in book.all_orders(oracle_price_lots=110)] == [100]


def test_market_and_open_orders_writers_roundtrip_and_summarize() -> None:
    from bmvbot.openbook.args import CreateMarketArgs, OracleConfigParams

    args = CreateMarketArgs("SOL/USDC", OracleConfigParams(0.1, None), 1, 1_000_000, -200, 400, 0)
    market = new_market(
        market=key(2),
        bids=key(3),
        asks=key(4),
        event_heap=key(5),
        base_mint=key(10),
        quote_mint=key(11),
        base_decimals=9,
        quote_decimals=6,
        base_vault=key(6),
        quote_vault=key(7),
        collect_fee_admin=key(1),
        args=args,
        registration_time=1_717_200_000,
    )
    data = encode_market(market)
    assert len(data) == 848
    assert decode_market(data) == market
    assert decode_account(data) == market
    summary = account_summary(market)
    assert summary["type"] == "Market"
    assert summary["oracle_config"] == {
        "conf_filter": 0.10000000149011612,
        "max_staleness_slots": -1,
    }
    assert summary["fees_accrued"] == "0"
    assert not market.is_expired(2_000_000_000)

    account = new_open_orders_account(owner=key(1), market=key(2), name="bot", account_num=1)
    slots = list(account.open_orders)
    slots[3] = OpenOrderSlot(id=2**100, client_id=3, locked_price=99, is_free=False)
    busy = dataclasses.replace(account, open_orders=tuple(slots))
    raw = encode_open_orders_account(busy)
    assert decode_open_orders_account(raw) == busy
    assert busy.open_orders_in_use == 1
    assert busy.first_free_slot() == 0
    rendered = account_summary(busy)
    assert rendered["open_orders_in_use"] == 1
    assert isinstance(rendered["slots"], list)
    assert rendered["slots"][3] == {
        "slot": 3,
        "id": str(2**100),
        "client_id": 3,
        "locked_price": 99,
        "is_free": False,
        "side_and_tree": 0,
    }


def test_to_json_renders_keys_enums_and_u128_fields() -> None:
    assert to_json({"order_id": 5, "side": Side.ASK, "owner": key(1), "n": [1, None]}) == {
        "order_id": "5",
        "side": 1,
        "owner": str(key(1)),
        "n": [1, None],
    }


def test_account_flag_violations_reports_missing_signer_and_writable() -> None:
    built = ix.settle_funds(
        MARKET_KEYS,
        owner=key(1),
        penalty_payer=key(1),
        open_orders_account=key(8),
        user_base_account=key(9),
        user_quote_account=key(10),
    )
    assert ix.account_flag_violations("settle_funds", built.accounts) == []
    metas = list(built.accounts)
    metas[0] = AccountMeta(key(1), is_signer=True, is_writable=False)  # read-only owner
    metas[2] = AccountMeta(key(8), is_signer=False, is_writable=False)
    assert ix.account_flag_violations("settle_funds", metas) == [
        ix.AccountFlagViolation(0, "owner", "writable"),
        ix.AccountFlagViolation(2, "open_orders_account", "writable"),
    ]
    metas[1] = AccountMeta(key(1), is_signer=False, is_writable=True)
    assert ix.account_flag_violations("settle_funds", metas)[1] == ix.AccountFlagViolation(
        1, "penalty_payer", "signer"
    )
