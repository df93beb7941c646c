"""Integer unit types, sides and market geometry shared by every layer.

Money crosses every boundary as an integer in native units or market lots; floats live only
inside formulas and come back through one quantizing function per direction (spec 3.1).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import NewType

from bmvbot.core.errors import ConfigError, InvariantError

PriceLots = NewType("PriceLots", int)
"""Price in quote lots per base lot (one tick = 1)."""
BaseLots = NewType("BaseLots", int)
"""Size in base lots of the market."""
QuoteLots = NewType("QuoteLots", int)
"""Amount in quote lots of the market."""
Lamports = NewType("Lamports", int)
"""SOL in lamports (1 SOL = 10**9)."""
BaseNative = NewType("BaseNative", int)
"""Base token in its smallest unit."""
QuoteNative = NewType("QuoteNative", int)
"""Quote token in its smallest unit."""
WalletId = NewType("WalletId", str)
"""A swarm wallet's public key (base58) or, in the simulator, its label."""

LAMPORTS_PER_SOL = 1_000_000_000
NS_PER_S = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_S
FEES_SCALE = 1_000_000
"""Fee rates are parts per million of the quote amount (1 bps = 100), as in OpenBook V2."""


def _pow10(exponent: int) -> int:
    # int ** int is typed as Any (a negative exponent gives a float); ours are 0..18
    return int(10**exponent)


class Side(enum.IntEnum):
    """Order side, numbered as OpenBook V2 encodes it."""

    BID = 0
    ASK = 1

    @property
    def opposite(self) -> Side:
        """Return the other side."""
        return Side.ASK if self is Side.BID else Side.BID


class PlaceOrderType(enum.IntEnum):
    """OpenBook V2 order types, numbered as the deployed v1.7 program decodes them.

    v1.7 has no FillOrKill: the later builds' 5 fails to deserialize there.
    """

    LIMIT = 0
    IMMEDIATE_OR_CANCEL = 1
    POST_ONLY = 2
    MARKET = 3
    POST_ONLY_SLIDE = 4

    @property
    def is_post_only(self) -> bool:
        """Return True for PostOnly and PostOnlySlide (they never take)."""
        return self is PlaceOrderType.POST_ONLY or self is PlaceOrderType.POST_ONLY_SLIDE

    @property
    def can_rest(self) -> bool:
        """Return True when an unfilled remainder may be posted on the book."""
        return self is not PlaceOrderType.IMMEDIATE_OR_CANCEL and self is not PlaceOrderType.MARKET


class SelfTradeBehavior(enum.IntEnum):
    """What an order does when it meets a resting order of its own OpenOrders account."""

    DECREMENT_TAKE = 0
    CANCEL_PROVIDE = 1
    ABORT_TRANSACTION = 2


class Rounding(enum.Enum):
    """Direction for quantizing a float to an integer unit."""

    DOWN = "down"
    UP = "up"
    NEAREST = "nearest"


