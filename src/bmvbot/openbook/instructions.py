"""OpenBook V2 instruction encoders (fact sheet sections 1.1, 3 and 8.3).

Every encoder returns a ``solders.instruction.Instruction`` with the program's exact account
list. Optional accounts that are absent are passed as the program id, neither signer nor writable
(what the official client and the golden traces do), so the account count never changes.
``decode_instruction`` turns instruction data back into the argument struct, and
``named_accounts`` maps an account list back to the program's account names (both re-exported
from ``instruction_codec``).
"""

from __future__ import annotations

from collections.abc import Sequence

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.core.types import Side
from bmvbot.openbook import pda
from bmvbot.openbook.administration import (
    close_market,
    create_market,
    prune_orders,
    set_market_expired,
    settle_funds_expired,
    sweep_fees,
)
from bmvbot.openbook.args import (
    OPEN_ORDERS_NAME_MAX_BYTES,
    CancelAllOrdersArgs,
    CancelOrderArgs,
    CancelOrderByClientOrderIdArgs,
    ConsumeEventsArgs,
    ConsumeGivenEventsArgs,
    DepositArgs,
    EditOrderArgs,
    NameArgs,
    PlaceOrderArgs,
    PlaceOrdersArgs,
    PlaceTakeOrderArgs,
)
from bmvbot.openbook.ids import (
    OPENBOOK_PROGRAM_ID,
    SYSTEM_PROGRAM_ID,
    TOKEN_PROGRAM_ID,
)
from bmvbot.openbook.instruction_codec import (
    AccountFlagViolation,
    DecodedInstruction,
    MarketKeys,
    account_flag_violations,
    build_instruction,
    check_name_length,
    decode_instruction,
    encode_instruction_data,
    named_accounts,
)
from bmvbot.openbook.layouts import AccountSpec, InstructionLayout

__all__ = [
    "AccountFlagViolation",
    "AccountSpec",
    "DecodedInstruction",
    "InstructionLayout",
    "MarketKeys",
    "account_flag_violations",
    "cancel_all_and_place_orders",
    "cancel_all_orders",
    "cancel_order",
    "cancel_order_by_client_order_id",
    "close_market",
    "close_open_orders_account",
    "close_open_orders_indexer",
    "consume_events",
    "consume_given_events",
    "create_market",
    "create_open_orders_account",
    "create_open_orders_indexer",
    "decode_instruction",
    "deposit",
    "edit_order",
    "encode_instruction_data",
    "named_accounts",
    "place_order",
    "place_orders",
    "place_take_order",
    "prune_orders",
    "refill",
    "set_delegate",
    "set_market_expired",
    "settle_funds",
    "settle_funds_expired",
    "sweep_fees",
]


# --- market creation and OpenOrders plumbing -------------------------------------------------


def create_open_orders_indexer(
    *,
    payer: Pubkey,
    owner: Pubkey,
    open_orders_indexer: Pubkey | None = None,
    program_id: Pubkey = OPENBOOK_PROGRAM_ID,
) -> Instruction:
    """Return ``create_open_orders_indexer``; the indexer defaults to the owner's PDA."""
    accounts = {
        "payer": payer,
        "owner": owner,
        "open_orders_indexer": open_orders_indexer or pda.open_orders_indexer(owner, program_id),
        "system_program": SYSTEM_PROGRAM_ID,
    }
    return build_instruction("create_open_orders_indexer", program_id, accounts)


def create_open_orders_account(
    *,
    payer: Pubkey,
    owner: Pubkey,
    market: Pubkey,
    open_orders_account: Pubkey,
    name: str,
    delegate: Pubkey | None = None,
    open_orders_indexer: Pubkey | None = None,
    program_id: Pubkey = OPENBOOK_PROGRAM_ID,
    check_name: bool = True,
) -> Instruction:
    """Return ``create_open_orders_account``.

    ``open_orders_account`` must be ``pda.open_orders_account(owner, created_counter + 1)`` of
    the owner's indexer; the name is at most 32 bytes (``check_name=False`` lets a longer one
    through; the program answers 6001).
    """
    if check_name:
        check_name_length(name, OPEN_ORDERS_NAME_MAX_BYTES)
    accounts = {
        "payer": payer,
        "owner": owner,
        "delegate_account": delegate,
        "open_orders_indexer": open_orders_indexer or pda.open_orders_indexer(owner, program_id),
        "open_orders_account": open_orders_account,
        "market": market,
        "system_program": SYSTEM_PROGRAM_ID,
    }
    return build_instruction("create_open_orders_account", program_id, accounts, NameArgs(name))


