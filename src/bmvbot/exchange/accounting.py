"""What fills, releases and cancels do to OpenOrders accounts (and the logs they emit).

A fill reaches its maker through ``execute_maker`` (crank or inline), an expired or evicted
order through ``apply_out_event``; a cancel takes the order off the book and releases its funds
at once. Fees follow ``fees.py``: a maker rebate is credited, a positive maker fee is charged
and booked as the maker's own referrer rebate.
"""

from __future__ import annotations

from bmvbot.core.types import FEES_SCALE, Side
from bmvbot.exchange.events import FillEvent, OutEvent
from bmvbot.exchange.fees import taker_fees_ceil
from bmvbot.exchange.logs import FillLog, OpenOrdersPositionLog
from bmvbot.exchange.market import Market
from bmvbot.exchange.open_orders import OpenOrdersAccount
from bmvbot.exchange.orders import RestingOrder

_ASK = Side.ASK


def execute_maker(market: Market, maker: OpenOrdersAccount, fill: FillEvent) -> None:
    """Apply a fill to the maker's account (crank or inline), as ``execute_maker``."""
    taker_side, maker_out, maker_slot, _, _, maker_id, _, taker_id, _, price, _, quantity, _ = fill
    is_self_trade = maker_id == taker_id
    quote_native = quantity * price * market.quote_lot_size
    maker_fee = market.maker_fee
    # maker_fees_floor and maker_rebate_floor, inline: a self trade pays and earns nothing
    maker_fees = rebate = 0
    if not is_self_trade:
        if maker_fee > 0:
            maker_fees = quote_native * maker_fee // FEES_SCALE
        else:
            rebate = quote_native * -maker_fee // FEES_SCALE
    if taker_side is _ASK:  # the maker bid
        maker.base_free_native += quantity * market.base_lot_size
        maker.quote_free_native += rebate
        maker.locked_maker_fees -= maker_fees
    else:
        maker.quote_free_native += quote_native + rebate - maker_fees
    maker.maker_volume += quote_native
    maker.referrer_rebates_available += maker_fees
    market.referrer_rebates_accrued += maker_fees
    market.maker_volume += quote_native
    market.fees_accrued += maker_fees
    if maker_out:
        maker.remove_order(maker_slot, quantity, price)
    elif taker_side is _ASK:
        maker.bids_base_lots -= quantity
        maker.bids_quote_lots -= quantity * price
    else:
        maker.asks_base_lots -= quantity
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
        book = market.asks if entry.side is _ASK else market.bids
        order = book.by_id.get(entry.order_id)
        if order is not None:
            total += cancel_resting(market, account, order)
        limit -= 1
    return total


def cancel_resting(market: Market, account: OpenOrdersAccount, order: RestingOrder) -> int:
    """Take ``order`` off the book into ``account``'s free balances; return its base lots."""
    (market.asks if order.side is _ASK else market.bids).remove(order)
    account.cancel_order(
        order.owner_slot, order.quantity, market.base_lot_size, market.quote_lot_size,
        market.maker_fee,
    )  # fmt: skip
    return order.quantity
