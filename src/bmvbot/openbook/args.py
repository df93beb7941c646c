"""Instruction argument structs of OpenBook V2 and their Borsh encoding (fact sheet 2.1).

Field names and order follow ``prog/lib.rs``; enums are stored as their Borsh index. Each struct
has ``write(w)`` and ``read(r)``; values are range-checked on write (``CodecError``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeVar

from bmvbot.core.errors import CodecError
from bmvbot.core.types import PlaceOrderType, SelfTradeBehavior, Side
from bmvbot.openbook.borsh import BorshReader, BorshWriter

MARKET_NAME_MAX_BYTES = 16
OPEN_ORDERS_NAME_MAX_BYTES = 32


_E = TypeVar("_E", bound=enum.IntEnum)


def _read_enum(r: BorshReader, enum_type: type[_E], field: str) -> _E:
    value = r.integer("u8", field)
    try:
        return enum_type(value)
    except ValueError as e:
        allowed = ", ".join(f"{m.value} {m.name}" for m in enum_type)
        raise CodecError(f"{field} must be one of {allowed}; was {value}") from e


def _write_enum(w: BorshWriter, value: object, enum_type: type[enum.IntEnum], field: str) -> None:
    # accept plain ints too, but only valid indices
    if isinstance(value, bool) or not isinstance(value, int) or value not in set(enum_type):
        allowed = ", ".join(f"{m.value} {m.name}" for m in enum_type)
        raise CodecError(f"{field} must be one of {allowed}; was {value!r}")
    w.integer(int(value), "u8", field)


@dataclass(frozen=True, slots=True)
class OracleConfigParams:
    """Oracle settings of ``create_market``: ``conf_filter`` f32, ``max_staleness_slots``."""

    conf_filter: float = 0.1
    max_staleness_slots: int | None = None

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding (5 bytes, or 9 with a staleness limit)."""
        w.f32(self.conf_filter, "oracle_config.conf_filter")
        w.option_tag(self.max_staleness_slots is not None)
        if self.max_staleness_slots is not None:
            w.integer(self.max_staleness_slots, "u32", "oracle_config.max_staleness_slots")

    @classmethod
    def read(cls, r: BorshReader) -> OracleConfigParams:
        """Read the Borsh encoding."""
        conf_filter = r.f32("oracle_config.conf_filter")
        staleness = None
        if r.option_tag("oracle_config.max_staleness_slots"):
            staleness = r.integer("u32", "oracle_config.max_staleness_slots")
        return cls(conf_filter=conf_filter, max_staleness_slots=staleness)


@dataclass(frozen=True, slots=True)
class CreateMarketArgs:
    """``create_market`` arguments; note quote_lot_size comes before base_lot_size.

    The name may be at most 16 bytes (checked by ``instructions.create_market``, else 6001).
    """

    name: str
    oracle_config: OracleConfigParams
    quote_lot_size: int
    base_lot_size: int
    maker_fee: int
    taker_fee: int
    time_expiry: int

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.string(self.name, "name")
        if not isinstance(self.oracle_config, OracleConfigParams):
            raise CodecError(
                f"oracle_config must be OracleConfigParams, was {self.oracle_config!r}"
            )
        self.oracle_config.write(w)
        for field in ("quote_lot_size", "base_lot_size", "maker_fee", "taker_fee", "time_expiry"):
            w.integer(getattr(self, field), "i64", field)

    @classmethod
    def read(cls, r: BorshReader) -> CreateMarketArgs:
        """Read the Borsh encoding."""
        name = r.string("name")
        oracle_config = OracleConfigParams.read(r)
        quote_lot_size, base_lot_size, maker_fee, taker_fee, time_expiry = (
            r.integer("i64", field)
            for field in (
                "quote_lot_size",
                "base_lot_size",
                "maker_fee",
                "taker_fee",
                "time_expiry",
            )
        )
        return cls(
            name, oracle_config, quote_lot_size, base_lot_size, maker_fee, taker_fee, time_expiry
        )