def close_open_orders_account(
    *,
    owner: Pubkey,
    open_orders_account: Pubkey,
    sol_destination: Pubkey,
    open_orders_indexer: Pubkey | None = None,
    program_id: Pubkey = OPENBOOK_PROGRAM_ID,
) -> Instruction:
    """Return ``close_open_orders_account`` (owner only; the position must be empty)."""
    accounts = {
        "owner": owner,
        "open_orders_indexer": open_orders_indexer or pda.open_orders_indexer(owner, program_id),
        "open_orders_account": open_orders_account,
        "sol_destination": sol_destination,
        "system_program": SYSTEM_PROGRAM_ID,
    }
    return build_instruction("close_open_orders_account", program_id, accounts)


def close_open_orders_indexer(
    *,
    owner: Pubkey,
    sol_destination: Pubkey,
    open_orders_indexer: Pubkey | None = None,
    program_id: Pubkey = OPENBOOK_PROGRAM_ID,
) -> Instruction:
    """Return ``close_open_orders_indexer`` (built by hand: the TS builder is broken, 8.3)."""
    accounts = {
        "owner": owner,
        "open_orders_indexer": open_orders_indexer or pda.open_orders_indexer(owner, program_id),
        "sol_destination": sol_destination,
        "token_program": TOKEN_PROGRAM_ID,
    }
    return build_instruction("close_open_orders_indexer", program_id, accounts)


def set_delegate(
    *,
    owner: Pubkey,
    open_orders_account: Pubkey,
    delegate: Pubkey | None,
    program_id: Pubkey = OPENBOOK_PROGRAM_ID,
) -> Instruction:
    """Return ``set_delegate``; ``delegate=None`` clears it."""
    accounts = {
        "owner": owner,
        "open_orders_account": open_orders_account,
        "delegate_account": delegate,
    }
    return build_instruction("set_delegate", program_id, accounts)


def _funding_accounts(
    keys: MarketKeys,
    owner: Pubkey,
    open_orders_account: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
) -> dict[str, Pubkey | None]:
    return {
        "owner": owner,
        "user_base_account": user_base_account,
        "user_quote_account": user_quote_account,
        "open_orders_account": open_orders_account,
        "market": keys.market,
        "market_base_vault": keys.base_vault,
        "market_quote_vault": keys.quote_vault,
        "token_program": TOKEN_PROGRAM_ID,
    }


def deposit(
    keys: MarketKeys,
    *,
    owner: Pubkey,
    open_orders_account: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
    base_amount: int,
    quote_amount: int,
) -> Instruction:
    """Return ``deposit`` of native amounts into the OpenOrders free balances."""
    accounts = _funding_accounts(
        keys, owner, open_orders_account, user_base_account, user_quote_account
    )
    args = DepositArgs(base_amount, quote_amount)
    return build_instruction("deposit", keys.program_id, accounts, args)


def refill(
    keys: MarketKeys,
    *,
    owner: Pubkey,
    open_orders_account: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
    base_amount: int,
    quote_amount: int,
) -> Instruction:
    """Return ``refill``: top the free balances up to these native totals."""
    accounts = _funding_accounts(
        keys, owner, open_orders_account, user_base_account, user_quote_account
    )
    args = DepositArgs(base_amount, quote_amount)
    return build_instruction("refill", keys.program_id, accounts, args)


# --- trading ----------------------------------------------------------------------------------


def _order_accounts(
    keys: MarketKeys, signer: Pubkey, open_orders_account: Pubkey
) -> dict[str, Pubkey | None]:
    return {
        "signer": signer,
        "open_orders_account": open_orders_account,
        "open_orders_admin": keys.open_orders_admin,
        "market": keys.market,
        "bids": keys.bids,
        "asks": keys.asks,
        "event_heap": keys.event_heap,
        "oracle_a": keys.oracle_a,
        "oracle_b": keys.oracle_b,
        "token_program": TOKEN_PROGRAM_ID,
    }


