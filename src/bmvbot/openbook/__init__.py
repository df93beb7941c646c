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
"""
