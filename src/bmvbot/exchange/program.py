"""The OpenBook V2 program as a Python object: one method per instruction, all-or-nothing.

``Exchange`` owns the markets, the OpenOrders accounts and indexers, and a token ledger of
wallet token accounts and vaults. Every method checks what the program's account constraints
check (signer, owner or delegate, admins), runs the instruction and either completes or raises an
:class:`~bmvbot.exchange.errors.ExchangeError` with the program's code and changes nothing.
Times are unix seconds (``now_s``), as on chain. Batch placement lives in ``batch.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

from bmvbot.exchange.accounting import apply_out_event, cancel_all, execute_maker
from bmvbot.exchange.errors import (
    OpenBookErrorCode,
    anchor_error,
    openbook_error,
    system_error,
)
from bmvbot.exchange.events import MAX_NUM_EVENTS, FillEvent, OutEvent
from bmvbot.exchange.logs import (
    DepositLog,
    MarketMetaDataLog,
    ProgramLog,
    SetDelegateLog,
    SettleFundsLog,
    SweepFeesLog,
)
from bmvbot.exchange.market import Market, MarketAccounts, MarketParams, validate_market_params
from bmvbot.exchange.open_orders import (
    MAX_OPEN_ORDERS_ACCOUNTS_PER_INDEXER,
    OpenOrdersAccount,
    OpenOrdersIndexer,
)
from bmvbot.exchange.order_tree import OrderTree
from bmvbot.exchange.orders import U64, require_wire_range
from bmvbot.exchange.placement import PlacementInstructions

MAX_EVENTS_CONSUME = 8
"""Events one consume instruction processes at most."""
MAX_OPEN_ORDERS_NAME_BYTES = 32
PENALTY_EVENT_HEAP_LAMPORTS = 0
"""Lamports charged per instruction that left events on the heap (0 in v1.7, 500 later)."""


@dataclass(frozen=True, slots=True)
class ConsumeResult:
    """Events a crank instruction processed, in order (each reached its account)."""

    events: tuple[FillEvent | OutEvent, ...]


class Exchange(PlacementInstructions):
    """The OpenBook V2 program: one method per instruction over the accounts it holds.

    Order placement and cancels come from :class:`PlacementInstructions`; this class adds
    markets, accounts, funds and the crank.
    """

    def _log(self, market: Market, log: ProgramLog) -> None:
        if market.logs is not None:
            market.logs.append(log)

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
        if self.track_nodes:
            market.bids.tree = OrderTree()
            market.asks.tree = OrderTree()
        if self.record_logs:
            market.logs = [
                MarketMetaDataLog(
                    accounts.market, params.name, params.base_mint, params.quote_mint,
                    params.base_decimals, params.quote_decimals, params.base_lot_size,
                    params.quote_lot_size,
                )
            ]  # fmt: skip
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
        self._log(self.markets[account.market], SetDelegateLog(account_id, delegate))

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
        require_wire_range("base_amount", base_amount, U64)
        require_wire_range("quote_amount", quote_amount, U64)
        account = self.account(account_id)
        market = self.markets[account.market]
        self._require_token(user_base_account, market.params.base_mint)
        self._require_token(user_quote_account, market.params.quote_mint)
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
        if base_amount or quote_amount:
            self._log(market, DepositLog(account_id, signer, base_amount, quote_amount))

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
        self._require_settle_destinations(
            account, market, signer, (user_base_account, user_quote_account, referrer_account)
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
        self._log(
            market,
            SettleFundsLog(
                account_id, base_native, quote_native, referrer_rebate, referrer_account
            ),
        )
        account.base_free_native = 0
        account.quote_free_native = 0
        account.referrer_rebates_available = 0
        return base_native, quote_native

    def _require_settle_destinations(
        self,
        account: OpenOrdersAccount,
        market: Market,
        signer: str,
        token_ids: tuple[str, str, str | None],
    ) -> None:
        # base and quote accounts of the right mints, owned by the owner when a delegate signs
        base_id, quote_id, referrer_id = token_ids
        params = market.params
        for token_id, mint in ((base_id, params.base_mint), (quote_id, params.quote_mint)):
            token = self._require_token(token_id, mint)
            if not account.is_settle_destination_allowed(signer, token.owner):
                raise anchor_error(
                    2003,
                    "ConstraintRaw",
                    f"{signer} may not settle {account.account_id} to {token_id}",
                )
        if referrer_id is not None:
            self._require_token(referrer_id, params.quote_mint)

    def sweep_fees(self, signer: str, market_id: str, token_receiver_account: str) -> int:
        """Pay the market's available fees to ``token_receiver_account``; return the amount.

        Raises:
            ExchangeError: anchor 2001 ConstraintHasOne when ``signer`` is not the fee admin.
        """
        market = self.market(market_id)
        if market.params.collect_fee_admin != signer:
            raise anchor_error(2001, "ConstraintHasOne", f"{signer} is not the collect fee admin")
        self._require_token(token_receiver_account, market.params.quote_mint)
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
        self._log(market, SweepFeesLog(market_id, amount, token_receiver_account))
        return amount

    # -- market lifecycle --------------------------------------------------------------------

    def _close_admin_market(self, signer: str, market_id: str) -> Market:
        market = self.market(market_id)
        admin = market.params.close_market_admin
        if admin is None:
            raise openbook_error(
                OpenBookErrorCode.NO_CLOSE_MARKET_ADMIN, f"market {market_id} has no close admin"
            )
        if signer != admin:
            raise openbook_error(
                OpenBookErrorCode.INVALID_CLOSE_MARKET_ADMIN,
                f"{signer} is not the close admin of market {market_id}",
            )
        return market

    def _require_expired(self, market: Market, now_s: int) -> None:
        if not market.is_expired(now_s):
            raise openbook_error(
                OpenBookErrorCode.MARKET_HAS_NOT_EXPIRED,
                f"market {market.market_id} has not expired at {now_s}",
            )

    def set_market_expired(self, signer: str, market_id: str, now_s: int) -> None:
        """Expire the market now (``time_expiry = -1``): no more orders or deposits.

        Raises:
            ExchangeError: 6015 no close admin, 6016 wrong signer, 6030 already expired.
        """
        market = self._close_admin_market(signer, market_id)
        market.require_not_expired(now_s)
        market.time_expiry = -1

    def prune_orders(self, signer: str, account_id: str, limit: int, now_s: int) -> int:
        """Cancel up to ``limit`` orders of an account on an expired market (close admin only).

        Raises:
            ExchangeError: 6015, 6016, 6033 MarketHasNotExpired.
        """
        account = self.account(account_id)
        market = self._close_admin_market(signer, account.market)
        self._require_expired(market, now_s)
        return cancel_all(market, account, None, limit)

    def settle_funds_expired(
        self,
        signer: str,
        account_id: str,
        user_base_account: str,
        user_quote_account: str,
        now_s: int,
        referrer_account: str | None = None,
    ) -> tuple[int, int]:
        """Settle an account of an expired market to its owner's token accounts (close admin).

        The owner co-signs on chain; here the tokens must simply belong to the owner.

        Raises:
            ExchangeError: 6015, 6016, anchor 2003 (token accounts not the owner's), 6033.
        """
        account = self.account(account_id)
        market = self._close_admin_market(signer, account.market)
        for token_id in (user_base_account, user_quote_account):
            if self.ledger.get(token_id).owner != account.owner:
                raise anchor_error(
                    2003, "ConstraintRaw", f"{token_id} does not belong to {account.owner}"
                )
        self._require_expired(market, now_s)
        return self.settle_funds(
            account.owner, account_id, user_base_account, user_quote_account, referrer_account
        )

    def close_market(self, signer: str, market_id: str, now_s: int) -> None:
        """Close an expired, empty market (its vaults stay, as on chain).

        Raises:
            ExchangeError: 6015, 6016, 6033 not expired, 6041 deposits / fees / rebates left,
                6037 orders on the book, 6026 events on the heap.
        """
        market = self._close_admin_market(signer, market_id)
        self._require_expired(market, now_s)
        has_funds = (
            market.base_deposit_total
            or market.quote_deposit_total
            or market.fees_available
            or market.referrer_rebates_accrued
        )
        if has_funds:
            raise openbook_error(
                OpenBookErrorCode.NON_EMPTY_MARKET, f"market {market_id} still holds funds"
            )
        if len(market.bids) or len(market.asks):
            raise openbook_error(
                OpenBookErrorCode.BOOK_CONTAINS_ELEMENTS, f"market {market_id} has resting orders"
            )
        if len(market.event_heap):
            raise openbook_error(
                OpenBookErrorCode.EVENT_HEAP_CONTAINS_ELEMENTS,
                f"market {market_id} has unprocessed events",
            )
        del self.markets[market_id]

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
        require_wire_range("limit", limit, U64)
        market = self.market(market_id)
        self._require_consume_admin(market, signer)
        first = islice(market.event_heap, min(limit, MAX_EVENTS_CONSUME))
        return self._consume(market, [slot for slot, _ in first], remaining_accounts)

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
        for slot in slots:
            require_wire_range("slots[]", slot, U64)
        market = self.market(market_id)
        if any(slot >= MAX_NUM_EVENTS for slot in slots):
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
        open_orders = self.open_orders
        heap = market.event_heap
        processed: list[FillEvent | OutEvent] = []
        events = heap.events
        for slot in slots:
            event = events[slot]
            if event is None:
                continue
            owner_id = event.maker if isinstance(event, FillEvent) else event.owner
            # an event is processed only when its account was passed along (and exists)
            owner = open_orders.get(owner_id) if owner_id in remaining_accounts else None
            if owner is None:
                continue
            if isinstance(event, FillEvent):
                execute_maker(market, owner, event)
            else:
                apply_out_event(market, owner, event)
            heap.delete_slot(slot)
            processed.append(event)
        return ConsumeResult(tuple(processed))
