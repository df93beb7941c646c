"""What fills, releases and cancels do to OpenOrders accounts (and the logs they emit).

A fill reaches its maker through ``execute_maker`` (crank or inline), an expired or evicted
order through ``apply_out_event``; a cancel takes the order off the book and releases its funds
at once. Fees follow ``fees.py``: a maker rebate is credited, a positive maker fee is charged
and booked as the maker's own referrer rebate.
"""

from __future__ import annotations

from bmvbot.core.types import Side
from bmvbot.exchange.events import FillEvent, OutEvent
from bmvbot.exchange.fees import maker_fees_floor, maker_rebate_floor, taker_fees_ceil
from bmvbot.exchange.logs import FillLog, OpenOrdersPositionLog
from bmvbot.exchange.market import Market
from bmvbot.exchange.open_orders import OpenOrdersAccount
from bmvbot.exchange.orders import RestingOrder

_ASK = Side.ASK


def execute_maker(market: Market, maker: OpenOrdersAccount, fill: FillEvent) -> None:
    """Apply a fill to the maker's account (crank or inline), as ``execute_maker``."""
    is_self_trade = fill.maker == fill.taker
    quote_native = fill.quantity * fill.price * market.quote_lot_size
    if is_self_trade:
        maker_fees = rebate = 0
    else:
        maker_fees = maker_fees_floor(quote_native, market.maker_fee)
        rebate = maker_rebate_floor(quote_native, market.maker_fee)
    if fill.taker_side is _ASK:  # the maker bid
        maker.base_free_native += fill.quantity * market.base_lot_size
        maker.quote_free_native += rebate
        maker.locked_maker_fees -= maker_fees
    else:
        maker.quote_free_native += quote_native + rebate - maker_fees
    maker.maker_volume += quote_native
    maker.referrer_rebates_available += maker_fees
    market.referrer_rebates_accrued += maker_fees
    market.maker_volume += quote_native
    market.fees_accrued += maker_fees
    if fill.maker_out:
        maker.remove_order(fill.maker_slot, fill.quantity, fill.price)
    elif fill.taker_side is _ASK:
        maker.bids_base_lots -= fill.quantity
        maker.bids_quote_lots -= fill.quantity * fill.price
    else:
        maker.asks_base_lots -= fill.quantity
    if market.logs is not None:
        _log_fill(market, maker, fill, maker_fees, is_self_trade)


def _log_fill(
    market: Market, maker: OpenOrdersAccount, fill: FillEvent, maker_fees: int, is_self: bool
) -> None:
    logs = market.logs
    if logs is None:
        return
    quote_native = fill.quantity * fill.price * market.quote_lot_size
    taker_fee = (
        taker_fees_ceil(quote_native, market.taker_fee) if quote_native and not is_self else 0
    )
    logs.append(
        FillLog(
            market.market_id, int(fill.taker_side), fill.maker_slot, fill.maker_out,
            fill.timestamp, fill.seq_num, fill.maker, fill.maker_client_order_id, maker_fees,
            fill.maker_timestamp, fill.taker, fill.taker_client_order_id, taker_fee, fill.price,
            fill.quantity,
        )
    )  # fmt: skip
    logs.append(position_log(market, maker))


def position_log(market: Market, account: OpenOrdersAccount) -> OpenOrdersPositionLog:
    """Return the ``OpenOrdersPositionLog`` of ``account`` as it is now."""
    return OpenOrdersPositionLog(
        account.owner, account.account_num, market.market_id, account.bids_base_lots,
        account.bids_quote_lots, account.asks_base_lots, account.base_free_native,
        account.quote_free_native, account.locked_maker_fees,
        account.referrer_rebates_available, account.maker_volume, account.taker_volume,
    )  # fmt: skip


def apply_out_event(market: Market, owner: OpenOrdersAccount, out: OutEvent) -> None:
    """Release an expired or evicted order into its owner's free balances."""
    owner.cancel_order(
        out.owner_slot, out.quantity, market.base_lot_size, market.quote_lot_size, market.maker_fee
    )


def cancel_all(market: Market, account: OpenOrdersAccount, side: Side | None, limit: int) -> int:
    """Cancel the account's orders as ``Orderbook::cancel_all_orders``; return the lots released."""
    total = 0
    for index in range(len(account.slots)):
        entry = account.slots[index]
        if entry is None or (side is not None and entry.side is not side):
            continue
        if limit == 0:
            break
        order = market.book_side(entry.side).by_id.get(entry.order_id)
        if order is not None:
            total += cancel_resting(market, account, order)
        limit -= 1
    return total


def cancel_resting(market: Market, account: OpenOrdersAccount, order: RestingOrder) -> int:
    """Take ``order`` off the book into ``account``'s free balances; return its base lots."""
    market.book_side(order.side).remove(order)
    account.cancel_order(
        order.owner_slot, order.quantity, market.base_lot_size, market.quote_lot_size,
        market.maker_fee,
    )  # fmt: skip
    return order.quantity
