"""Program outputs of OpenBook V2: Anchor log events and instruction return data.

Events are ``8-byte discriminator + Borsh fields`` (fact sheet 1.3). They reach clients as
``Program data: <base64>`` log lines, or (``MarketMetaDataLog`` of create_market) as a self-CPI
whose data is ``EVENT_IX_TAG + event``. Each event type is a frozen dataclass whose fields are
in wire order; ``decode_event`` / ``encode_event`` convert both ways.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from dataclasses import dataclass

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.openbook.borsh import BorshReader, BorshWriter
from bmvbot.openbook.ids import EVENT_BY_DISCRIMINATOR, EVENT_DISCRIMINATORS, EVENT_IX_TAG

PROGRAM_DATA_PREFIX = "Program data: "


@dataclass(frozen=True, slots=True)
class FillLog:
    """A fill processed (inline or by the crank); fees in native quote, price in lots."""

    market: Pubkey
    taker_side: int
    maker_slot: int
    maker_out: bool
    timestamp: int
    seq_num: int
    maker: Pubkey
    maker_client_order_id: int
    maker_fee: int
    maker_timestamp: int
    taker: Pubkey
    taker_client_order_id: int
    taker_fee_ceil: int
    price: int
    quantity: int


@dataclass(frozen=True, slots=True)
class TakerSignatureLog:
    """Emitted per match by builds after v1.7 only."""

    market: Pubkey
    seq_num: int


@dataclass(frozen=True, slots=True)
class TotalOrderFillEvent:
    """Totals of one taking order, native units."""

    side: int
    taker: Pubkey
    total_quantity_paid: int
    total_quantity_received: int
    fees: int


@dataclass(frozen=True, slots=True)
class OpenOrdersPositionLog:
    """An OpenOrders account's position after a fill."""

    owner: Pubkey
    open_orders_account_num: int
    market: Pubkey
    bids_base_lots: int
    bids_quote_lots: int
    asks_base_lots: int
    base_free_native: int
    quote_free_native: int
    locked_maker_fees: int
    referrer_rebates_available: int
    maker_volume: int
    taker_volume: int


@dataclass(frozen=True, slots=True)
class SettleFundsLog:
    """What settle_funds paid out, native units."""

    open_orders_account: Pubkey
    base_native: int
    quote_native: int
    referrer_rebate: int
    referrer: Pubkey | None


@dataclass(frozen=True, slots=True)
class DepositLog:
    """A deposit (only emitted when an amount is positive)."""

    open_orders_account: Pubkey
    signer: Pubkey
    base_amount: int
    quote_amount: int


@dataclass(frozen=True, slots=True)
class MarketMetaDataLog:
    """A market was created (emitted through the event-authority self-CPI)."""

    market: Pubkey
    name: str
    base_mint: Pubkey
    quote_mint: Pubkey
    base_decimals: int
    quote_decimals: int
    base_lot_size: int
    quote_lot_size: int


@dataclass(frozen=True, slots=True)
class SetDelegateLog:
    """A delegate was set (or cleared: None)."""

    open_orders_account: Pubkey
    delegate: Pubkey | None


@dataclass(frozen=True, slots=True)
class SweepFeesLog:
    """sweep_fees paid ``amount`` native quote to ``receiver``."""

    market: Pubkey
    amount: int
    receiver: Pubkey


ProgramEvent = (
    FillLog
    | TakerSignatureLog
    | TotalOrderFillEvent
    | OpenOrdersPositionLog
    | SettleFundsLog
    | DepositLog
    | MarketMetaDataLog
    | SetDelegateLog
    | SweepFeesLog
)

_KINDS: dict[type[ProgramEvent], tuple[str, ...]] = {
    FillLog: (
        "pubkey", "u8", "u8", "bool", "u64", "u64", "pubkey", "u64", "u64", "u64", "pubkey",
        "u64", "u64", "i64", "i64",
    ),
    TakerSignatureLog: ("pubkey", "u64"),
    TotalOrderFillEvent: ("u8", "pubkey", "u64", "u64", "u64"),
    OpenOrdersPositionLog: (
        "pubkey", "u32", "pubkey", "i64", "i64", "i64", "u64", "u64", "u64", "u64", "u128",
        "u128",
    ),
    SettleFundsLog: ("pubkey", "u64", "u64", "u64", "option_pubkey"),
    DepositLog: ("pubkey", "pubkey", "u64", "u64"),
    MarketMetaDataLog: ("pubkey", "string", "pubkey", "pubkey", "u8", "u8", "i64", "i64"),
    SetDelegateLog: ("pubkey", "option_pubkey"),
    SweepFeesLog: ("pubkey", "u64", "pubkey"),
}  # fmt: skip
_BY_NAME: dict[str, type[ProgramEvent]] = {cls.__name__: cls for cls in _KINDS}


def _read(r: BorshReader, kind: str, field: str) -> object:
    if kind == "pubkey":
        return r.pubkey(field)
    if kind == "option_pubkey":
        return r.pubkey(field) if r.option_tag(field) else None
    if kind == "bool":
        return r.boolean(field)
    if kind == "string":
        return r.string(field)
    return r.integer(kind, field)


def _write(w: BorshWriter, kind: str, value: object, field: str) -> None:
    if kind == "pubkey":
        w.pubkey(value, field)
    elif kind == "option_pubkey":
        w.option_tag(value is not None)
        if value is not None:
            w.pubkey(value, field)
    elif kind == "bool":
        w.boolean(value, field)
    elif kind == "string":
        w.string(value, field)
    else:
        w.integer(value, kind, field)


