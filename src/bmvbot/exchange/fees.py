"""Fee arithmetic of OpenBook V2 (``Market`` fee helpers), in parts per million of quote.

``FEES_SCALE`` = 1,000,000 (1 bps = 100). A negative maker fee is a rebate paid out of the taker
fee. Every helper rounds exactly as the program does: taker fees and locked maker fees up,
charged maker fees and rebates down.
"""

from __future__ import annotations

from bmvbot.core.types import FEES_SCALE
from bmvbot.exchange.errors import OpenBookErrorCode, openbook_error


def validate_fees(maker_fee: int, taker_fee: int) -> None:
    """Check the fee rule of ``create_market``.

    ``|maker_fee| <= 1e6``, ``|taker_fee| <= 1e6``, ``taker_fee >= 0`` and a rebate no larger
    than the taker fee.

    Raises:
        ExchangeError: 6003 InvalidInputMarketFees.
    """
    is_valid = (
        abs(maker_fee) <= FEES_SCALE
        and abs(taker_fee) <= FEES_SCALE
        and taker_fee >= 0
        and (maker_fee >= 0 or -maker_fee <= taker_fee)
    )
    if not is_valid:
        raise openbook_error(
            OpenBookErrorCode.INVALID_INPUT_MARKET_FEES,
            f"maker_fee {maker_fee} / taker_fee {taker_fee} ppm are not allowed: |fee| <= "
            f"{FEES_SCALE}, taker_fee >= 0, a rebate at most the taker fee",
        )


def subtract_taker_fees(quote_lots: int, taker_fee: int) -> int:
    """Return the quote a bid may spend before its taker fee: ``q * 1e6 // (1e6 + taker_fee)``."""
    return quote_lots * FEES_SCALE // (FEES_SCALE + taker_fee)


def taker_fees_ceil(amount: int, taker_fee: int) -> int:
    """Return ``ceil(amount * taker_fee / 1e6)``."""
    return (amount * taker_fee + FEES_SCALE - 1) // FEES_SCALE


def maker_fees_ceil(amount: int, maker_fee: int) -> int:
    """Return ``ceil(amount * maker_fee / 1e6)`` for a positive maker fee, else 0."""
    if maker_fee > 0:
        return (amount * maker_fee + FEES_SCALE - 1) // FEES_SCALE
    return 0


def maker_fees_floor(amount: int, maker_fee: int) -> int:
    """Return ``floor(amount * maker_fee / 1e6)`` for a positive maker fee, else 0."""
    if maker_fee > 0:
        return amount * maker_fee // FEES_SCALE
    return 0


def maker_rebate_floor(amount: int, maker_fee: int) -> int:
    """Return ``floor(amount * |maker_fee| / 1e6)`` for a rebate (maker_fee <= 0), else 0."""
    if maker_fee > 0:
        return 0
    return amount * -maker_fee // FEES_SCALE