@dataclass(frozen=True, slots=True)
class NameArgs:
    """``create_open_orders_account`` argument: the account's name (the program allows 32 B)."""

    name: str

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.string(self.name, "name")

    @classmethod
    def read(cls, r: BorshReader) -> NameArgs:
        """Read the Borsh encoding."""
        return cls(r.string("name"))


@dataclass(frozen=True, slots=True)
class DepositArgs:
    """``deposit`` / ``refill`` arguments in native token units (refill: target totals)."""

    base_amount: int
    quote_amount: int

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.integer(self.base_amount, "u64", "base_amount").integer(
            self.quote_amount, "u64", "quote_amount"
        )

    @classmethod
    def read(cls, r: BorshReader) -> DepositArgs:
        """Read the Borsh encoding."""
        return cls(r.integer("u64", "base_amount"), r.integer("u64", "quote_amount"))


@dataclass(frozen=True, slots=True)
class PlaceOrderArgs:
    """``place_order`` arguments (44 bytes); prices and sizes in lots."""

    side: Side
    price_lots: int
    max_base_lots: int
    max_quote_lots_including_fees: int
    client_order_id: int
    order_type: PlaceOrderType
    expiry_timestamp: int = 0
    self_trade_behavior: SelfTradeBehavior = SelfTradeBehavior.DECREMENT_TAKE
    limit: int = 10

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        _write_enum(w, self.side, Side, "side")
        w.integer(self.price_lots, "i64", "price_lots")
        w.integer(self.max_base_lots, "i64", "max_base_lots")
        w.integer(self.max_quote_lots_including_fees, "i64", "max_quote_lots_including_fees")
        w.integer(self.client_order_id, "u64", "client_order_id")
        _write_enum(w, self.order_type, PlaceOrderType, "order_type")
        w.integer(self.expiry_timestamp, "u64", "expiry_timestamp")
        _write_enum(w, self.self_trade_behavior, SelfTradeBehavior, "self_trade_behavior")
        w.integer(self.limit, "u8", "limit")

    @classmethod
    def read(cls, r: BorshReader) -> PlaceOrderArgs:
        """Read the Borsh encoding."""
        return cls(
            side=_read_enum(r, Side, "side"),
            price_lots=r.integer("i64", "price_lots"),
            max_base_lots=r.integer("i64", "max_base_lots"),
            max_quote_lots_including_fees=r.integer("i64", "max_quote_lots_including_fees"),
            client_order_id=r.integer("u64", "client_order_id"),
            order_type=_read_enum(r, PlaceOrderType, "order_type"),
            expiry_timestamp=r.integer("u64", "expiry_timestamp"),
            self_trade_behavior=_read_enum(r, SelfTradeBehavior, "self_trade_behavior"),
            limit=r.integer("u8", "limit"),
        )


@dataclass(frozen=True, slots=True)
class EditOrderArgs:
    """``edit_order`` arguments: cancel by client id, then place ``place_order``."""

    client_order_id: int
    expected_cancel_size: int
    place_order: PlaceOrderArgs

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.integer(self.client_order_id, "u64", "client_order_id")
        w.integer(self.expected_cancel_size, "i64", "expected_cancel_size")
        if not isinstance(self.place_order, PlaceOrderArgs):
            raise CodecError(f"place_order must be PlaceOrderArgs, was {self.place_order!r}")
        self.place_order.write(w)

    @classmethod
    def read(cls, r: BorshReader) -> EditOrderArgs:
        """Read the Borsh encoding."""
        return cls(
            r.integer("u64", "client_order_id"),
            r.integer("i64", "expected_cancel_size"),
            PlaceOrderArgs.read(r),
        )


