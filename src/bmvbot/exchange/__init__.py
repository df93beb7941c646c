"""Pure model of one OpenBook V2 market (program v1.7): book, matching, accounts, fees, events.

No I/O. ``Exchange`` exposes one method per program instruction and is all-or-nothing per
instruction: a refusal raises :class:`ExchangeError` (a ``RejectedError`` carrying the
program's error kind, code and name) and changes nothing. Times are unix seconds, prices
ticks (price lots), sizes base lots, money native token units; the ``TokenLedger`` holds the
wallets' token accounts and the vaults.

Example::

    exchange = Exchange()
    exchange.create_market(MarketAccounts.derived("m"), MarketParams(
        name="SOL/USDC", base_mint="SOL", quote_mint="USDC", base_lot_size=1_000_000,
        quote_lot_size=1, maker_fee=-200, taker_fee=400, collect_fee_admin="admin"), now_s)
    exchange.ledger.open_account("w.quote", "USDC", "w", 10**9)
    exchange.create_open_orders_indexer("w")
    account = exchange.create_open_orders_account("w", "m", "bot")       # "w.oo1"
    result = exchange.place_order("w", account, PlaceOrderArgs(
        Side.BID, price_lots=150_000, max_base_lots=10, max_quote_lots_including_fees=1_500_000,
        order_type=PlaceOrderType.POST_ONLY), "w.quote", now_s)
    result.order_id, result.fills                     # resting id, matches made
    exchange.consume_events("m", 8, [account])        # the crank: makers learn of fills
"""

from bmvbot.core.types import PlaceOrderType, SelfTradeBehavior
from bmvbot.exchange.errors import ErrorKind, ExchangeError, OpenBookErrorCode
from bmvbot.exchange.events import EventHeap, FillEvent, OutEvent
from bmvbot.exchange.ledger import TokenLedger
from bmvbot.exchange.logs import FillLog, ProgramLog, TotalOrderFillEvent
from bmvbot.exchange.market import Market, MarketAccounts, MarketParams
from bmvbot.exchange.open_orders import OpenOrdersAccount
from bmvbot.exchange.orders import (
    OrderResult,
    PlaceMultipleOrdersArgs,
    PlaceOrderArgs,
    PlaceOrdersArgs,
    PlaceTakeOrderArgs,
    RestingOrder,
    order_id_for,
    order_type_from_wire,
)
from bmvbot.exchange.program import ConsumeResult, Exchange

__all__ = [
    "ConsumeResult",
    "ErrorKind",
    "EventHeap",
    "Exchange",
    "ExchangeError",
    "FillEvent",
    "FillLog",
    "Market",
    "MarketAccounts",
    "MarketParams",
    "OpenBookErrorCode",
    "OpenOrdersAccount",
    "OrderResult",
    "OutEvent",
    "PlaceMultipleOrdersArgs",
    "PlaceOrderArgs",
    "PlaceOrderType",
    "PlaceOrdersArgs",
    "PlaceTakeOrderArgs",
    "ProgramLog",
    "RestingOrder",
    "SelfTradeBehavior",
    "TokenLedger",
    "TotalOrderFillEvent",
    "order_id_for",
    "order_type_from_wire",
]