def quantize(value: float, rounding: Rounding) -> int:
    """Return ``value`` rounded to an integer in the given direction.

    The one place floats come back to integers. A tiny tolerance (1e-9 relative, at most 1e-6
    absolute) keeps values that are integral up to float noise (``2.9999999999``) from being
    pushed a whole unit away.

    Raises:
        InvariantError: ``value`` is NaN or infinite.
    """
    if not math.isfinite(value):
        raise InvariantError(f"cannot quantize a non-finite value, was {value!r}")
    nearest = round(value)
    # the allowance is relative for small values but capped at 1e-6 of a unit, so that a large
    # value never rounds the wrong way (1e-9 * 2e9 would already be a whole unit)
    if abs(value - nearest) <= min(1e-9 * max(1.0, abs(value)), 1e-6):
        return int(nearest)
    if rounding is Rounding.DOWN:
        return math.floor(value)
    if rounding is Rounding.UP:
        return math.ceil(value)
    return int(nearest)


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """Geometry of one OpenBook V2 market: decimals, lot sizes and fees.

    Attributes:
        base_decimals: decimals of the base mint (default 9).
        quote_decimals: decimals of the quote mint (9 for SOL-quoted markets).
        base_lot_size: native base units per base lot (> 0).
        quote_lot_size: native quote units per quote lot (> 0).
        maker_fee_ppm: maker fee in parts per million; negative is a rebate.
        taker_fee_ppm: taker fee in parts per million (>= 0).
    """

    base_decimals: int = 9
    quote_decimals: int = 9
    base_lot_size: int = 1_000_000
    quote_lot_size: int = 1
    maker_fee_ppm: int = 0
    taker_fee_ppm: int = 0

    def __post_init__(self) -> None:
        for name in ("base_lot_size", "quote_lot_size"):
            if getattr(self, name) <= 0:
                raise ConfigError(
                    f"market.{name} must be > 0, was {getattr(self, name)}", key=f"market.{name}"
                )
        for name in ("base_decimals", "quote_decimals"):
            if not 0 <= getattr(self, name) <= 18:
                raise ConfigError(
                    f"market.{name} must be 0..18, was {getattr(self, name)}", key=f"market.{name}"
                )
        if not 0 <= self.taker_fee_ppm <= FEES_SCALE:
            raise ConfigError(
                f"market.taker_fee_ppm must be 0..{FEES_SCALE}, was {self.taker_fee_ppm}",
                key="market.taker_fee_ppm",
            )
        if self.maker_fee_ppm < 0 and -self.maker_fee_ppm > self.taker_fee_ppm:
            raise ConfigError(
                "market.maker_fee_ppm rebate must not exceed the taker fee "
                f"({self.taker_fee_ppm}), was {self.maker_fee_ppm}",
                key="market.maker_fee_ppm",
            )

    @property
    def ui_per_price_lot(self) -> float:
        """Return the UI price of one tick: ``qls * 10^bd / (bls * 10^qd)``."""
        return (
            self.quote_lot_size
            * _pow10(self.base_decimals)
            / (self.base_lot_size * _pow10(self.quote_decimals))
        )

    @property
    def ui_per_base_lot(self) -> float:
        """Return the UI size of one base lot: ``bls / 10^bd``."""
        return self.base_lot_size / _pow10(self.base_decimals)

    def price_to_lots(self, price_ui: float, rounding: Rounding) -> PriceLots:
        """Return the UI price ``price_ui`` in ticks, rounded as asked (bids down, asks up)."""
        return PriceLots(quantize(price_ui / self.ui_per_price_lot, rounding))

    def price_to_ui(self, price_lots: float) -> float:
        """Return the UI price of ``price_lots`` ticks (fractional ticks allowed)."""
        return price_lots * self.ui_per_price_lot

    def size_to_lots(self, size_ui: float, rounding: Rounding = Rounding.DOWN) -> BaseLots:
        """Return the UI base size ``size_ui`` in base lots, rounded down unless asked."""
        return BaseLots(quantize(size_ui / self.ui_per_base_lot, rounding))

    def size_to_ui(self, size_lots: int) -> float:
        """Return the UI base size of ``size_lots`` base lots."""
        return size_lots * self.ui_per_base_lot

    def quote_native(self, price_lots: int, size_lots: int) -> QuoteNative:
        """Return the native quote value of ``size_lots`` at ``price_lots``: ``N*P*qls``."""
        return QuoteNative(price_lots * size_lots * self.quote_lot_size)

    def quote_to_ui(self, quote_native: int) -> float:
        """Return a native quote amount in UI units."""
        return quote_native / _pow10(self.quote_decimals)

    def quote_ui_to_native(
        self, quote_ui: float, rounding: Rounding = Rounding.DOWN
    ) -> QuoteNative:
        """Return a UI quote amount in native units."""
        return QuoteNative(quantize(quote_ui * _pow10(self.quote_decimals), rounding))


@dataclass(frozen=True, slots=True)
class Level:
    """One order of the grid: a side, a price in ticks and a size in base lots.

    Raises:
        InvariantError: the price or size is not positive.
    """

    side: Side
    price_lots: PriceLots
    size_base_lots: BaseLots

    def __post_init__(self) -> None:
        if self.price_lots <= 0 or self.size_base_lots <= 0:
            raise InvariantError(
                f"a level needs a positive price and size, was price_lots={self.price_lots} "
                f"size_base_lots={self.size_base_lots}"
            )


@dataclass(frozen=True, slots=True)
class Grid:
    """A target or resting grid: bids best (highest) first, asks best (lowest) first."""

    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()

    @property
    def levels(self) -> tuple[Level, ...]:
        """Return every level, bids first."""
        return self.bids + self.asks

    @property
    def is_empty(self) -> bool:
        """Return True when the grid has no level on either side."""
        return not self.bids and not self.asks


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One aggregated L2 price level of the order book."""

    price_lots: PriceLots
    size_base_lots: BaseLots


@dataclass(frozen=True, slots=True)
class L2Snapshot:
    """Top of the order book: bids by descending price, asks by ascending price."""

    bids: tuple[BookLevel, ...] = ()
    asks: tuple[BookLevel, ...] = ()

    @property
    def best_bid(self) -> PriceLots | None:
        """Return the best bid price, or None on an empty bid side."""
        return self.bids[0].price_lots if self.bids else None

    @property
    def best_ask(self) -> PriceLots | None:
        """Return the best ask price, or None on an empty ask side."""
        return self.asks[0].price_lots if self.asks else None

    @property
    def mid_price_lots(self) -> float | None:
        """Return the mid price in (fractional) ticks, or None unless both sides have orders."""
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].price_lots + self.asks[0].price_lots) / 2