@dataclass(frozen=True, slots=True)
class PlaceMultipleOrdersArgs:
    """One entry of a batch (24 bytes): no side, size or client id (fact sheet 6.4)."""

    price_lots: int
    max_quote_lots_including_fees: int
    expiry_timestamp: int = 0

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.integer(self.price_lots, "i64", "price_lots")
        w.integer(self.max_quote_lots_including_fees, "i64", "max_quote_lots_including_fees")
        w.integer(self.expiry_timestamp, "u64", "expiry_timestamp")

    @classmethod
    def read(cls, r: BorshReader) -> PlaceMultipleOrdersArgs:
        """Read the Borsh encoding."""
        return cls(
            r.integer("i64", "price_lots"),
            r.integer("i64", "max_quote_lots_including_fees"),
            r.integer("u64", "expiry_timestamp"),
        )


def _write_entries(w: BorshWriter, entries: object, field: str) -> None:
    if not isinstance(entries, tuple | list):
        raise CodecError(f"{field} must be a sequence of PlaceMultipleOrdersArgs, was {entries!r}")
    w.integer(len(entries), "u32", f"{field} length")
    for index, entry in enumerate(entries):
        if not isinstance(entry, PlaceMultipleOrdersArgs):
            raise CodecError(f"{field}[{index}] must be PlaceMultipleOrdersArgs, was {entry!r}")
        entry.write(w)


def _read_entries(r: BorshReader, field: str) -> tuple[PlaceMultipleOrdersArgs, ...]:
    count = r.integer("u32", f"{field} length")
    if count * 24 > r.remaining:
        raise CodecError(f"{field} claims {count} entries of 24 bytes, only {r.remaining} left")
    return tuple(PlaceMultipleOrdersArgs.read(r) for _ in range(count))


@dataclass(frozen=True, slots=True)
class PlaceOrdersArgs:
    """``place_orders`` / ``cancel_all_and_place_orders`` arguments.

    Bids come first, then asks; each entry's client_order_id is its index in bids ++ asks.
    """

    orders_type: PlaceOrderType
    bids: tuple[PlaceMultipleOrdersArgs, ...]
    asks: tuple[PlaceMultipleOrdersArgs, ...]
    limit: int = 10

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding (10 + 24 n bytes)."""
        _write_enum(w, self.orders_type, PlaceOrderType, "orders_type")
        _write_entries(w, self.bids, "bids")
        _write_entries(w, self.asks, "asks")
        w.integer(self.limit, "u8", "limit")

    @classmethod
    def read(cls, r: BorshReader) -> PlaceOrdersArgs:
        """Read the Borsh encoding."""
        orders_type = _read_enum(r, PlaceOrderType, "orders_type")
        bids = _read_entries(r, "bids")
        asks = _read_entries(r, "asks")
        return cls(orders_type, bids, asks, r.integer("u8", "limit"))


@dataclass(frozen=True, slots=True)
class PlaceTakeOrderArgs:
    """``place_take_order`` arguments (27 bytes); only Market or IOC types are accepted."""

    side: Side
    price_lots: int
    max_base_lots: int
    max_quote_lots_including_fees: int
    order_type: PlaceOrderType
    limit: int = 10

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        _write_enum(w, self.side, Side, "side")
        w.integer(self.price_lots, "i64", "price_lots")
        w.integer(self.max_base_lots, "i64", "max_base_lots")
        w.integer(self.max_quote_lots_including_fees, "i64", "max_quote_lots_including_fees")
        _write_enum(w, self.order_type, PlaceOrderType, "order_type")
        w.integer(self.limit, "u8", "limit")

    @classmethod
    def read(cls, r: BorshReader) -> PlaceTakeOrderArgs:
        """Read the Borsh encoding."""
        return cls(
            side=_read_enum(r, Side, "side"),
            price_lots=r.integer("i64", "price_lots"),
            max_base_lots=r.integer("i64", "max_base_lots"),
            max_quote_lots_including_fees=r.integer("i64", "max_quote_lots_including_fees"),
            order_type=_read_enum(r, PlaceOrderType, "order_type"),
            limit=r.integer("u8", "limit"),
        )


@dataclass(frozen=True, slots=True)
class CancelOrderArgs:
    """``cancel_order`` argument: the u128 order id (the book key)."""

    order_id: int

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.integer(self.order_id, "u128", "order_id")

    @classmethod
    def read(cls, r: BorshReader) -> CancelOrderArgs:
        """Read the Borsh encoding."""
        return cls(r.integer("u128", "order_id"))


@dataclass(frozen=True, slots=True)
class CancelOrderByClientOrderIdArgs:
    """``cancel_order_by_client_order_id`` argument."""

    client_order_id: int

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.integer(self.client_order_id, "u64", "client_order_id")

    @classmethod
    def read(cls, r: BorshReader) -> CancelOrderByClientOrderIdArgs:
        """Read the Borsh encoding."""
        return cls(r.integer("u64", "client_order_id"))


@dataclass(frozen=True, slots=True)
class CancelAllOrdersArgs:
    """``cancel_all_orders`` arguments: an optional side and the number of slots to process."""

    side_option: Side | None
    limit: int

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding (2 bytes, or 3 with a side)."""
        w.option_tag(self.side_option is not None)
        if self.side_option is not None:
            _write_enum(w, self.side_option, Side, "side_option")
        w.integer(self.limit, "u8", "limit")

    @classmethod
    def read(cls, r: BorshReader) -> CancelAllOrdersArgs:
        """Read the Borsh encoding."""
        side = _read_enum(r, Side, "side_option") if r.option_tag("side_option") else None
        return cls(side, r.integer("u8", "limit"))


