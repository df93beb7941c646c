"""Registry of the program's accounts, their lookups and the per-instruction checkpoint.

``ExchangeState`` holds the markets, OpenOrders accounts, indexers and the token ledger, and the
lookups that stand for the program's account constraints (owner or delegate, token mints).
``Checkpoint`` captures what an instruction on one market may change so that a failed
instruction leaves no trace, as on chain.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

from bmvbot.exchange.errors import OpenBookErrorCode, anchor_error, openbook_error
from bmvbot.exchange.ledger import TokenAccount, TokenLedger
from bmvbot.exchange.market import COUNTER_FIELDS, Market
from bmvbot.exchange.open_orders import OpenOrdersAccount, OpenOrdersIndexer

_get_counters = operator.attrgetter(*COUNTER_FIELDS)


class Checkpoint:
    """Everything an instruction on one market may change, to undo it on failure.

    The counters, the accounts' positions and slots and the token amounts are copied; the book
    sides journal their changes and the heap is cut back to its event counter.
    """

    __slots__ = ("_accounts", "_bumps", "_counters", "_heap_seq", "_logs", "_market", "_tokens")

    def __init__(
        self,
        market: Market,
        accounts: Sequence[OpenOrdersAccount],
        tokens: Sequence[TokenAccount],
    ) -> None:
        self._market = market
        self._counters = _get_counters(market)
        self._heap_seq = market.event_heap.seq_num
        self._logs = len(market.logs) if market.logs is not None else 0
        bids = market.bids
        asks = market.asks
        self._bumps = (bids.bump_index, asks.bump_index)
        bids.journal = []
        asks.journal = []
        if bids.tree is not None and asks.tree is not None:
            bids.tree.begin()
            asks.tree.begin()
        self._accounts = [(account, account.snapshot()) for account in accounts]
        self._tokens = [(token, token.amount) for token in tokens]

    def commit(self) -> None:
        """Keep the changes."""
        market = self._market
        market.bids.journal = None
        market.asks.journal = None
        if market.bids.tree is not None and market.asks.tree is not None:
            market.bids.tree.end()
            market.asks.tree.end()

    def rollback(self) -> None:
        """Undo every change since the checkpoint."""
        market = self._market
        market.bids.rollback(self._bumps[0])
        market.asks.rollback(self._bumps[1])
        market.event_heap.truncate_to(self._heap_seq)
        if market.logs is not None:
            del market.logs[self._logs :]
        market.restore_counters(self._counters)
        for account, state in self._accounts:
            account.restore(state)
        for token, amount in self._tokens:
            token.amount = amount


class ExchangeState:
    """Markets, OpenOrders accounts, indexers and token accounts of one OpenBook V2 program."""

    def __init__(
        self,
        ledger: TokenLedger | None = None,
        *,
        record_logs: bool = False,
        track_nodes: bool = False,
    ) -> None:
        self.ledger = ledger if ledger is not None else TokenLedger()
        self.track_nodes = track_nodes
        """Keep each book side's exact node layout (``BookSide.tree``) for byte writers."""
        self.record_logs = record_logs
        """Keep each market's program logs in ``Market.logs`` (off by default: they grow)."""
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

    def _require_token(self, token_id: str, mint: str) -> TokenAccount:
        token = self.ledger.accounts.get(token_id)
        if token is None:
            raise anchor_error(3012, "AccountNotInitialized", f"no token account {token_id}")
        if token.mint != mint:
            raise anchor_error(
                2014,
                "ConstraintTokenMint",
                f"token account {token_id} holds {token.mint}, not {mint}",
            )
        return token
