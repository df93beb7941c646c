"""Compute units of emulated OpenBook instructions: an estimate, reported but not enforced.

The emulator runs no bytecode, so it cannot meter. Batches follow the fit measured on the
program (fact sheet 9); every other instruction takes the largest amount the golden traces
recorded for it, rounded up. Against the golden traces the estimate is at most 9 % low (a
``place_orders`` that fills) and up to 5x high (a crank with few events).
"""

from __future__ import annotations

from bmvbot.localnet.account_lifecycle import InstructionCall
from bmvbot.openbook import args as ob_args
from bmvbot.openbook.open_orders import (
    OPEN_ORDERS_ACCOUNT_DISCRIMINATOR,
    OPEN_ORDERS_ACCOUNT_SIZE,
    decode_open_orders_account,
)

BATCH_BASE_UNITS = 21_800
BATCH_UNITS_PER_CANCEL = 2_300
BATCH_UNITS_PER_ENTRY = 7_750
DEFAULT_UNITS = 30_000
"""For an instruction the traces never recorded."""

MEASURED_UNITS = {
    "cancel_all_orders": 10_000, "cancel_order": 9_000, "cancel_order_by_client_order_id": 9_000,
    "close_market": 15_000, "close_open_orders_account": 8_000, "close_open_orders_indexer": 5_000,
    "consume_events": 26_000, "consume_given_events": 26_000, "create_market": 106_200,
    "create_open_orders_account": 27_500, "create_open_orders_indexer": 18_600,
    "deposit": 19_200, "edit_order": 25_000, "place_order": 33_000, "place_take_order": 33_100,
    "prune_orders": 10_000, "refill": 19_400, "set_delegate": 3_800, "set_market_expired": 3_000,
    "settle_funds": 22_300, "settle_funds_expired": 22_300, "sweep_fees": 11_800,
}  # fmt: skip


def estimated_units(call: InstructionCall) -> int:
    """Return an estimate of the compute units the program spends on ``call``.

    Batches follow the fit measured on the program (fact sheet 9): 21,800 + 2,300 per order
    cancelled + 7,750 per entry placed; other instructions take the largest amount the golden
    traces recorded for them (rounded up). The emulator reports it; it does not enforce it.
    """
    args = call.args
    if isinstance(args, ob_args.PlaceOrdersArgs):
        cancelled = 0
        if call.name == "cancel_all_and_place_orders":
            account = call.named.get("open_orders_account")
            stored = None if account is None else call.state.store.get(account)
            data = b"" if stored is None else bytes(stored.data)
            if (
                len(data) == OPEN_ORDERS_ACCOUNT_SIZE
                and data[:8] == OPEN_ORDERS_ACCOUNT_DISCRIMINATOR
            ):
                cancelled = decode_open_orders_account(data).open_orders_in_use
        entries = len(args.bids) + len(args.asks)
        return (
            BATCH_BASE_UNITS + BATCH_UNITS_PER_CANCEL * cancelled + BATCH_UNITS_PER_ENTRY * entries
        )
    return MEASURED_UNITS.get(call.name, DEFAULT_UNITS)
