"""The OpenBook V2 program as a Python object: one method per instruction, all-or-nothing.

``Exchange`` owns the markets, the OpenOrders accounts and indexers, and a token ledger of
wallet token accounts and vaults. Every method checks what the program's account constraints
check (signer, owner or delegate, admins), runs the instruction and either completes or raises an
:class:`~bmvbot.exchange.errors.ExchangeError` with the program's code and changes nothing.
Times are unix seconds (``now_s``), as on chain. Batch placement lives in ``batch.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bmvbot.core.types import Side
from bmvbot.exchange.batch import prepare_batch, run_batch
from bmvbot.exchange.errors import (
    OpenBookErrorCode,
    anchor_error,
    openbook_error,
    system_error,
)
from bmvbot.exchange.events import MAX_NUM_EVENTS, FillEvent, OutEvent
from bmvbot.exchange.ledger import TokenAccount, TokenLedger
from bmvbot.exchange.market import Market, MarketAccounts, MarketParams, validate_market_params
from bmvbot.exchange.matching import (
    NewOrder,
    apply_out_event,
    cancel_all,
    execute_maker,
    new_order,
)
from bmvbot.exchange.open_orders import (
    MAX_OPEN_ORDERS_ACCOUNTS_PER_INDEXER,
    OpenOrdersAccount,
    OpenOrdersIndexer,
)
from bmvbot.exchange.orders import (
    OrderResult,
    PlaceMultipleOrdersArgs,
    PlaceOrderArgs,
    PlaceOrderType,
    PlaceTakeOrderArgs,
    SelfTradeBehavior,
    tif_from_expiry,
)

MAX_EVENTS_CONSUME = 8
"""Events one consume instruction processes at most."""
MAX_OPEN_ORDERS_NAME_BYTES = 32
PENALTY_EVENT_HEAP_LAMPORTS = 0
"""Lamports charged per instruction that left events on the heap (0 in v1.7, 500 later)."""


@dataclass(frozen=True, slots=True)
class ConsumeResult:
    """Events a crank instruction processed, in order (each reached its account)."""

    events: tuple[FillEvent | OutEvent, ...]


class Checkpoint:
    """Everything an instruction on one market may change, to undo it on failure."""

    __slots__ = ("_accounts", "_counters", "_heap_seq", "_market", "_tokens")

    def __init__(
        self,
        market: Market,
        accounts: Iterable[OpenOrdersAccount],
        tokens: Iterable[TokenAccount],
    ) -> None:
        self._market = market
        self._counters = market.snapshot_counters()
        self._heap_seq = market.event_heap.seq_num
        market.bids.begin_journal()
        market.asks.begin_journal()
        self._accounts = [(account, account.snapshot()) for account in accounts]
        self._tokens = [(token, token.amount) for token in tokens]

    def commit(self) -> None:
        """Keep the changes."""
        self._market.bids.end_journal()
        self._market.asks.end_journal()

    def rollback(self) -> None:
        """Undo every change since the checkpoint."""
        market = self._market
        market.bids.rollback()
        market.asks.rollback()
        market.event_heap.truncate_to(self._heap_seq)
        market.restore_counters(self._counters)
        for account, state in self._accounts:
            account.restore(state)
        for token, amount in self._tokens:
            token.amount = amount


class Exchange:
    """Markets, OpenOrders accounts, indexers and token accounts of one OpenBook V2 program."""

    def __init__(self, ledger: TokenLedger | None = None) -> None:
        self.ledger = ledger if ledger is not None else TokenLedger()
        self.markets: dict[str, Market] = {}
        self.open_orders: dict[str, OpenOrdersAccount] = {}
        self.indexers: dict[str, OpenOrdersIndexer] = {}

    # -- lookups -----------------------------------------------------------------------------

    def market(self, market_id: str) -> Market:
        """Return the market ``market_id``.

        Raises:
            ExchangeError: anchor 3012 AccountNotInitialized for an unknown id.
        """
        market = self.markets.get(market_id)
        if market is None:
            raise anchor_error(3012, "AccountNotInitialized", f"no market {market_id}")
        return market

    def account(self, account_id: str) -> OpenOrdersAccount:
        """Return the OpenOrders account ``account_id``.

        Raises:
            ExchangeError: anchor 3012 AccountNotInitialized for an unknown id.
        """
        account = self.open_orders.get(account_id)
        if account is None:
            raise anchor_error(
                3012, "AccountNotInitialized", f"no open orders account {account_id}"
            )
        return account

    def _trading_account(self, signer: str, account_id: str) -> tuple[OpenOrdersAccount, Market]:
        account = self.account(account_id)
        if not account.is_owner_or_delegate(signer):
            raise openbook_error(
                OpenBookErrorCode.NO_OWNER_OR_DELEGATE,
                f"{signer} is neither owner nor delegate of {account_id}",
            )
        return account, self.markets[account.market]

    def _remaining(self, account_ids: Sequence[str]) -> dict[str, OpenOrdersAccount]:
        return {i: self.open_orders[i] for i in account_ids if i in self.open_orders}

    # -- markets and accounts ----------------------------------------------------------------

    def create_market(self, accounts: MarketAccounts, params: MarketParams, now_s: int) -> Market:
        """Create a market and its two vaults (``create_market``).

        Raises:
            ExchangeError: 6003, 6002, 6004, 6001 (see ``validate_market_params``); system 0
                AccountAlreadyInUse when the market id exists.
        """
        validate_market_params(params, now_s)
        if accounts.market in self.markets:
            raise system_error(0, "AccountAlreadyInUse", f"market {accounts.market} exists")
        market = Market(accounts, params, registration_time=now_s)
        self.ledger.open_account(accounts.base_vault, params.base_mint, accounts.market_authority)
        self.ledger.open_account(accounts.quote_vault, params.quote_mint, accounts.market_authority)
        self.markets[accounts.market] = market
        return market

    def create_open_orders_indexer(self, owner: str, indexer_id: str | None = None) -> str:
        """Create the wallet's indexer and return its id.

        Raises:
            ExchangeError: system 0 AccountAlreadyInUse when it exists.
        """
        indexer_id = indexer_id or f"{owner}.indexer"
        if indexer_id in self.indexers:
            raise system_error(0, "AccountAlreadyInUse", f"indexer {indexer_id} exists")
        self.indexers[indexer_id] = OpenOrdersIndexer(indexer_id, owner)
        return indexer_id

    def create_open_orders_account(
        self,
        owner: str,
        market_id: str,
        name: str = "",
        *,
        delegate: str | None = None,
        account_id: str | None = None,
        indexer_id: str | None = None,
    ) -> str:
        """Create an OpenOrders account of ``owner`` on ``market_id`` and return its id.

        Raises:
            ExchangeError: anchor 3012 (no indexer or market), anchor 2003 (indexer holds 256
                accounts), system 0 (id in use), 6001 (name over 32 bytes).
        """
        indexer = self.indexers.get(indexer_id or f"{owner}.indexer")
        if indexer is None or indexer.owner != owner:
            raise anchor_error(3012, "AccountNotInitialized", f"{owner} has no indexer")
        self.market(market_id)
        if len(indexer.addresses) >= MAX_OPEN_ORDERS_ACCOUNTS_PER_INDEXER:
            raise anchor_error(2003, "ConstraintRaw", f"indexer of {owner} holds 256 accounts")
        account_num = indexer.created_counter + 1
        account_id = account_id or f"{owner}.oo{account_num}"
        if account_id in self.open_orders:
            raise system_error(0, "AccountAlreadyInUse", f"account {account_id} exists")
        if len(name.encode()) > MAX_OPEN_ORDERS_NAME_BYTES:
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_NAME_LENGTH,
                f"account name must be at most {MAX_OPEN_ORDERS_NAME_BYTES} bytes, was {name!r}",
            )
        indexer.addresses.append(account_id)
        indexer.created_counter = account_num
        self.open_orders[account_id] = OpenOrdersAccount(
            account_id, owner, market_id, name=name, account_num=account_num, delegate=delegate
        )
        return account_id

    def set_delegate(self, owner: str, account_id: str, delegate: str | None) -> None:
        """Set or clear (None) the account's delegate.

        Raises:
            ExchangeError: anchor 2001 ConstraintHasOne when ``owner`` is not the owner.
        """
        account = self.account(account_id)
        if account.owner != owner:
            raise anchor_error(2001, "ConstraintHasOne", f"{owner} does not own {account_id}")
        account.delegate = delegate

    def close_open_orders_account(
        self, signer: str, account_id: str, indexer_id: str | None = None
    ) -> None:
        """Close an empty OpenOrders account (only its owner may).

        Raises:
            ExchangeError: anchor 2006 ConstraintSeeds (signer is not the owner), 6042
                NonEmptyOpenOrdersPosition.
        """
        account = self.account(account_id)
        indexer = self.indexers.get(indexer_id or f"{signer}.indexer")
        if account.owner != signer or indexer is None or indexer.owner != signer:
            raise anchor_error(2006, "ConstraintSeeds", f"{signer} does not own {account_id}")
        if not account.is_empty:
            raise openbook_error(
                OpenBookErrorCode.NON_EMPTY_OPEN_ORDERS_POSITION,
                f"account {account_id} still holds orders, funds, rebates or penalties",
            )
        indexer.addresses.remove(account_id)
        del self.open_orders[account_id]

    def close_open_orders_indexer(self, signer: str, indexer_id: str | None = None) -> None:
        """Close the signer's indexer once it lists no account.

        Raises:
            ExchangeError: anchor 2006 (not the owner), 6020 IndexerActiveOO.
        """
        indexer = self.indexers.get(indexer_id or f"{signer}.indexer")
        if indexer is None or indexer.owner != signer:
            raise anchor_error(2006, "ConstraintSeeds", f"{signer} has no indexer {indexer_id}")
        if indexer.addresses:
            raise openbook_error(
                OpenBookErrorCode.INDEXER_ACTIVE_OO,
                f"indexer {indexer.indexer_id} still lists {len(indexer.addresses)} accounts",
            )
        del self.indexers[indexer.indexer_id]

    # -- funds -------------------------------------------------------------------------------

    def deposit(
        self,
        signer: str,
        account_id: str,
        user_base_account: str,
        user_quote_account: str,
        base_amount: int,
        quote_amount: int,
        now_s: int,
    ) -> None:
        """Move tokens from the signer's token accounts into the account's free balances.

        The signer only has to own the token accounts, not the OpenOrders account.

        Raises:
            ExchangeError: 6030 market expired; SPL errors of the transfers.
        """
        account = self.account(account_id)
        market = self.markets[account.market]
        market.require_not_expired(now_s)
        vaults = market.accounts
        if base_amount:
            self.ledger.check_transfer(user_base_account, vaults.base_vault, base_amount, signer)
        if quote_amount:
            self.ledger.check_transfer(user_quote_account, vaults.quote_vault, quote_amount, signer)
        self.ledger.transfer(user_base_account, vaults.base_vault, base_amount, signer)
        account.base_free_native += base_amount
        market.base_deposit_total += base_amount
        self.ledger.transfer(user_quote_account, vaults.quote_vault, quote_amount, signer)
        account.quote_free_native += quote_amount
        market.quote_deposit_total += quote_amount

    def refill(
        self,
        signer: str,
        account_id: str,
        user_base_account: str,
        user_quote_account: str,
        base_amount: int,
        quote_amount: int,
        now_s: int,
    ) -> None:
        """Deposit what is missing for the free balances to reach the given totals."""
        account = self.account(account_id)
        base_missing = base_amount - min(base_amount, account.base_free_native)
        quote_missing = quote_amount - min(quote_amount, account.quote_free_native)
        self.deposit(
            signer,
            account_id,
            user_base_account,
            user_quote_account,
            base_missing,
            quote_missing,
            now_s,
        )

    def settle_funds(
        self,
        signer: str,
        account_id: str,
        user_base_account: str,
        user_quote_account: str,
        referrer_account: str | None = None,
    ) -> tuple[int, int]:
        """Withdraw the free balances to the user's token accounts; return (base, quote) native.

        Referrer rebates (and, with a positive maker fee and no open bids, the locked maker fee
        left over) go to ``referrer_account`` or else to the market's sweepable fees. The heap
        penalty count is reset (0 lamports in v1.7).

        Raises:
            ExchangeError: 6034 signer is neither owner nor delegate; anchor 2003 ConstraintRaw
                when a delegate settles to token accounts the owner does not own.
        """
        account, market = self._trading_account(signer, account_id)
        for token_id in (user_base_account, user_quote_account):
            if not account.is_settle_destination_allowed(signer, self.ledger.get(token_id).owner):
                raise anchor_error(
                    2003, "ConstraintRaw", f"{signer} may not settle {account_id} to {token_id}"
                )
        roundoff_maker_fees = 0
        if market.maker_fee > 0 and account.bids_base_lots == 0:
            roundoff_maker_fees = account.locked_maker_fees
            account.locked_maker_fees = 0
        referrer_rebate = account.referrer_rebates_available + roundoff_maker_fees
        if referrer_account is not None:
            market.fees_to_referrers += referrer_rebate
            market.quote_deposit_total -= referrer_rebate
        else:
            market.fees_available += referrer_rebate
        base_native = account.base_free_native
        quote_native = account.quote_free_native
        market.base_deposit_total -= base_native
        market.quote_deposit_total -= quote_native
        market.referrer_rebates_accrued -= account.referrer_rebates_available
        account.penalty_heap_count = 0
        vaults = market.accounts
        authority = vaults.market_authority
        if referrer_account is not None:
            self.ledger.transfer(vaults.quote_vault, referrer_account, referrer_rebate, authority)
        self.ledger.transfer(vaults.base_vault, user_base_account, base_native, authority)
        self.ledger.transfer(vaults.quote_vault, user_quote_account, quote_native, authority)
        account.base_free_native = 0
        account.quote_free_native = 0
        account.referrer_rebates_available = 0
        return base_native, quote_native

    def sweep_fees(self, signer: str, market_id: str, token_receiver_account: str) -> int:
        """Pay the market's available fees to ``token_receiver_account``; return the amount.

        Raises:
            ExchangeError: anchor 2001 ConstraintHasOne when ``signer`` is not the fee admin.
        """
        market = self.market(market_id)
        if market.params.collect_fee_admin != signer:
            raise anchor_error(2001, "ConstraintHasOne", f"{signer} is not the collect fee admin")
        amount = market.fees_available
        vaults = market.accounts
        self.ledger.check_transfer(
            vaults.quote_vault, token_receiver_account, amount, vaults.market_authority
        )
        market.fees_available = 0
        market.quote_deposit_total -= amount
        self.ledger.transfer(
            vaults.quote_vault, token_receiver_account, amount, vaults.market_authority
        )
        return amount

    # -- orders ------------------------------------------------------------------------------

    def place_order(
        self,
        signer: str,
        account_id: str,
        args: PlaceOrderArgs,
        user_token_account: str,
        now_s: int,
        remaining_accounts: Sequence[str] = (),
    ) -> OrderResult:
        """Place one order (``place_order``); ``result.order_id`` is the return data.

        ``user_token_account`` pays the shortfall (quote for a bid, base for an ask) beyond
        the account's free balance. ``remaining_accounts`` are maker OpenOrders accounts whose
        fills are applied at once (at most 15).

        Raises:
            ExchangeError: 6034, 6008, 6004, 6030, and every error of matching; SPL errors.
        """
        account, market = self._trading_account(signer, account_id)
        if args.price_lots < 1:
            raise _price_error(args.price_lots)
        tif = tif_from_expiry(args.expiry_timestamp, now_s)
        if tif is None:
            return OrderResult.skipped()
        remaining = self._remaining(remaining_accounts)
        vault = market.accounts.quote_vault if args.side is Side.BID else market.accounts.base_vault
        checkpoint = Checkpoint(
            market, [account, *remaining.values()], self._tokens(user_token_account, vault)
        )
        try:
            result = self._place_order(
                market,
                account,
                signer,
                _new_order(args, tif),
                args.limit,
                user_token_account,
                now_s,
                remaining,
            )
        except BaseException:
            checkpoint.rollback()
            raise
        checkpoint.commit()
        return result

    def _tokens(self, *token_ids: str) -> list[TokenAccount]:
        return [self.ledger.get(token_id) for token_id in token_ids]

    def _place_order(
        self,
        market: Market,
        account: OpenOrdersAccount,
        signer: str,
        order: NewOrder,
        limit: int,
        user_token_account: str,
        now_s: int,
        remaining: Mapping[str, OpenOrdersAccount],
    ) -> OrderResult:
        if order.max_base_lots < 0 or order.max_quote_lots_including_fees < 0:
            raise _lots_error(order.max_base_lots, order.max_quote_lots_including_fees)
        market.require_not_expired(now_s)
        heap = market.event_heap
        events_before = heap.count
        result = new_order(market, order, account, account.account_id, now_s, limit, remaining)
        if order.side is Side.BID:
            needed = (
                result.total_quote_taken_native
                + result.posted_quote_native
                + result.taker_fees_native
                + result.maker_fees_native
            )
            from_free = min(needed, account.quote_free_native)
            account.quote_free_native -= from_free
            deposit = needed - from_free
            market.quote_deposit_total += deposit
            vault = market.accounts.quote_vault
        else:
            needed = result.total_base_taken_native + result.posted_base_native
            from_free = min(needed, account.base_free_native)
            account.base_free_native -= from_free
            deposit = needed - from_free
            market.base_deposit_total += deposit
            vault = market.accounts.base_vault
        if heap.count > events_before:
            account.penalty_heap_count += 1
        self.ledger.transfer(user_token_account, vault, deposit, signer)
        return result

    def edit_order(
        self,
        signer: str,
        account_id: str,
        client_order_id: int,
        expected_cancel_size: int,
        args: PlaceOrderArgs,
        user_token_account: str,
        now_s: int,
        remaining_accounts: Sequence[str] = (),
    ) -> OrderResult:
        """Cancel the first order with ``client_order_id`` and re-place what was filled meanwhile.

        v1.7: the new order is placed only when ``expected_cancel_size`` exceeds the quantity
        cancelled (something was filled), with ``max_base_lots`` reduced by that difference.

        Raises:
            ExchangeError: 6008, 6007 (negative expected size), 6038 (no such client id), and
                the errors of ``place_order``.
        """
        account, market = self._trading_account(signer, account_id)
        if args.price_lots < 1:
            raise _price_error(args.price_lots)
        tif = tif_from_expiry(args.expiry_timestamp, now_s)
        if tif is None:
            return OrderResult.skipped()
        if expected_cancel_size < 0:
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_CANCEL_SIZE,
                f"expected_cancel_size must be >= 0, was {expected_cancel_size}",
            )
        remaining = self._remaining(remaining_accounts)
        vault = market.accounts.quote_vault if args.side is Side.BID else market.accounts.base_vault
        checkpoint = Checkpoint(
            market, [account, *remaining.values()], self._tokens(user_token_account, vault)
        )
        try:
            cancelled = self._cancel_by_client_order_id(market, account, client_order_id)
            filled = expected_cancel_size - cancelled
            result = OrderResult.skipped()
            if filled > 0 and args.max_base_lots > filled:
                order = _new_order(args, tif, max_base_lots=args.max_base_lots - filled)
                result = self._place_order(
                    market,
                    account,
                    signer,
                    order,
                    args.limit,
                    user_token_account,
                    now_s,
                    remaining,
                )
        except BaseException:
            checkpoint.rollback()
            raise
        checkpoint.commit()
        return result

    def place_take_order(
        self,
        signer: str,
        market_id: str,
        args: PlaceTakeOrderArgs,
        user_base_account: str,
        user_quote_account: str,
        now_s: int,
        remaining_accounts: Sequence[str] = (),
    ) -> OrderResult:
        """Take liquidity without an OpenOrders account, settling in the same instruction.

        Raises:
            ExchangeError: 6008, 6010 (not Market or IOC), 6004, 6030, matching errors, SPL
                errors.
        """
        market = self.market(market_id)
        if args.price_lots < 1:
            raise _price_error(args.price_lots)
        if args.order_type not in (PlaceOrderType.MARKET, PlaceOrderType.IMMEDIATE_OR_CANCEL):
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_ORDER_TYPE,
                f"place_take_order needs Market or ImmediateOrCancel, was {args.order_type.name}",
            )
        if args.max_base_lots < 0 or args.max_quote_lots_including_fees < 0:
            raise _lots_error(args.max_base_lots, args.max_quote_lots_including_fees)
        market.require_not_expired(now_s)
        remaining = self._remaining(remaining_accounts)
        vaults = market.accounts
        checkpoint = Checkpoint(
            market,
            remaining.values(),
            self._tokens(
                user_base_account, user_quote_account, vaults.base_vault, vaults.quote_vault
            ),
        )
        order = NewOrder(
            args.side,
            args.price_lots,
            args.max_base_lots,
            args.max_quote_lots_including_fees,
            0,
            0,
            SelfTradeBehavior.DECREMENT_TAKE,
            args.order_type,
        )
        try:
            result = new_order(market, order, None, signer, now_s, args.limit, remaining)
            self._settle_take(
                market, args.side, result, signer, user_base_account, user_quote_account
            )
        except BaseException:
            checkpoint.rollback()
            raise
        checkpoint.commit()
        return result

    def _settle_take(
        self,
        market: Market,
        side: Side,
        result: OrderResult,
        signer: str,
        user_base_account: str,
        user_quote_account: str,
    ) -> None:
        # v1.7 charges a take order only the makers' rebates, not the referrer share
        makers_rebates = result.taker_fees_native - result.referrer_amount_native
        base = result.total_base_taken_native
        vaults = market.accounts
        authority = vaults.market_authority
        if side is Side.BID:
            paid = result.total_quote_taken_native + makers_rebates
            market.base_deposit_total -= base
            market.quote_deposit_total += paid
            self.ledger.transfer(user_quote_account, vaults.quote_vault, paid, signer)
            self.ledger.transfer(vaults.base_vault, user_base_account, base, authority)
        else:
            received = result.total_quote_taken_native - makers_rebates
            market.base_deposit_total += base
            market.quote_deposit_total -= received
            self.ledger.transfer(user_base_account, vaults.base_vault, base, signer)
            self.ledger.transfer(vaults.quote_vault, user_quote_account, received, authority)

    def place_orders(
        self,
        signer: str,
        account_id: str,
        orders_type: PlaceOrderType,
        bids: Sequence[PlaceMultipleOrdersArgs],
        asks: Sequence[PlaceMultipleOrdersArgs],
        limit: int,
        user_base_account: str,
        user_quote_account: str,
        now_s: int,
    ) -> list[int | None]:
        """Place a batch without cancelling first (``place_orders``); return the ids.

        Raises:
            ExchangeError: see ``cancel_all_and_place_orders``.
        """
        return self._batch(
            signer,
            account_id,
            orders_type,
            bids,
            asks,
            limit,
            user_base_account,
            user_quote_account,
            now_s,
            should_cancel=False,
        )

    def cancel_all_and_place_orders(
        self,
        signer: str,
        account_id: str,
        orders_type: PlaceOrderType,
        bids: Sequence[PlaceMultipleOrdersArgs],
        asks: Sequence[PlaceMultipleOrdersArgs],
        limit: int,
        user_base_account: str,
        user_quote_account: str,
        now_s: int,
    ) -> list[int | None]:
        """Cancel every order of the account, then place bids, then asks; return the ids.

        One id (or None when nothing rests) per entry that had not expired. ``limit`` is the
        matching limit of each entry. Short funds shrink or drop entries silently.

        Raises:
            ExchangeError: 6034, 6008, 6030, 6004, matching errors (6036 OpenOrdersFull, 6000,
                ...), SPL errors; the whole instruction is undone.
        """
        return self._batch(
            signer,
            account_id,
            orders_type,
            bids,
            asks,
            limit,
            user_base_account,
            user_quote_account,
            now_s,
            should_cancel=True,
        )

    def _batch(
        self,
        signer: str,
        account_id: str,
        orders_type: PlaceOrderType,
        bids: Sequence[PlaceMultipleOrdersArgs],
        asks: Sequence[PlaceMultipleOrdersArgs],
        limit: int,
        user_base_account: str,
        user_quote_account: str,
        now_s: int,
        *,
        should_cancel: bool,
    ) -> list[int | None]:
        account, market = self._trading_account(signer, account_id)
        orders = prepare_batch(orders_type, bids, asks, now_s)
        vaults = market.accounts
        tokens = self._tokens(
            user_base_account, user_quote_account, vaults.base_vault, vaults.quote_vault
        )
        checkpoint = Checkpoint(market, [account], tokens)
        try:
            order_ids = run_batch(
                self.ledger,
                market,
                account,
                signer,
                orders,
                should_cancel=should_cancel,
                limit=limit,
                user_base_account=user_base_account,
                user_quote_account=user_quote_account,
                now_s=now_s,
            )
        except BaseException:
            checkpoint.rollback()
            raise
        checkpoint.commit()
        return order_ids

    # -- cancels -----------------------------------------------------------------------------

    def cancel_order(self, signer: str, account_id: str, order_id: int) -> int:
        """Cancel the order ``order_id``; return the base lots released.

        Raises:
            ExchangeError: 6034, 6011 (id 0), 6038 (not in the account), 6025 (not on the book).
        """
        account, market = self._trading_account(signer, account_id)
        if order_id <= 0:
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_ORDER_ID, f"order_id must be > 0, was {order_id}"
            )
        slot = account.find_slot_by_order_id(order_id)
        if slot is None:
            raise openbook_error(
                OpenBookErrorCode.OPEN_ORDERS_ORDER_NOT_FOUND,
                f"order {order_id} is not in account {account_id}",
            )
        return self._cancel_slot(market, account, slot)

    def cancel_order_by_client_order_id(
        self, signer: str, account_id: str, client_order_id: int
    ) -> int:
        """Cancel the first order with ``client_order_id``; return its base lots (v1.7).

        Raises:
            ExchangeError: 6034, 6038 (no order with that client id), 6025.
        """
        account, market = self._trading_account(signer, account_id)
        return self._cancel_by_client_order_id(market, account, client_order_id)

    def _cancel_by_client_order_id(
        self, market: Market, account: OpenOrdersAccount, client_order_id: int
    ) -> int:
        slot = account.find_slot_by_client_order_id(client_order_id)
        if slot is None:
            raise openbook_error(
                OpenBookErrorCode.OPEN_ORDERS_ORDER_NOT_FOUND,
                f"client order id {client_order_id} is not in account {account.account_id}",
            )
        return self._cancel_slot(market, account, slot)

    def _cancel_slot(self, market: Market, account: OpenOrdersAccount, slot: int) -> int:
        entry = account.slots[slot]
        if entry is None:
            raise KeyError(slot)
        book = market.book_side(entry.side)
        order = book.by_id.get(entry.order_id)
        if order is None:
            raise openbook_error(
                OpenBookErrorCode.ORDER_ID_NOT_FOUND,
                f"order {entry.order_id} is no longer on the book (filled or expired)",
            )
        book.remove(order)
        account.cancel_order(
            order.owner_slot,
            order.quantity,
            market.base_lot_size,
            market.quote_lot_size,
            market.maker_fee,
        )
        return order.quantity

    def cancel_all_orders(
        self, signer: str, account_id: str, side: Side | None = None, limit: int = 255
    ) -> int:
        """Cancel the account's orders (of one side, if given), walking slots 0..23.

        At most ``limit`` slots are processed; a slot whose order already left the book is
        skipped but still counts. Returns the base lots released.

        Raises:
            ExchangeError: 6034.
        """
        account, market = self._trading_account(signer, account_id)
        return cancel_all(market, account, side, limit)

    # -- crank -------------------------------------------------------------------------------

    def consume_events(
        self,
        market_id: str,
        limit: int,
        remaining_accounts: Sequence[str],
        signer: str | None = None,
    ) -> ConsumeResult:
        """Process up to ``min(limit, 8)`` events in heap order.

        An event whose account is not in ``remaining_accounts`` is skipped and stays.

        Raises:
            ExchangeError: 6018 when the market has a consume admin and ``signer`` is not it.
        """
        market = self.market(market_id)
        self._require_consume_admin(market, signer)
        slots = [slot for slot, _ in market.event_heap][: min(limit, MAX_EVENTS_CONSUME)]
        return self._consume(market, slots, remaining_accounts)

    def consume_given_events(
        self,
        market_id: str,
        slots: Sequence[int],
        remaining_accounts: Sequence[str],
        signer: str | None = None,
    ) -> ConsumeResult:
        """Process the events in ``slots`` (free slots are replaced by the next events in order).

        Raises:
            ExchangeError: 6012 when a slot is >= 600; 6018 as ``consume_events``.
        """
        market = self.market(market_id)
        if any(slot >= MAX_NUM_EVENTS or slot < 0 for slot in slots):
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_HEAP_SLOTS,
                f"heap slots must be < {MAX_NUM_EVENTS}, were {list(slots)}",
            )
        self._require_consume_admin(market, signer)
        heap = market.event_heap
        chosen: list[int] = []
        candidates = [s for s in slots if not heap.is_free(s)] + [s for s, _ in heap]
        limit = min(len(slots), MAX_EVENTS_CONSUME)
        for slot in candidates:
            if len(chosen) == limit:
                break
            if slot not in chosen:
                chosen.append(slot)
        return self._consume(market, chosen, remaining_accounts)

    def _require_consume_admin(self, market: Market, signer: str | None) -> None:
        admin = market.params.consume_events_admin
        if admin is not None and signer != admin:
            raise openbook_error(
                OpenBookErrorCode.INVALID_CONSUME_EVENTS_ADMIN,
                f"market {market.market_id} needs its consume events admin to sign",
            )

    def _consume(
        self, market: Market, slots: Sequence[int], remaining_accounts: Sequence[str]
    ) -> ConsumeResult:
        accounts = self._remaining(remaining_accounts)
        heap = market.event_heap
        processed: list[FillEvent | OutEvent] = []
        for slot in slots:
            event = heap.at_slot(slot)
            if event is None:
                continue
            owner = accounts.get(event.maker if isinstance(event, FillEvent) else event.owner)
            if owner is None:
                continue
            if isinstance(event, FillEvent):
                execute_maker(market, owner, event)
            else:
                apply_out_event(market, owner, event)
            heap.delete_slot(slot)
            processed.append(event)
        return ConsumeResult(tuple(processed))


def _new_order(args: PlaceOrderArgs, tif: int, max_base_lots: int | None = None) -> NewOrder:
    return NewOrder(
        args.side,
        args.price_lots,
        args.max_base_lots if max_base_lots is None else max_base_lots,
        args.max_quote_lots_including_fees,
        args.client_order_id,
        tif,
        args.self_trade_behavior,
        args.order_type,
    )


def _price_error(price_lots: int) -> Exception:
    return openbook_error(
        OpenBookErrorCode.INVALID_INPUT_PRICE_LOTS, f"price_lots must be >= 1, was {price_lots}"
    )


def _lots_error(max_base_lots: int, max_quote_lots: int) -> Exception:
    return openbook_error(
        OpenBookErrorCode.INVALID_INPUT_LOTS,
        f"max_base_lots ({max_base_lots}) and max_quote_lots_including_fees ({max_quote_lots}) "
        "must be >= 0",
    )
