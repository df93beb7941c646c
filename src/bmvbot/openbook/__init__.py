"""Pure OpenBook V2 codec: instructions, account layouts, events and PDAs; no I/O.

Imports only ``bmvbot.core``, the standard library and ``solders``. Checked byte for byte
against golden traces of the deployed program (v1.7) and the official TypeScript client.

Modules:
    ids: program ids and Anchor discriminators.
    borsh, zerocopy: the two wire formats (Borsh arguments/events; fixed-offset accounts).
    args: instruction argument structs and enums (PlaceOrderArgs, PlaceOrdersArgs, ...).
    layouts: every instruction's account list (names, signer/writable/optional flags).
    instructions: one encoder per instruction, plus decode_instruction / named_accounts.
    instruction_codec: MarketKeys and the generic build/decode machinery.
    pda: market authority, event authority, indexer, OpenOrders accounts, vault ATAs.
    market, open_orders, bookside, event_heap: account decoders, writers and constructors.
    order_tree: byte-faithful BookSide edits (crit-bit insert/remove, expiry bookkeeping).
    events: log events (``Program data:`` lines, the create_market CPI event), return data.
    spl: SPL token account and mint decoders.
    accounts: decode any OpenBook account by discriminator; golden-format summaries.
    jsonio: JSON rendering of codec values and parsing of recorded instruction arguments.

Every malformed input raises ``bmvbot.core.errors.CodecError``.

Typical use (planner and market data)::

    from bmvbot.openbook import instructions as ix
    from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrdersArgs, PlaceOrderType
    from bmvbot.openbook.bookside import read_levels
    from bmvbot.openbook.market import decode_market

    keys = ix.MarketKeys.from_market(market_pubkey, decode_market(market_data))
    args = PlaceOrdersArgs(
        PlaceOrderType.POST_ONLY,
        bids=(PlaceMultipleOrdersArgs(price_lots=9_990, max_quote_lots_including_fees=99_900),),
        asks=(PlaceMultipleOrdersArgs(price_lots=10_010, max_quote_lots_including_fees=100_100),),
        limit=10,
    )
    instruction = ix.cancel_all_and_place_orders(
        keys, signer=wallet, open_orders_account=ooa, user_base_account=base_ata,
        user_quote_account=quote_ata, args=args,
    )
    best_bids = read_levels(bids_account_data, depth=10, now_ts=now_s)

An emulator decodes with ``ix.decode_instruction`` / ``ix.named_accounts`` /
``ix.account_flag_violations`` and writes accounts with ``market.encode_market``,
``open_orders.encode_open_orders_account``, ``order_tree.BookSideEditor`` +
``bookside.encode_bookside`` and ``event_heap.EventHeapEditor`` + ``encode_event_heap``.
"""
