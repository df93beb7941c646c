"""Program-derived addresses of OpenBook V2 (fact sheet section 4).

Every function returns the address only; the ``*_with_bump`` variants also return the bump seed.
"""

from __future__ import annotations

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.openbook.ids import ASSOCIATED_TOKEN_PROGRAM_ID, OPENBOOK_PROGRAM_ID, TOKEN_PROGRAM_ID

MAX_OPEN_ORDERS_ACCOUNTS = 256
"""An indexer lists at most this many OpenOrders accounts; account numbers start at 1."""


def market_authority_with_bump(
    market: Pubkey, program_id: Pubkey = OPENBOOK_PROGRAM_ID
) -> tuple[Pubkey, int]:
    """Return the market authority PDA ``["Market", market]`` and its bump."""
    return Pubkey.find_program_address([b"Market", bytes(market)], program_id)


def market_authority(market: Pubkey, program_id: Pubkey = OPENBOOK_PROGRAM_ID) -> Pubkey:
    """Return the market authority PDA that owns the vaults and signs their transfers."""
    return market_authority_with_bump(market, program_id)[0]


def event_authority(program_id: Pubkey = OPENBOOK_PROGRAM_ID) -> Pubkey:
    """Return the Anchor event authority PDA ``["__event_authority"]``."""
    return Pubkey.find_program_address([b"__event_authority"], program_id)[0]


def open_orders_indexer_with_bump(
    owner: Pubkey, program_id: Pubkey = OPENBOOK_PROGRAM_ID
) -> tuple[Pubkey, int]:
    """Return the wallet's OpenOrdersIndexer PDA ``["OpenOrdersIndexer", owner]`` and bump."""
    return Pubkey.find_program_address([b"OpenOrdersIndexer", bytes(owner)], program_id)


def open_orders_indexer(owner: Pubkey, program_id: Pubkey = OPENBOOK_PROGRAM_ID) -> Pubkey:
    """Return the wallet's OpenOrdersIndexer PDA (one per wallet)."""
    return open_orders_indexer_with_bump(owner, program_id)[0]


def open_orders_account_with_bump(
    owner: Pubkey, account_num: int, program_id: Pubkey = OPENBOOK_PROGRAM_ID
) -> tuple[Pubkey, int]:
    """Return OpenOrders account number ``account_num`` of ``owner`` and its bump.

    The seeds are ``["OpenOrders", owner, u32_le(account_num)]``; the program creates number
    ``indexer.created_counter + 1``, so the first account is number 1.

    Raises:
        CodecError: ``account_num`` is not a u32.
    """
    if isinstance(account_num, bool) or not isinstance(account_num, int):
        raise CodecError(f"account_num must be an integer, was {account_num!r}")
    if not 0 <= account_num <= 2**32 - 1:
        raise CodecError(f"account_num must be a u32 (first account is 1), was {account_num}")
    seeds = [b"OpenOrders", bytes(owner), account_num.to_bytes(4, "little")]
    return Pubkey.find_program_address(seeds, program_id)


def open_orders_account(
    owner: Pubkey, account_num: int, program_id: Pubkey = OPENBOOK_PROGRAM_ID
) -> Pubkey:
    """Return the address of OpenOrders account number ``account_num`` (from 1) of ``owner``."""
    return open_orders_account_with_bump(owner, account_num, program_id)[0]


def associated_token_address(
    owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID
) -> Pubkey:
    """Return the associated token account of ``owner`` for ``mint`` (off-curve owners too)."""
    seeds = [bytes(owner), bytes(token_program), bytes(mint)]
    return Pubkey.find_program_address(seeds, ASSOCIATED_TOKEN_PROGRAM_ID)[0]


def market_vault(market: Pubkey, mint: Pubkey, program_id: Pubkey = OPENBOOK_PROGRAM_ID) -> Pubkey:
    """Return the market's vault for ``mint``: the ATA of the market authority."""
    return associated_token_address(market_authority(market, program_id), mint)
