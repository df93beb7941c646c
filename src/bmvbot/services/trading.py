"""The trading loop (spec 9): one ``tick`` from a venue snapshot to a landed rebalance.

``TradingService.tick`` takes a venue snapshot, feeds new trades to the ``PivotEngine``, checks
that the last rebalance landed as sent, builds the target grid (pivot, external L2 book, funds
per side, Target Control throttle), asks the guards, allocates the grid over the swarm, orders
the per-wallet steps safely, checks the plan for swarm self-trades, and executes it. The math
lives in ``bmvbot.core``; this module only coordinates and counts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import NamedTuple

from bmvbot.core.config import StrategyParams
from bmvbot.core.errors import ConfigError, RejectedError, RetryableVenueError
from bmvbot.core.grid import GridBuilder
from bmvbot.core.guards import (
    GuardObservation,
    RebalanceReason,
    decide_rebalance,
    is_material_change,
)
from bmvbot.core.pivot import PivotEngine
from bmvbot.core.swarm import (
    ReplacementPlan,
    ReplacementStep,
    StepKind,
    allocate,
    plan_replacement,
)
from bmvbot.core.treasury import bid_throttle_factor, throttle_grid_params
from bmvbot.core.types import Grid, Lamports, WalletId
from bmvbot.ports.clock import Clock
from bmvbot.ports.venue import (
    ExecutionReport,
    LandingStatus,
    MarketSnapshot,
    MarketTrade,
    UnpostedOrder,
    Venue,
)
from bmvbot.services.counters import ExecutionCounters
from bmvbot.services.journal import TradingJournal
from bmvbot.services.market_view import (
    MarketView,
    inventory_of,
    market_price_lots,
    safety_margin_fraction,
    side_funds,
    skip_crossing_levels,
    swarm_base_lots,
    trade_range,
)
from bmvbot.services.portfolio import Portfolio
from bmvbot.services.reconciliation import OrderLedger, check_plan_uncrossed
from bmvbot.services.state import ExecutionStats, TickDecision, TickOutcome, TradingState

_log = logging.getLogger("bmvbot.trading")

REPAIR_REASON = "repair"
"""Reason of a rebalance that repairs a partly landed one (bypasses the cool-down)."""
DEFAULT_MAX_REPAIR_ATTEMPTS = 3
"""Consecutive repairs that bypass the cool-down before the guards take over again."""


class _Verdict(NamedTuple):
    reason: str
    should_rebalance: bool
    detail: str


class TradingService:
    """Run the trading loop over one venue (see the module docstring).

    Call ``tick`` once per loop interval; read ``state`` for the terminal view and the API;
    ``pause``/``resume`` stop and restart placing; ``shutdown`` cancels every resting order.
    """

    def __init__(
        self,
        venue: Venue,
        clock: Clock,
        params: StrategyParams,
        *,
        tip_lamports: int,
        journal: TradingJournal | None = None,
        max_repair_attempts: int = DEFAULT_MAX_REPAIR_ATTEMPTS,
    ) -> None:
        """Create the service; nothing is sent until the first ``tick``.

        Raises:
            ConfigError: the tip is negative or ``max_repair_attempts`` below 0.
        """
        if tip_lamports < 0 or max_repair_attempts < 0:
            raise ConfigError(
                f"tip_lamports and max_repair_attempts must be >= 0, was {tip_lamports} and "
                f"{max_repair_attempts}",
                key="venue.tip_lamports",
            )
        self._venue = venue
        self._clock = clock
        self._params = params
        self._tip = Lamports(tip_lamports)
        self._journal = journal
        self._max_repairs = max_repair_attempts
        self._pivot = PivotEngine(params.pivot)
        self._builders: dict[int, GridBuilder] = {}
        self._portfolio = Portfolio(params.market)
        self._counters = ExecutionCounters()
        self._wallets: tuple[WalletId, ...] | None = None
        self._is_paused = False
        self._last_pivot: float | None = None
        self._last_rebalance_ns: int | None = None
        self._last_trade_price: int | None = None
        self._previous_price: float | None = None
        self._ledger = OrderLedger(params.market)
        self._needs_repair = False
        self._repair_streak = 0
        self._view: MarketView | None = None
        self._last: tuple[str, str] = ("none", "")

    @property
    def params(self) -> StrategyParams:
        """Return the strategy parameters the service runs with."""
        return self._params

    @property
    def is_paused(self) -> bool:
        """Return True while the service places nothing."""
        return self._is_paused

    @property
    def pivot(self) -> PivotEngine:
        """Return the pivot engine (for a warm start from storage or an external quote)."""
        return self._pivot

    async def wallets(self) -> tuple[WalletId, ...]:
        """Return the swarm's wallets in swarm order (read from the venue once).

        Raises:
            ConfigError: the venue's market or wallet count differs from the parameters.
        """
        if self._wallets is None:
            spec = await self._venue.market_spec()
            if spec != self._params.market:
                raise ConfigError(
                    f"market parameters differ from the venue's market, was {self._params.market} "
                    f"but the venue has {spec}",
                    key="market",
                )
            wallets = await self._venue.wallets()
            if len(wallets) != self._params.swarm.wallet_count:
                raise ConfigError(
                    f"swarm.wallet_count is {self._params.swarm.wallet_count} but the venue has "
                    f"{len(wallets)} wallets",
                    key="swarm.wallet_count",
                )
            self._wallets = wallets
        return self._wallets

    async def tick(self) -> TickOutcome:
        """Run one pass of the loop; see the module docstring.

        Retryable venue errors skip the tick (snapshot) or mark the rebalance for repair
        (execution); they are counted, not raised.

        Raises:
            InvariantError: a plan would let the swarm cross itself, or the data is corrupt.
            FatalVenueError: the venue cannot be used; stop trading.
        """
        await self.wallets()
        self._counters.ticks += 1
        snapshot = await self._snapshot()
        if snapshot is None:
            return self._outcome(self._clock.now_ns(), "venue_error", "snapshot failed")
        decision = self.decide(snapshot)
        report = None if decision.plan is None else await self._rebalance(decision)
        return self._outcome(decision.ts_ns, decision.reason, decision.detail, report)

    def decide(self, snapshot: MarketSnapshot) -> TickDecision:
        """Read ``snapshot`` and return what to send: the synchronous half of ``tick``.

        Feeds the snapshot's trades to the pivot and the fills to the PnL, reconciles the order
        ledger, builds the target grid, asks the guards and, when they say so, allocates the
        grid and orders the per-wallet steps (checked for swarm self-trades).

        Raises:
            InvariantError: the plan would let the swarm cross itself, or the data is corrupt.
        """
        view = self._observe(snapshot)
        if self._is_paused:
            return TickDecision(view.ts_ns, "paused", "the service is paused")
        pivot = self._pivot.state(view.ts_ns)
        if not pivot.has_pivot:
            return TickDecision(view.ts_ns, "no_pivot", "no trade, seed or external quote yet")
        pivot_lots = pivot.price_lots
        target = self._target(view, pivot_lots)
        verdict = self._decide(view, target)
        if not verdict.should_rebalance:
            return TickDecision(view.ts_ns, verdict.reason, verdict.detail, pivot_lots, target)
        allocation = allocate(
            target,
            view.funds(self._params.market),
            self._params.swarm,
            view.ts_ns,
            maker_fee_ppm=self._params.market.maker_fee_ppm,
        )
        plan = plan_replacement(view.resting_by_wallet, allocation)
        check_plan_uncrossed(view.resting_by_wallet, plan)
        return TickDecision(
            view.ts_ns,
            verdict.reason,
            verdict.detail,
            pivot_lots,
            target,
            plan,
            len(allocation.unplaced),
        )

    def _outcome(
        self, ts_ns: int, reason: str, detail: str, report: ExecutionReport | None = None
    ) -> TickOutcome:
        self._last = (reason, detail)
        return TickOutcome(ts_ns, reason, detail, report)

    async def _snapshot(self) -> MarketSnapshot | None:
        try:
            return await self._venue.snapshot()
        except RetryableVenueError as error:
            self._counters.venue_errors += 1
            _log.warning("snapshot failed, tick skipped", extra={"error": str(error)})
            return None

    def _observe(
        self, snapshot: MarketSnapshot, landed: Sequence[ReplacementStep] = ()
    ) -> MarketView:
        # `landed`: the steps that just landed; the snapshot's fills came before them
        fills = self._portfolio.add_trades(snapshot.trades)
        self._add_to_pivot(snapshot.trades)
        if self._journal is not None:
            self._journal.add_trades(snapshot.trades)
        self._check_landing(snapshot, fills, landed)
        view = MarketView.of(snapshot, self._params.grid.l2_scan_depth)
        price = market_price_lots(view.external, self._last_trade_price)
        view = view.with_market_price(price)
        if price is not None:
            self._portfolio.mark(round(price))
        if self._view is not None:
            self._previous_price = self._view.market_price_lots
        self._view = view
        return view

    def _add_to_pivot(self, trades: tuple[MarketTrade, ...]) -> None:
        add = self._pivot.add_trade
        for trade in trades:
            add(trade.ts_ns, trade.price_lots, trade.size_base_lots, trade.trade_id)
        if trades:
            self._last_trade_price = trades[-1].price_lots

    def _check_landing(
        self,
        snapshot: MarketSnapshot,
        fills: list[MarketTrade],
        landed: Sequence[ReplacementStep],
    ) -> None:
        # every snapshot must show what the ledger expects: the landed steps minus the fills
        ledger = self._ledger
        ledger.add_fills(fills)
        for step in landed:
            ledger.replace(step.wallet, step.bids + step.asks)
        found = ledger.reconcile(snapshot.orders, snapshot.balances)
        if not found.should_repair or self._view is None:
            return  # orders found at start are adopted quietly
        self._counters.mismatches += 1
        self._needs_repair = True
        if found.problems:
            _log.warning(
                "resting orders differ from the ledger",
                extra={"count": len(found.problems), "first": found.problems[0]},
            )
        else:
            _log.info(
                "orders not funded when they landed",
                extra={"count": len(found.unfunded), "first": found.unfunded[0]},
            )

    def _builder(self, view: MarketView) -> GridBuilder:
        # Target Control (spec 5.2): the bid depth shrinks as the swarm's holdings grow
        grid_params = self._params.grid
        if self._params.target.total_emission_base_lots is not None:
            locked, inventory = swarm_base_lots(view.snapshot.balances, self._params.market)
            factor = bid_throttle_factor(self._params.target, locked, inventory)
            grid_params = throttle_grid_params(grid_params, factor)
        depth = grid_params.bid_depth_base_lots
        builder = self._builders.get(depth)
        if builder is None:
            if len(self._builders) > 64:
                self._builders.clear()
            builder = GridBuilder(grid_params, self._params.market)
            self._builders[depth] = builder
        return builder

    def _target(self, view: MarketView, pivot_lots: float) -> Grid:
        funds = side_funds(view.funds(self._params.market), self._params.swarm)
        grid = self._builder(view).build(pivot_lots, view.snapshot.book, view.resting, funds)
        guards = self._params.guards
        band = guards.proximity_fraction if guards.is_proximity_enabled else 0.0
        margin = safety_margin_fraction(self._previous_price, view.market_price_lots, band)
        # a fast market's quotes lag its trades: keep clear of the latest trades too
        trades = trade_range(view.snapshot.trades) if margin * 2 >= band > 0 else None
        grid, skipped = skip_crossing_levels(
            grid, view.external, view.market_price_lots, margin, trades
        )
        self._counters.skipped_crossing_levels += skipped
        return grid

    def _decide(self, view: MarketView, target: Grid) -> _Verdict:
        observation = GuardObservation(
            now_ns=view.ts_ns,
            market_price_lots=view.market_price_lots,
            last_pivot_lots=self._last_pivot,
            last_rebalance_ns=self._last_rebalance_ns,
            resting=view.resting,
            target=target,
        )
        guards = self._params.guards
        decision = decide_rebalance(observation, guards)
        if decision.reason is not RebalanceReason.NONE:
            self._counters.guard_triggers[decision.reason.value] += 1
        if decision.held_by is not None:
            self._counters.holds[decision.held_by.value] += 1
        if self._needs_repair:
            # a partly landed rebalance is repaired at once (no cool-down), unless the
            # resting grid already equals the target
            if self._repair_streak < self._max_repairs and is_material_change(
                view.resting, target, guards
            ):
                detail = f"resting orders differ from the last rebalance; {decision.detail}"
                return _Verdict(REPAIR_REASON, True, detail)
            self._needs_repair = False
        return _Verdict(decision.reason.value, decision.should_rebalance, decision.detail)

    async def _rebalance(self, decision: TickDecision) -> ExecutionReport | None:
        plan, reason, ts_ns = decision.plan, decision.reason, decision.ts_ns
        if plan is None or decision.pivot_price_lots is None or decision.target is None:
            return None
        pivot_lots = decision.pivot_price_lots
        self._counters.rebalances += 1
        self._counters.unplaced_levels += decision.unplaced_levels
        self._counters.by_reason[reason] += 1
        self._repair_streak = self._repair_streak + 1 if reason == REPAIR_REASON else 0
        self._needs_repair = False
        if not plan.steps:
            self._mark_rebalanced(ts_ns, pivot_lots)
            return None
        report = await self._execute(plan)
        if report is not None:
            self._account(report)
            if report.status is not LandingStatus.FAILED:
                self._mark_rebalanced(ts_ns, pivot_lots)
            await self._after_landing(report, plan.steps)
        if self._journal is not None:
            self._journal.add_rebalance(ts_ns, reason, pivot_lots, decision.target, report)
        _log.info(
            "rebalance",
            extra={
                "reason": reason,
                "pivot_lots": round(pivot_lots, 2),
                "steps": len(plan.steps),
                "status": "not_sent" if report is None else report.status.value,
            },
        )
        return report

    def _mark_rebalanced(self, now_ns: int, pivot_lots: float) -> None:
        self._last_rebalance_ns = now_ns
        self._last_pivot = pivot_lots

    async def _execute(self, plan: ReplacementPlan) -> ExecutionReport | None:
        try:
            return await self._venue.execute(plan, self._tip)
        except (RetryableVenueError, RejectedError) as error:
            # nothing was sent: the next tick sees the old orders and repairs
            self._counters.venue_errors += 1
            self._counters.failed_rebalances += 1
            self._needs_repair = True
            _log.warning("rebalance not sent", extra={"error": str(error)})
            return None

    async def _after_landing(
        self, report: ExecutionReport, steps: Sequence[ReplacementStep]
    ) -> None:
        # read the book right after landing: fills during the landing delay hit the old
        # orders, then the landed steps replace them, and the venue must show the result
        landed_wallets = set(report.landed_wallets)
        landed = _posted([step for step in steps if step.wallet in landed_wallets], report.unposted)
        snapshot = await self._snapshot()
        if snapshot is None:
            for step in landed:
                self._ledger.replace(step.wallet, step.bids + step.asks)
            self._needs_repair = True
            return
        self._observe(snapshot, landed)

    def _account(self, report: ExecutionReport) -> None:
        self._counters.add_report(report, self._tip)
        if report.status is not LandingStatus.LANDED:
            self._needs_repair = True
        if report.dropped_orders:
            # crossing an outside order is the market moving during landing; crossing a swarm
            # order would be a self-trade the replacement order must make impossible
            _log.log(
                logging.ERROR if report.swarm_crossed_orders else logging.WARNING,
                "venue dropped post-only orders",
                extra={
                    "count": report.dropped_orders,
                    "crossing_swarm": report.swarm_crossed_orders,
                },
            )

    def pause(self) -> None:
        """Stop placing orders from the next tick on (resting orders stay; see ``cancel_all``)."""
        self._is_paused = True

    def resume(self) -> None:
        """Place orders again from the next tick on."""
        self._is_paused = False

    async def cancel_all(self) -> ExecutionReport:
        """Cancel every resting swarm order now (the service keeps running unless paused).

        Raises:
            VenueError: the venue could not cancel (see ``Venue.cancel_all``).
        """
        report = await self._venue.cancel_all(self._tip)
        self._account(report)
        steps = [ReplacementStep(wallet, StepKind.CANCEL) for wallet in report.landed_wallets]
        await self._after_landing(report, steps)
        self._needs_repair = False
        self._last_rebalance_ns = None
        _log.info("cancelled all orders", extra={"status": report.status.value})
        return report

    async def shutdown(self) -> ExecutionReport:
        """Pause, cancel every resting order and take a last snapshot (clean stop)."""
        self.pause()
        return await self.cancel_all()

    @property
    def execution(self) -> ExecutionStats:
        """Return the decision and execution counters so far."""
        return self._counters.stats(self._ledger)

    @property
    def state(self) -> TradingState:
        """Return the picture of the last tick (market, grid, inventory, PnL, counters)."""
        view = self._view
        pivot = None
        if view is not None:
            state = self._pivot.state(view.ts_ns)
            pivot = state.price_lots if state.has_pivot else None
        return TradingState(
            ts_ns=0 if view is None else view.ts_ns,
            is_paused=self._is_paused,
            pivot_price_lots=pivot,
            market_price_lots=None if view is None else view.market_price_lots,
            best_bid_price_lots=None if view is None else view.snapshot.book.best_bid,
            best_ask_price_lots=None if view is None else view.snapshot.book.best_ask,
            orders=() if view is None else view.orders,
            wallets=() if view is None else inventory_of(view.snapshot),
            pnl=self._portfolio.state,
            execution=self.execution,
            last_reason=self._last[0],
            last_detail=self._last[1],
            last_rebalance_ns=self._last_rebalance_ns,
            needs_repair=self._needs_repair,
        )


def _posted(
    steps: Sequence[ReplacementStep], unposted: Sequence[UnpostedOrder]
) -> list[ReplacementStep]:
    # a post-only order the venue dropped for crossing never rested: the ledger must not
    # expect it (it is counted in dropped_orders, not as lost)
    dropped = {(u.wallet, u.level) for u in unposted if u.is_crossing}
    if not dropped:
        return list(steps)
    return [
        dataclasses.replace(
            step,
            bids=tuple(b for b in step.bids if (step.wallet, b) not in dropped),
            asks=tuple(a for a in step.asks if (step.wallet, a) not in dropped),
        )
        for step in steps
    ]
