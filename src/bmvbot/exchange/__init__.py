"""Pure model of one OpenBook V2 market (program v1.7): book, matching, accounts, fees, events.

No I/O. ``Exchange`` exposes one method per program instruction; the simulated venue and the
localnet emulator drive it.
"""

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
    PlaceOrderType,
    PlaceTakeOrderArgs,
    RestingOrder,
    SelfTradeBehavior,
    order_id_for,
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
]
