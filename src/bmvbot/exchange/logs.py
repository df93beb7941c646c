"""Program logs (Anchor events) the model emits, field for field as the v1.7 program does.

Recording is off unless the Exchange is created with ``record_logs=True``: then every market
keeps the logs of its instructions in ``Market.logs`` (a failed instruction leaves none), and
``Market.drain_logs`` hands them out. ``FillLog`` is emitted when a fill reaches the maker (crank
or inline) and carries the exact fees; ``TotalOrderFillEvent`` once per taking order.
"""

from __future__ import annotations

from typing import NamedTuple


class FillLog(NamedTuple):
    """A fill applied to its maker's account (crank or inline)."""

    market: str
    taker_side: int
    maker_slot: int
    maker_out: bool
    timestamp: int
    seq_num: int
    maker: str
    maker_client_order_id: int
    maker_fee: int
    maker_timestamp: int
    taker: str
    taker_client_order_id: int
    taker_fee_ceil: int
    price: int
    quantity: int


class OpenOrdersPositionLog(NamedTuple):
    """An OpenOrders account's position after a fill touched it."""

    owner: str
    open_orders_account_num: int
    market: str
    bids_base_lots: int
    bids_quote_lots: int
    asks_base_lots: int
    base_free_native: int
    quote_free_native: int
    locked_maker_fees: int
    referrer_rebates_available: int
    maker_volume: int
    taker_volume: int


class TotalOrderFillEvent(NamedTuple):
    """What one taking order paid and received in total (native units)."""

    side: int
    taker: str
    total_quantity_paid: int
    total_quantity_received: int
    fees: int


class SettleFundsLog(NamedTuple):
    """A settle_funds payout."""

    open_orders_account: str
    base_native: int
    quote_native: int
    referrer_rebate: int
    referrer: str | None


class DepositLog(NamedTuple):
    """A deposit of a non-zero amount."""

    open_orders_account: str
    signer: str
    base_amount: int
    quote_amount: int


class SweepFeesLog(NamedTuple):
    """Fees paid out to the collect fee admin's receiver."""

    market: str
    amount: int
    receiver: str


class SetDelegateLog(NamedTuple):
    """A delegate set (or cleared: None)."""

    open_orders_account: str
    delegate: str | None


class MarketMetaDataLog(NamedTuple):
    """A market's creation (emitted by self-CPI in the program)."""

    market: str
    name: str
    base_mint: str
    quote_mint: str
    base_decimals: int
    quote_decimals: int
    base_lot_size: int
    quote_lot_size: int


ProgramLog = (
    FillLog
    | OpenOrdersPositionLog
    | TotalOrderFillEvent
    | SettleFundsLog
    | DepositLog
    | SweepFeesLog
    | SetDelegateLog
    | MarketMetaDataLog
)
