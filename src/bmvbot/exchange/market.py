"""State of one OpenBook V2 market: parameters, counters, both book sides and the event heap.

The counters are the program's Market fields that change: the order sequence number, fees
(accrued, owed to referrers, available to sweep), volumes and the native amounts deposited in
the vaults. Matching lives in ``matching.py``; instruction handling in ``program.py``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

from bmvbot.core.types import Side
from bmvbot.exchange.book import BookSide
from bmvbot.exchange.errors import OpenBookErrorCode, openbook_error
from bmvbot.exchange.events import EventHeap
from bmvbot.exchange.fees import validate_fees
from bmvbot.exchange.logs import ProgramLog
from bmvbot.exchange.orders import I64_MAX

MAX_MARKET_NAME_BYTES = 16

COUNTER_FIELDS = (
    "seq_num",
    "fees_accrued",
    "fees_to_referrers",
    "referrer_rebates_accrued",
    "fees_available",
    "maker_volume",
    "taker_volume_wo_oo",
    "base_deposit_total",
    "quote_deposit_total",
)
_get_counters = operator.attrgetter(*COUNTER_FIELDS)


@dataclass(frozen=True, slots=True)
class MarketParams:
    """The ``create_market`` arguments and the mints' facts.

    Attributes:
        name: at most 16 UTF-8 bytes.
        base_mint: base token mint id.
        quote_mint: quote token mint id.
        base_decimals: decimals of the base mint.
        quote_decimals: decimals of the quote mint.
        base_lot_size: native base units per base lot (> 0).
        quote_lot_size: native quote units per quote lot (> 0).
        maker_fee: parts per million; negative is a rebate.
        taker_fee: parts per million (>= 0).
        time_expiry: unix seconds after which the market refuses orders; 0 = never.
        collect_fee_admin: who may sweep fees.
        open_orders_admin: co-signer every placement needs, None = nobody.
        consume_events_admin: the only allowed crank signer, None = anyone.
        close_market_admin: who may expire and close the market, None = nobody.
    """

    name: str
    base_mint: str
    quote_mint: str
    base_lot_size: int
    quote_lot_size: int
    base_decimals: int = 9
    quote_decimals: int = 6
    maker_fee: int = 0
    taker_fee: int = 0
    time_expiry: int = 0
    collect_fee_admin: str = ""
    open_orders_admin: str | None = None
    consume_events_admin: str | None = None
    close_market_admin: str | None = None


@dataclass(frozen=True, slots=True)
class MarketAccounts:
    """Account ids of a market: itself, its book sides, heap, authority and vaults."""

    market: str
    bids: str
    asks: str
    event_heap: str
    market_authority: str
    base_vault: str
    quote_vault: str

    @classmethod
    def derived(cls, market: str) -> MarketAccounts:
        """Return readable ids derived from the market id (for simulations)."""
        return cls(
            market=market,
            bids=f"{market}.bids",
            asks=f"{market}.asks",
            event_heap=f"{market}.event_heap",
            market_authority=f"{market}.authority",
            base_vault=f"{market}.base_vault",
            quote_vault=f"{market}.quote_vault",
        )


def validate_market_params(params: MarketParams, now_s: int) -> None:
    """Run the ``create_market`` checks in the program's order.

    Raises:
        ExchangeError: 6003 fees, 6002 expiry in the past, 6004 lot size <= 0, 6001 name.
    """
    validate_fees(params.maker_fee, params.taker_fee)
    if params.time_expiry != 0 and params.time_expiry <= now_s:
        raise openbook_error(
            OpenBookErrorCode.INVALID_INPUT_MARKET_EXPIRED,
            f"time_expiry must be 0 or after now ({now_s}), was {params.time_expiry}",
        )
    for field in ("quote_lot_size", "base_lot_size"):
        if getattr(params, field) <= 0:
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_LOTS,
                f"{field} must be > 0, was {getattr(params, field)}",
            )
    if len(params.name.encode()) > MAX_MARKET_NAME_BYTES:
        raise openbook_error(
            OpenBookErrorCode.INVALID_INPUT_NAME_LENGTH,
            f"market name must be at most {MAX_MARKET_NAME_BYTES} bytes, was {params.name!r}",
        )


class Market:
    """One market's mutable state (the Market, BookSide x2 and EventHeap accounts)."""

    __slots__ = (
        "accounts",
        "asks",
        "base_deposit_total",
        "base_lot_size",
        "bids",
        "event_heap",
        "fees_accrued",
        "fees_available",
        "fees_to_referrers",
        "logs",
        "maker_fee",
        "maker_volume",
        "max_base_lots",
        "max_quote_lots",
        "params",
        "quote_deposit_total",
        "quote_lot_size",
        "referrer_rebates_accrued",
        "registration_time",
        "seq_num",
        "taker_fee",
        "taker_volume_wo_oo",
        "time_expiry",
    )

    def __init__(
        self, accounts: MarketAccounts, params: MarketParams, registration_time: int
    ) -> None:
        self.accounts = accounts
        self.params = params
        self.base_lot_size = params.base_lot_size
        self.quote_lot_size = params.quote_lot_size
        self.maker_fee = params.maker_fee
        self.taker_fee = params.taker_fee
        self.time_expiry = params.time_expiry
        self.max_base_lots = I64_MAX // params.base_lot_size
        """``i64::MAX // base_lot_size``: the largest size an order may ask for."""
        self.max_quote_lots = I64_MAX // params.quote_lot_size
        """``i64::MAX // quote_lot_size``: the largest quote budget."""
        self.registration_time = registration_time
        self.bids = BookSide(Side.BID)
        self.asks = BookSide(Side.ASK)
        self.event_heap = EventHeap()
        self.seq_num = 0
        self.fees_accrued = 0
        self.fees_to_referrers = 0
        self.referrer_rebates_accrued = 0
        self.fees_available = 0
        self.maker_volume = 0
        self.taker_volume_wo_oo = 0
        self.base_deposit_total = 0
        self.quote_deposit_total = 0
        self.logs: list[ProgramLog] | None = None
        """Program logs of this market's instructions when recording is on; None otherwise."""

    @property
    def market_id(self) -> str:
        """Return the market account id."""
        return self.accounts.market

    def is_expired(self, now_s: int) -> bool:
        """Return True when the market refuses orders and deposits at ``now_s``."""
        return self.time_expiry != 0 and self.time_expiry < now_s

    def require_not_expired(self, now_s: int) -> None:
        """Raise 6030 MarketHasExpired when the market has expired at ``now_s``."""
        if self.time_expiry != 0 and self.time_expiry < now_s:
            raise openbook_error(
                OpenBookErrorCode.MARKET_HAS_EXPIRED,
                f"market {self.market_id} expired at {self.time_expiry}, now is {now_s}",
            )

    def drain_logs(self) -> list[ProgramLog]:
        """Return the recorded program logs, oldest first, and forget them."""
        if self.logs is None:
            return []
        logs = self.logs
        self.logs = []
        return logs

    def book_side(self, side: Side) -> BookSide:
        """Return the bids or the asks."""
        return self.bids if side is Side.BID else self.asks

    def snapshot_counters(self) -> tuple[int, ...]:
        """Return the counters, for ``restore_counters`` after a failed instruction."""
        return _get_counters(self)

    def restore_counters(self, counters: tuple[int, ...]) -> None:
        """Put back counters captured by ``snapshot_counters``."""
        for field, value in zip(COUNTER_FIELDS, counters, strict=True):
            setattr(self, field, value)
