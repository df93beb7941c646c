"""Account lists and argument structs of every OpenBook V2 instruction this codec knows.

One table drives both directions: the encoders in ``instructions`` fill it with keys, and a
program emulator can use it to name the accounts it receives and to check signer and writable
flags like the program does (fact sheet section 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from bmvbot.openbook.args import (
    CancelAllOrdersArgs,
    CancelOrderArgs,
    CancelOrderByClientOrderIdArgs,
    ConsumeEventsArgs,
    ConsumeGivenEventsArgs,
    CreateMarketArgs,
    DepositArgs,
    EditOrderArgs,
    LimitArgs,
    NameArgs,
    PlaceOrderArgs,
    PlaceOrdersArgs,
    PlaceTakeOrderArgs,
)


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """One account slot: its name, flags and whether Anchor treats it as optional."""

    name: str
    is_signer: bool = False
    is_writable: bool = False
    is_optional: bool = False


@dataclass(frozen=True, slots=True)
class InstructionLayout:
    """An instruction's fixed account list; ``takes_remaining`` if more may follow."""

    name: str
    accounts: tuple[AccountSpec, ...]
    takes_remaining: bool = False

    def index_of(self, account_name: str) -> int:
        """Return the position of ``account_name`` in the account list."""
        for index, spec in enumerate(self.accounts):
            if spec.name == account_name:
                return index
        raise KeyError(account_name)


def _spec(text: str) -> AccountSpec:
    # "name:SWO" - S signer, W writable, O optional
    name, _, flags = text.partition(":")
    return AccountSpec(name, "S" in flags, "W" in flags, "O" in flags)


def _layout(name: str, specs: str, *, takes_remaining: bool = False) -> InstructionLayout:
    return InstructionLayout(name, tuple(_spec(s) for s in specs.split()), takes_remaining)


_PLACE_ORDER = (
    "signer:S open_orders_account:W open_orders_admin:SO user_token_account:W market:W bids:W "
    "asks:W event_heap:W market_vault:W oracle_a:O oracle_b:O token_program"
)
_BATCH = (
    "signer:S open_orders_account:W open_orders_admin:SO user_quote_account:W "
    "user_base_account:W market:W bids:W asks:W event_heap:W market_quote_vault:W "
    "market_base_vault:W oracle_a:O oracle_b:O token_program"
)
_CANCEL = "signer:S open_orders_account:W market bids:W asks:W"
_FUNDING = (
    "owner:S user_base_account:W user_quote_account:W open_orders_account:W market:W "
    "market_base_vault:W market_quote_vault:W token_program"
)
_CONSUME = "consume_events_admin:SO market:W event_heap:W"
_SETTLE_TAIL = (
    "open_orders_account:W market:W market_authority market_base_vault:W market_quote_vault:W "
    "user_base_account:W user_quote_account:W referrer_account:WO token_program system_program"
)

INSTRUCTION_LAYOUTS: dict[str, InstructionLayout] = {
    layout.name: layout
    for layout in (
        _layout(
            "create_market",
            "market:SW market_authority bids:W asks:W event_heap:W payer:SW market_base_vault:W "
            "market_quote_vault:W base_mint quote_mint system_program token_program "
            "associated_token_program oracle_a:O oracle_b:O collect_fee_admin "
            "open_orders_admin:O consume_events_admin:O close_market_admin:O event_authority "
            "program",
        ),
        _layout(
            "close_market",
            "close_market_admin:S market:W bids:W asks:W event_heap:W sol_destination:W "
            "token_program",
        ),
        _layout(
            "create_open_orders_indexer",
            "payer:SW owner:S open_orders_indexer:W system_program",
        ),
        _layout(
            "close_open_orders_indexer",
            "owner:S open_orders_indexer:W sol_destination:W token_program",
        ),
        _layout(
            "create_open_orders_account",
            "payer:SW owner:S delegate_account:O open_orders_indexer:W open_orders_account:W "
            "market system_program",
        ),
        _layout(
            "close_open_orders_account",
            "owner:S open_orders_indexer:W open_orders_account:W sol_destination:W system_program",
        ),
        _layout("place_order", _PLACE_ORDER, takes_remaining=True),
        _layout("edit_order", _PLACE_ORDER, takes_remaining=True),
        _layout("place_orders", _BATCH),
        _layout("cancel_all_and_place_orders", _BATCH),
        _layout(
            "place_take_order",
            "signer:SW penalty_payer:SW market:W market_authority bids:W asks:W "
            "market_base_vault:W market_quote_vault:W event_heap:W user_base_account:W "
            "user_quote_account:W oracle_a:O oracle_b:O token_program system_program "
            "open_orders_admin:SO",
            takes_remaining=True,
        ),
        _layout("consume_events", _CONSUME, takes_remaining=True),
        _layout("consume_given_events", _CONSUME, takes_remaining=True),
        _layout("cancel_order", _CANCEL),
        _layout("cancel_order_by_client_order_id", _CANCEL),
        _layout("cancel_all_orders", _CANCEL),
        _layout("deposit", _FUNDING),
        _layout("refill", _FUNDING),
        _layout("settle_funds", "owner:SW penalty_payer:SW " + _SETTLE_TAIL),
        _layout(
            "settle_funds_expired",
            "close_market_admin:S owner:SW penalty_payer:SW " + _SETTLE_TAIL,
        ),
        _layout(
            "sweep_fees",
            "collect_fee_admin:S market:W market_authority market_quote_vault:W "
            "token_receiver_account:W token_program",
        ),
        _layout("set_delegate", "owner:SW open_orders_account:W delegate_account:O"),
        _layout("set_market_expired", "close_market_admin:S market:W"),
        _layout("prune_orders", "close_market_admin:S open_orders_account:W market bids:W asks:W"),
    )
}
"""Account lists by instruction name (the instructions this codec encodes and decodes)."""

ARGS_BY_INSTRUCTION: dict[
    str,
    type[CreateMarketArgs]
    | type[NameArgs]
    | type[DepositArgs]
    | type[PlaceOrderArgs]
    | type[EditOrderArgs]
    | type[PlaceOrdersArgs]
    | type[PlaceTakeOrderArgs]
    | type[CancelOrderArgs]
    | type[CancelOrderByClientOrderIdArgs]
    | type[CancelAllOrdersArgs]
    | type[LimitArgs]
    | type[ConsumeEventsArgs]
    | type[ConsumeGivenEventsArgs],
] = {
    "create_market": CreateMarketArgs,
    "create_open_orders_account": NameArgs,
    "deposit": DepositArgs,
    "refill": DepositArgs,
    "place_order": PlaceOrderArgs,
    "edit_order": EditOrderArgs,
    "place_orders": PlaceOrdersArgs,
    "cancel_all_and_place_orders": PlaceOrdersArgs,
    "place_take_order": PlaceTakeOrderArgs,
    "cancel_order": CancelOrderArgs,
    "cancel_order_by_client_order_id": CancelOrderByClientOrderIdArgs,
    "cancel_all_orders": CancelAllOrdersArgs,
    "consume_events": ConsumeEventsArgs,
    "consume_given_events": ConsumeGivenEventsArgs,
    "prune_orders": LimitArgs,
}
"""Argument struct by instruction name; instructions not listed take no arguments."""