def decode_event(payload: bytes, *, strict: bool = True) -> ProgramEvent:
    """Return the event in ``payload`` (discriminator + Borsh fields).

    Raises:
        CodecError: unknown discriminator, truncated fields, or (strict) trailing bytes.
    """
    name = EVENT_BY_DISCRIMINATOR.get(bytes(payload[:8]))
    if name is None:
        raise CodecError(f"unknown OpenBook event discriminator {bytes(payload[:8]).hex()}")
    cls = _BY_NAME[name]
    r = BorshReader(payload, 8, what=f"{name} event")
    fields = dataclasses.fields(cls)
    values = [_read(r, kind, f.name) for f, kind in zip(fields, _KINDS[cls], strict=True)]
    if strict:
        r.expect_end()
    return cls(*values)  # type: ignore[arg-type]  # the kinds table gives each field's type


def encode_event(event: ProgramEvent) -> bytes:
    """Return the payload of ``event``: its discriminator and Borsh fields."""
    cls = type(event)
    w = BorshWriter(EVENT_DISCRIMINATORS[cls.__name__])
    for f, kind in zip(dataclasses.fields(cls), _KINDS[cls], strict=True):
        _write(w, kind, getattr(event, f.name), f.name)
    return bytes(w)


def decode_program_data_log(line: str) -> ProgramEvent | None:
    """Return the event of a ``Program data: <base64>`` log line; None for other lines.

    Raises:
        CodecError: the base64 is invalid or the payload is not an OpenBook event.
    """
    if not line.startswith(PROGRAM_DATA_PREFIX):
        return None
    try:
        payload = base64.b64decode(line[len(PROGRAM_DATA_PREFIX) :], validate=True)
    except binascii.Error as e:
        raise CodecError(f"Program data log line is not valid base64: {line!r}") from e
    return decode_event(payload)


def program_data_log(event: ProgramEvent) -> str:
    """Return the ``Program data: <base64>`` log line the program writes for ``event``."""
    return PROGRAM_DATA_PREFIX + base64.b64encode(encode_event(event)).decode()


def decode_cpi_event(instruction_data: bytes) -> ProgramEvent:
    """Return the event carried by an ``emit_cpi!`` self-CPI (``EVENT_IX_TAG`` + event).

    Raises:
        CodecError: the data does not start with the event-CPI tag or holds no valid event.
    """
    if bytes(instruction_data[:8]) != EVENT_IX_TAG:
        raise CodecError(
            f"not an Anchor event CPI: tag {bytes(instruction_data[:8]).hex()}, "
            f"expected {EVENT_IX_TAG.hex()}"
        )
    return decode_event(instruction_data[8:])


def encode_cpi_event(event: ProgramEvent) -> bytes:
    """Return the self-CPI instruction data ``emit_cpi!`` uses for ``event``."""
    return EVENT_IX_TAG + encode_event(event)


# --- return data ------------------------------------------------------------------------------

ReturnValue = int | None | list[int | None]
"""Order id (``Option<u128>``), a list of them, or a quantity (i64)."""

_OPTION_ID_INSTRUCTIONS = frozenset({"place_order", "edit_order"})
_LIST_INSTRUCTIONS = frozenset({"place_orders", "cancel_all_and_place_orders"})


def _read_option_id(r: BorshReader, field: str) -> int | None:
    return r.integer("u128", field) if r.option_tag(field) else None


def decode_return_data(instruction_name: str, data: bytes) -> ReturnValue:
    """Return the value an instruction set as return data; None for empty data.

    place_order / edit_order: ``Option<u128>`` order id; place_orders and
    cancel_all_and_place_orders: ``Vec<Option<u128>>``; cancel_order_by_client_order_id: the
    i64 quantity cancelled.

    Raises:
        CodecError: the instruction returns nothing, or the data is malformed.
    """
    if not data:
        return None
    r = BorshReader(data, what=f"{instruction_name} return data")
    value: ReturnValue
    if instruction_name in _OPTION_ID_INSTRUCTIONS:
        value = _read_option_id(r, "order_id")
    elif instruction_name in _LIST_INSTRUCTIONS:
        count = r.integer("u32", "order ids length")
        if count > r.remaining:
            raise CodecError(f"return data claims {count} order ids, {r.remaining} bytes left")
        value = [_read_option_id(r, f"order_ids[{i}]") for i in range(count)]
    elif instruction_name == "cancel_order_by_client_order_id":
        value = r.integer("i64", "quantity")
    else:
        raise CodecError(f"{instruction_name} sets no return data, was {bytes(data).hex()}")
    r.expect_end()
    return value


def encode_return_data(instruction_name: str, value: ReturnValue) -> bytes:
    """Return the return-data bytes the program sets for ``value`` (see decode_return_data)."""
    w = BorshWriter()
    if instruction_name in _OPTION_ID_INSTRUCTIONS and not isinstance(value, list):
        w.option_tag(value is not None)
        if value is not None:
            w.integer(value, "u128", "order_id")
    elif instruction_name in _LIST_INSTRUCTIONS and isinstance(value, list):
        w.integer(len(value), "u32", "order ids length")
        for index, order_id in enumerate(value):
            w.option_tag(order_id is not None)
            if order_id is not None:
                w.integer(order_id, "u128", f"order_ids[{index}]")
    elif instruction_name == "cancel_order_by_client_order_id" and isinstance(value, int):
        w.integer(value, "i64", "quantity")
    else:
        raise CodecError(f"{instruction_name} cannot return {value!r}")
    return bytes(w)
