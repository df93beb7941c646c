"""Encoders of the market administration instructions (fact sheet sections 3.1, 3.7, 7).

create_market, sweep_fees and the end-of-life sequence (set_market_expired, prune_orders,
settle_funds_expired, close_market). Re-exported by ``instructions``.
"""

from __future__ import annotations

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.openbook import pda
from bmvbot.openbook.args import MARKET_NAME_MAX_BYTES, CreateMarketArgs, LimitArgs
from bmvbot.openbook.ids import ASSOCIATED_TOKEN_PROGRAM_ID, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID
from bmvbot.openbook.instruction_codec import MarketKeys, build_instruction, check_name_length


def create_market(
    keys: MarketKeys,
    *,
    payer: Pubkey,
    base_mint: Pubkey,
    quote_mint: Pubkey,
    collect_fee_admin: Pubkey,
    args: CreateMarketArgs,
    check_name: bool = True,
) -> Instruction:
    """Return ``create_market`` (21 accounts). The market keypair must sign.

    Bids, asks and the event heap must already exist (program-owned, zeroed, 90,952 / 90,952 /
    91,288 bytes); the vaults are created by the program as ATAs of the market authority.
    ``check_name=False`` lets a name longer than 16 bytes through (the program answers 6001).
    """
    if check_name and isinstance(args, CreateMarketArgs):
        check_name_length(args.name, MARKET_NAME_MAX_BYTES)
    accounts = {
        "market": keys.market,
        "market_authority": keys.market_authority,
        "bids": keys.bids,
        "asks": keys.asks,
        "event_heap": keys.event_heap,
        "payer": payer,
        "market_base_vault": keys.base_vault,
        "market_quote_vault": keys.quote_vault,
        "base_mint": base_mint,
        "quote_mint": quote_mint,
        "system_program": SYSTEM_PROGRAM_ID,
        "token_program": TOKEN_PROGRAM_ID,
        "associated_token_program": ASSOCIATED_TOKEN_PROGRAM_ID,
        "oracle_a": keys.oracle_a,
        "oracle_b": keys.oracle_b,
        "collect_fee_admin": collect_fee_admin,
        "open_orders_admin": keys.open_orders_admin,
        "consume_events_admin": keys.consume_events_admin,
        "close_market_admin": keys.close_market_admin,
        "event_authority": pda.event_authority(keys.program_id),
        "program": keys.program_id,
    }
    return build_instruction("create_market", keys.program_id, accounts, args)


def sweep_fees(
    keys: MarketKeys, *, collect_fee_admin: Pubkey, token_receiver_account: Pubkey
) -> Instruction:
    """Return ``sweep_fees``: pay ``fees_available`` to a quote-mint token account."""
    accounts = {
        "collect_fee_admin": collect_fee_admin,
        "market": keys.market,
        "market_authority": keys.market_authority,
        "market_quote_vault": keys.quote_vault,
        "token_receiver_account": token_receiver_account,
        "token_program": TOKEN_PROGRAM_ID,
    }
    return build_instruction("sweep_fees", keys.program_id, accounts)


def _close_market_admin(keys: MarketKeys, name: str) -> Pubkey:
    if keys.close_market_admin is None:
        raise CodecError(f"{name} needs keys.close_market_admin, the market has none")
    return keys.close_market_admin


def set_market_expired(keys: MarketKeys) -> Instruction:
    """Return ``set_market_expired``; ``keys.close_market_admin`` signs."""
    accounts = {
        "close_market_admin": _close_market_admin(keys, "set_market_expired"),
        "market": keys.market,
    }
    return build_instruction("set_market_expired", keys.program_id, accounts)


def settle_funds_expired(
    keys: MarketKeys,
    *,
    owner: Pubkey,
    penalty_payer: Pubkey,
    open_orders_account: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
    referrer_account: Pubkey | None = None,
) -> Instruction:
    """Return ``settle_funds_expired`` (13 accounts): the close admin and the owner both sign."""
    accounts = {
        "close_market_admin": _close_market_admin(keys, "settle_funds_expired"),
        "owner": owner,
        "penalty_payer": penalty_payer,
        "open_orders_account": open_orders_account,
        "market": keys.market,
        "market_authority": keys.market_authority,
        "market_base_vault": keys.base_vault,
        "market_quote_vault": keys.quote_vault,
        "user_base_account": user_base_account,
        "user_quote_account": user_quote_account,
        "referrer_account": referrer_account,
        "token_program": TOKEN_PROGRAM_ID,
        "system_program": SYSTEM_PROGRAM_ID,
    }
    return build_instruction("settle_funds_expired", keys.program_id, accounts)


def close_market(keys: MarketKeys, *, sol_destination: Pubkey) -> Instruction:
    """Return ``close_market`` (expired and emptied markets only; the vaults stay open)."""
    accounts = {
        "close_market_admin": _close_market_admin(keys, "close_market"),
        "market": keys.market,
        "bids": keys.bids,
        "asks": keys.asks,
        "event_heap": keys.event_heap,
        "sol_destination": sol_destination,
        "token_program": TOKEN_PROGRAM_ID,
    }
    return build_instruction("close_market", keys.program_id, accounts)


def prune_orders(keys: MarketKeys, *, open_orders_account: Pubkey, limit: int) -> Instruction:
    """Return ``prune_orders`` (expired markets only); ``keys.close_market_admin`` signs."""
    accounts = {
        "close_market_admin": _close_market_admin(keys, "prune_orders"),
        "open_orders_account": open_orders_account,
        "market": keys.market,
        "bids": keys.bids,
        "asks": keys.asks,
    }
    return build_instruction("prune_orders", keys.program_id, accounts, LimitArgs(limit))