@dataclass(frozen=True, slots=True)
class LimitArgs:
    """A single ``u8`` limit (``prune_orders``)."""

    limit: int

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.integer(self.limit, "u8", "limit")

    @classmethod
    def read(cls, r: BorshReader) -> LimitArgs:
        """Read the Borsh encoding."""
        return cls(r.integer("u8", "limit"))


@dataclass(frozen=True, slots=True)
class ConsumeEventsArgs:
    """``consume_events`` argument: at most this many events (usize, sent as u64)."""

    limit: int

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        w.integer(self.limit, "u64", "limit")

    @classmethod
    def read(cls, r: BorshReader) -> ConsumeEventsArgs:
        """Read the Borsh encoding."""
        return cls(r.integer("u64", "limit"))


@dataclass(frozen=True, slots=True)
class ConsumeGivenEventsArgs:
    """``consume_given_events`` argument: event-heap slots (Vec<usize>, sent as Vec<u64>)."""

    slots: tuple[int, ...]

    def write(self, w: BorshWriter) -> None:
        """Append the Borsh encoding."""
        if not isinstance(self.slots, tuple | list):
            raise CodecError(f"slots must be a sequence of integers, was {self.slots!r}")
        w.integer(len(self.slots), "u32", "slots length")
        for index, slot in enumerate(self.slots):
            w.integer(slot, "u64", f"slots[{index}]")

    @classmethod
    def read(cls, r: BorshReader) -> ConsumeGivenEventsArgs:
        """Read the Borsh encoding."""
        count = r.integer("u32", "slots length")
        if count * 8 > r.remaining:
            raise CodecError(f"slots claims {count} entries of 8 bytes, only {r.remaining} left")
        return cls(tuple(r.integer("u64", f"slots[{i}]") for i in range(count)))


InstructionArgs = (
    CreateMarketArgs
    | NameArgs
    | DepositArgs
    | PlaceOrderArgs
    | EditOrderArgs
    | PlaceOrdersArgs
    | PlaceTakeOrderArgs
    | CancelOrderArgs
    | CancelOrderByClientOrderIdArgs
    | CancelAllOrdersArgs
    | LimitArgs
    | ConsumeEventsArgs
    | ConsumeGivenEventsArgs
)
"""Any decoded instruction argument struct."""