def place_order(
    keys: MarketKeys,
    *,
    signer: Pubkey,
    open_orders_account: Pubkey,
    user_token_account: Pubkey,
    args: PlaceOrderArgs,
    remaining_accounts: Sequence[Pubkey] = (),
) -> Instruction:
    """Return ``place_order`` (12 accounts + maker OpenOrders accounts to fill inline).

    ``signer`` is the OpenOrders owner or its delegate; ``user_token_account`` holds quote for a
    bid and base for an ask, and the vault is chosen by side the same way.
    """
    if not isinstance(args, PlaceOrderArgs):
        raise CodecError(f"place_order takes PlaceOrderArgs, was {type(args).__name__}")
    accounts = _order_accounts(keys, signer, open_orders_account)
    accounts["user_token_account"] = user_token_account
    accounts["market_vault"] = keys.vault(args.side)
    return build_instruction("place_order", keys.program_id, accounts, args, remaining_accounts)


def edit_order(
    keys: MarketKeys,
    *,
    signer: Pubkey,
    open_orders_account: Pubkey,
    user_token_account: Pubkey,
    args: EditOrderArgs,
    remaining_accounts: Sequence[Pubkey] = (),
) -> Instruction:
    """Return ``edit_order`` (same accounts as place_order; the vault follows the new side).

    On v1.7 it places nothing unless ``expected_cancel_size`` exceeds what it cancelled.
    """
    if not isinstance(args, EditOrderArgs):
        raise CodecError(f"edit_order takes EditOrderArgs, was {type(args).__name__}")
    accounts = _order_accounts(keys, signer, open_orders_account)
    accounts["user_token_account"] = user_token_account
    accounts["market_vault"] = keys.vault(args.place_order.side)
    return build_instruction("edit_order", keys.program_id, accounts, args, remaining_accounts)


def _batch(
    name: str,
    keys: MarketKeys,
    signer: Pubkey,
    open_orders_account: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
    args: PlaceOrdersArgs,
) -> Instruction:
    accounts = _order_accounts(keys, signer, open_orders_account)
    accounts["user_quote_account"] = user_quote_account
    accounts["user_base_account"] = user_base_account
    accounts["market_quote_vault"] = keys.quote_vault
    accounts["market_base_vault"] = keys.base_vault
    return build_instruction(name, keys.program_id, accounts, args)


def place_orders(
    keys: MarketKeys,
    *,
    signer: Pubkey,
    open_orders_account: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
    args: PlaceOrdersArgs,
) -> Instruction:
    """Return ``place_orders`` (14 accounts): post a batch without cancelling first."""
    return _batch(
        "place_orders",
        keys,
        signer,
        open_orders_account,
        user_base_account,
        user_quote_account,
        args,
    )


def cancel_all_and_place_orders(
    keys: MarketKeys,
    *,
    signer: Pubkey,
    open_orders_account: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
    args: PlaceOrdersArgs,
) -> Instruction:
    """Return ``cancel_all_and_place_orders`` (14 accounts): the atomic per-account rebalance.

    Data is 18 + 24 n bytes for n entries; sizes are set only by each entry's quote budget.
    """
    return _batch(
        "cancel_all_and_place_orders",
        keys,
        signer,
        open_orders_account,
        user_base_account,
        user_quote_account,
        args,
    )


def place_take_order(
    keys: MarketKeys,
    *,
    signer: Pubkey,
    penalty_payer: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
    args: PlaceTakeOrderArgs,
    remaining_accounts: Sequence[Pubkey] = (),
) -> Instruction:
    """Return ``place_take_order`` (16 accounts, no OpenOrders account; settles at once)."""
    accounts = {
        "signer": signer,
        "penalty_payer": penalty_payer,
        "market": keys.market,
        "market_authority": keys.market_authority,
        "bids": keys.bids,
        "asks": keys.asks,
        "market_base_vault": keys.base_vault,
        "market_quote_vault": keys.quote_vault,
        "event_heap": keys.event_heap,
        "user_base_account": user_base_account,
        "user_quote_account": user_quote_account,
        "oracle_a": keys.oracle_a,
        "oracle_b": keys.oracle_b,
        "token_program": TOKEN_PROGRAM_ID,
        "system_program": SYSTEM_PROGRAM_ID,
        "open_orders_admin": keys.open_orders_admin,
    }
    return build_instruction(
        "place_take_order", keys.program_id, accounts, args, remaining_accounts
    )


