"""Order types, instruction arguments, order ids and resting orders of the OpenBook V2 model.

Prices are in ticks (price lots: quote lots per base lot) and sizes in base lots. An order id is
the program's tree key: ``price_lots << 64 | seq`` for asks and ``price_lots << 64 | (2^64-1-seq)``
for bids, where ``seq`` is the market's order counter, so ascending ids are ask priority and
descending ids bid priority.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bmvbot.core.types import PlaceOrderType, SelfTradeBehavior, Side
from bmvbot.exchange.errors import anchor_error
from bmvbot.exchange.events import FillEvent

U64_MAX = (1 << 64) - 1
I64_MAX = (1 << 63) - 1
U16_MAX = (1 << 16) - 1
_I64_MIN = -(1 << 63)
I64 = (_I64_MIN, I64_MAX)
U64 = (0, U64_MAX)
U8 = (0, 255)


def require_wire_range(field: str, value: int, bounds: tuple[int, int]) -> None:
    """Refuse a value its instruction field cannot encode, as deserialization would.

    Raises:
        ExchangeError: anchor 102 InstructionDidNotDeserialize naming the field and range.
    """
    low, high = bounds
    if not low <= value <= high:
        raise anchor_error(
            102,
            "InstructionDidNotDeserialize",
            f"{field} must be {low}..{high}, was {value}",
        )


MARKET_BID_PRICE_LOTS = I64_MAX
"""The implicit limit of a Market bid."""
MARKET_ASK_PRICE_LOTS = 1
"""The implicit limit of a Market ask."""


def order_type_from_wire(value: int) -> PlaceOrderType:
    """Return the order type encoded as ``value`` in an instruction.

    Raises:
        ExchangeError: anchor 102 InstructionDidNotDeserialize for any other value (5, the later
            builds' FillOrKill, included).
    """
    try:
        return PlaceOrderType(value)
    except ValueError:
        raise anchor_error(
            102, "InstructionDidNotDeserialize", f"order_type must be 0..4, was {value}"
        ) from None


def order_id_for(side: Side, price_lots: int, seq_num: int) -> int:
    """Return the order id (tree key) of an order with ``seq_num`` at ``price_lots``."""
    low = seq_num if side is Side.ASK else U64_MAX - seq_num
    return (price_lots << 64) | low


def price_of_order_id(order_id: int) -> int:
    """Return the price in lots encoded in a fixed-price order id."""
    return order_id >> 64


def seq_of_order_id(side: Side, order_id: int) -> int:
    """Return the market sequence number encoded in an order id of ``side``."""
    low = order_id & U64_MAX
    return low if side is Side.ASK else U64_MAX - low


def tif_from_expiry(expiry_timestamp: int, now_s: int) -> int | None:
    """Return the time in force for ``expiry_timestamp``: 0 = never, None = already expired.

    A future expiry is clamped to 65,535 s (the u16 the program stores).
    """
    if expiry_timestamp == 0:
        return 0
    tif = min(max(expiry_timestamp - now_s, 0), U16_MAX)
    return tif if tif else None


@dataclass(frozen=True, slots=True)
class PlaceOrderArgs:
    """Arguments of ``place_order`` (and the order inside ``edit_order``).

    Attributes:
        side: bid or ask.
        price_lots: limit price in ticks (>= 1, also for Market orders).
        max_base_lots: size cap in base lots (>= 0).
        max_quote_lots_including_fees: quote budget in quote lots, taker fee included (>= 0).
        client_order_id: free-form id echoed in fills.
        order_type: one of :class:`PlaceOrderType`.
        expiry_timestamp: unix seconds; 0 = never; a past time skips the order.
        self_trade_behavior: one of :class:`SelfTradeBehavior`.
        limit: most resting orders this order may match.
    """

    side: Side
    price_lots: int
    max_base_lots: int
    max_quote_lots_including_fees: int
    client_order_id: int = 0
    order_type: PlaceOrderType = PlaceOrderType.LIMIT
    expiry_timestamp: int = 0
    self_trade_behavior: SelfTradeBehavior = SelfTradeBehavior.DECREMENT_TAKE
    limit: int = 10

    def __post_init__(self) -> None:
        # one combined test on the hot path; name the offending field only when it fails
        is_encodable = (
            _I64_MIN <= self.price_lots <= I64_MAX
            and _I64_MIN <= self.max_base_lots <= I64_MAX
            and _I64_MIN <= self.max_quote_lots_including_fees <= I64_MAX
            and 0 <= self.client_order_id <= U64_MAX
            and 0 <= self.expiry_timestamp <= U64_MAX
            and 0 <= self.limit <= 255
        )
        if not is_encodable:
            require_wire_range("price_lots", self.price_lots, I64)
            require_wire_range("max_base_lots", self.max_base_lots, I64)
            require_wire_range(
                "max_quote_lots_including_fees", self.max_quote_lots_including_fees, I64
            )
            require_wire_range("client_order_id", self.client_order_id, U64)
            require_wire_range("expiry_timestamp", self.expiry_timestamp, U64)
            require_wire_range("limit", self.limit, U8)


@dataclass(frozen=True, slots=True)
class PlaceMultipleOrdersArgs:
    """One entry of ``place_orders`` / ``cancel_all_and_place_orders`` (no side, size or id)."""

    price_lots: int
    max_quote_lots_including_fees: int
    expiry_timestamp: int = 0

    def __post_init__(self) -> None:
        require_wire_range("price_lots", self.price_lots, I64)
        require_wire_range("max_quote_lots_including_fees", self.max_quote_lots_including_fees, I64)
        require_wire_range("expiry_timestamp", self.expiry_timestamp, U64)


@dataclass(frozen=True, slots=True)
class PlaceOrdersArgs:
    """Arguments of ``place_orders`` / ``cancel_all_and_place_orders``.

    Attributes:
        orders_type: the type of every entry (PostOnly for a resting grid).
        bids: bid entries, placed first (client ids 0..len(bids)-1).
        asks: ask entries, placed after the bids.
        limit: matching limit of each entry (the TS client uses 12).
    """

    orders_type: PlaceOrderType
    bids: tuple[PlaceMultipleOrdersArgs, ...]
    asks: tuple[PlaceMultipleOrdersArgs, ...]
    limit: int = 12

    def __post_init__(self) -> None:
        require_wire_range("limit", self.limit, U8)


@dataclass(frozen=True, slots=True)
class PlaceTakeOrderArgs:
    """Arguments of ``place_take_order`` (Market or ImmediateOrCancel only)."""

    side: Side
    price_lots: int
    max_base_lots: int
    max_quote_lots_including_fees: int
    order_type: PlaceOrderType = PlaceOrderType.MARKET
    limit: int = 10

    def __post_init__(self) -> None:
        require_wire_range("price_lots", self.price_lots, I64)
        require_wire_range("max_base_lots", self.max_base_lots, I64)
        require_wire_range("max_quote_lots_including_fees", self.max_quote_lots_including_fees, I64)
        require_wire_range("limit", self.limit, U8)


class RestingOrder:
    """One order resting on a book side (the program's LeafNode).

    ``quantity`` is the only field that changes while the order rests (partial fills).
    """

    __slots__ = (
        "client_order_id",
        "order_id",
        "owner",
        "owner_slot",
        "price_lots",
        "quantity",
        "seq_num",
        "side",
        "time_in_force",
        "timestamp",
    )

    def __init__(
        self,
        side: Side,
        order_id: int,
        price_lots: int,
        quantity: int,
        owner: str,
        owner_slot: int,
        timestamp: int,
        time_in_force: int,
        client_order_id: int,
        seq_num: int,
    ) -> None:
        self.side = side
        self.order_id = order_id
        self.price_lots = price_lots
        self.quantity = quantity
        self.owner = owner
        self.owner_slot = owner_slot
        self.timestamp = timestamp
        self.time_in_force = time_in_force
        self.client_order_id = client_order_id
        self.seq_num = seq_num

    @property
    def expiry(self) -> int:
        """Return ``timestamp + time_in_force``, or 0 for an order that never expires."""
        return self.timestamp + self.time_in_force if self.time_in_force else 0

    def is_expired(self, now_s: int) -> bool:
        """Return True once ``now_s >= timestamp + time_in_force`` (never for tif 0)."""
        return self.time_in_force > 0 and now_s >= self.timestamp + self.time_in_force

    def __repr__(self) -> str:
        return (
            f"RestingOrder({self.side.name} {self.quantity}@{self.price_lots} owner={self.owner} "
            f"slot={self.owner_slot} seq={self.seq_num})"
        )


class OrderResult(NamedTuple):
    """What one order did (the program's ``OrderWithAmounts``), in native units.

    Attributes:
        order_id: the id of the posted remainder, None when nothing rests.
        posted_base_lots: size posted on the book.
        total_base_taken_native: base bought (bid) or sold (ask) by taking.
        total_quote_taken_native: quote paid (bid) or received (ask) before the taker fee.
        taker_fees_native: taker fee charged.
        maker_fees_native: maker fee locked for a posted bid (positive maker fee only).
        referrer_amount_native: taker fee minus maker rebates.
        posted_base_native: base locked by the posted order.
        posted_quote_native: quote locked by the posted order (bids).
        fills: every match, in order (applied inline or waiting on the event heap).
    """

    order_id: int | None
    posted_base_lots: int
    total_base_taken_native: int
    total_quote_taken_native: int
    taker_fees_native: int
    maker_fees_native: int
    referrer_amount_native: int
    posted_base_native: int
    posted_quote_native: int
    fills: tuple[FillEvent, ...] = ()

    @classmethod
    def skipped(cls) -> OrderResult:
        """Return the result of an order skipped because its expiry had passed."""
        return cls(None, 0, 0, 0, 0, 0, 0, 0, 0)
