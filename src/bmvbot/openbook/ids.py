"""Program ids, well-known program keys and the Anchor discriminators of OpenBook V2.

Discriminators follow Anchor's rule: the first 8 bytes of ``sha256("<namespace>:<Name>")`` with
namespace ``global`` for instructions (snake_case names), ``account`` for account types and
``event`` for events (fact sheet section 1).
"""

from __future__ import annotations

import hashlib

from solders.pubkey import Pubkey

OPENBOOK_PROGRAM_ID = Pubkey.from_string("opnb2LAfJYbRMAHHvqjCwQxanZn7ReEHp1k81EohpZb")
"""The OpenBook V2 program on mainnet, devnet and testnet."""
SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
ZERO_PUBKEY = Pubkey.default()
"""The all-zero key; OpenBook stores it for "none" in optional key fields."""

EVENT_IX_TAG = bytes.fromhex("e445a52e51cb9a1d")
"""Prefix of the self-CPI instruction data Anchor's ``emit_cpi!`` uses (create_market)."""


def anchor_discriminator(namespace: str, name: str) -> bytes:
    """Return ``sha256(namespace + ":" + name)[:8]``, Anchor's 8-byte discriminator."""
    return hashlib.sha256(f"{namespace}:{name}".encode()).digest()[:8]


INSTRUCTION_NAMES = (
    "create_market",
    "close_market",
    "create_open_orders_indexer",
    "close_open_orders_indexer",
    "create_open_orders_account",
    "close_open_orders_account",
    "place_order",
    "edit_order",
    "edit_order_pegged",
    "place_orders",
    "cancel_all_and_place_orders",
    "place_order_pegged",
    "place_take_order",
    "consume_events",
    "consume_given_events",
    "cancel_order",
    "cancel_order_by_client_order_id",
    "cancel_all_orders",
    "deposit",
    "refill",
    "settle_funds",
    "settle_funds_expired",
    "sweep_fees",
    "set_delegate",
    "set_market_expired",
    "prune_orders",
    "stub_oracle_create",
    "stub_oracle_close",
    "stub_oracle_set",
)
"""Every instruction of the program, snake_case as in ``prog/lib.rs``."""

INSTRUCTION_DISCRIMINATORS: dict[str, bytes] = {
    name: anchor_discriminator("global", name) for name in INSTRUCTION_NAMES
}
INSTRUCTION_BY_DISCRIMINATOR: dict[bytes, str] = {
    disc: name for name, disc in INSTRUCTION_DISCRIMINATORS.items()
}

ACCOUNT_NAMES = (
    "Market",
    "OpenOrdersAccount",
    "OpenOrdersIndexer",
    "BookSide",
    "EventHeap",
    "StubOracle",
)
ACCOUNT_DISCRIMINATORS: dict[str, bytes] = {
    name: anchor_discriminator("account", name) for name in ACCOUNT_NAMES
}

EVENT_NAMES = (
    "FillLog",
    "TakerSignatureLog",
    "TotalOrderFillEvent",
    "OpenOrdersPositionLog",
    "SettleFundsLog",
    "DepositLog",
    "MarketMetaDataLog",
    "SetDelegateLog",
    "SweepFeesLog",
)
EVENT_DISCRIMINATORS: dict[str, bytes] = {
    name: anchor_discriminator("event", name) for name in EVENT_NAMES
}
EVENT_BY_DISCRIMINATOR: dict[bytes, str] = {
    disc: name for name, disc in EVENT_DISCRIMINATORS.items()
}