def _cancel_accounts(
    keys: MarketKeys, signer: Pubkey, open_orders_account: Pubkey
) -> dict[str, Pubkey | None]:
    return {
        "signer": signer,
        "open_orders_account": open_orders_account,
        "market": keys.market,
        "bids": keys.bids,
        "asks": keys.asks,
    }


def cancel_order(
    keys: MarketKeys, *, signer: Pubkey, open_orders_account: Pubkey, order_id: int
) -> Instruction:
    """Return ``cancel_order`` of the u128 ``order_id`` (owner or delegate signs)."""
    accounts = _cancel_accounts(keys, signer, open_orders_account)
    return build_instruction("cancel_order", keys.program_id, accounts, CancelOrderArgs(order_id))


def cancel_order_by_client_order_id(
    keys: MarketKeys, *, signer: Pubkey, open_orders_account: Pubkey, client_order_id: int
) -> Instruction:
    """Return ``cancel_order_by_client_order_id`` (v1.7: the first match only, else 6038)."""
    accounts = _cancel_accounts(keys, signer, open_orders_account)
    args = CancelOrderByClientOrderIdArgs(client_order_id)
    return build_instruction("cancel_order_by_client_order_id", keys.program_id, accounts, args)


def cancel_all_orders(
    keys: MarketKeys,
    *,
    signer: Pubkey,
    open_orders_account: Pubkey,
    side_option: Side | None = None,
    limit: int = 24,
) -> Instruction:
    """Return ``cancel_all_orders``: up to ``limit`` slots, of one side or (None) both."""
    accounts = _cancel_accounts(keys, signer, open_orders_account)
    args = CancelAllOrdersArgs(side_option, limit)
    return build_instruction("cancel_all_orders", keys.program_id, accounts, args)


# --- crank and settlement ---------------------------------------------------------------------


def _consume_accounts(keys: MarketKeys) -> dict[str, Pubkey | None]:
    return {
        "consume_events_admin": keys.consume_events_admin,
        "market": keys.market,
        "event_heap": keys.event_heap,
    }


def consume_events(
    keys: MarketKeys, *, limit: int, open_orders_accounts: Sequence[Pubkey]
) -> Instruction:
    """Return ``consume_events`` (at most 8 are processed) with the OpenOrders accounts named.

    Events whose OpenOrders account is not passed are skipped and stay on the heap.
    """
    args = ConsumeEventsArgs(limit)
    return build_instruction(
        "consume_events", keys.program_id, _consume_accounts(keys), args, open_orders_accounts
    )


def consume_given_events(
    keys: MarketKeys, *, slots: Sequence[int], open_orders_accounts: Sequence[Pubkey]
) -> Instruction:
    """Return ``consume_given_events`` for these event-heap slots (each < 600)."""
    args = ConsumeGivenEventsArgs(tuple(slots))
    return build_instruction(
        "consume_given_events",
        keys.program_id,
        _consume_accounts(keys),
        args,
        open_orders_accounts,
    )


def settle_funds(
    keys: MarketKeys,
    *,
    owner: Pubkey,
    penalty_payer: Pubkey,
    open_orders_account: Pubkey,
    user_base_account: Pubkey,
    user_quote_account: Pubkey,
    referrer_account: Pubkey | None = None,
) -> Instruction:
    """Return ``settle_funds`` (12 accounts); ``owner`` (or the delegate) signs, writable.

    v1.7 rejects a read-only owner (2000 ConstraintMut), so it is always sent writable.
    """
    accounts = {
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
    return build_instruction("settle_funds", keys.program_id, accounts)
