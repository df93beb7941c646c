"""``BundleExecutor``: a rebalance plan sent as Jito bundles to the simulated market.

Each step is one ``cancel_all_and_place_orders`` (PostOnly entries, CancelProvide) of the
wallet's OpenOrders account. The steps are packed into bundles by the packer (by default
``bundles.pack_bundles``, the size model) and sent one after another: each bundle is drawn to
land or not after a delay in slots, during which the market keeps moving (the participants run
up to the landing time); a landed bundle is all-or-nothing (the exchange is saved before it and
restored if any of its transactions fails); sending stops at the first bundle that does not
land, and every wallet whose step did not land is reported in ``failed_wallets``. Only landed
bundles pay signature fees (by each transaction's first signer) and the tip (by the bundle's
tip payer). Before anything is sent the plan is checked (known wallets, the Jito minimum tip,
at most 24 orders a step, lamports for every fee and tip with the rent reserve left), then the
wallets' pending fills are cranked so their slots are free. A post-only order that would cross
a resting order is not posted and counts in ``dropped_orders``; when the order it would have
crossed includes one of a swarm wallet (a would-be swarm self-trade) it also counts in
``swarm_crossed_orders``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from bmvbot.adapters.sim.bundles import (
    JITO_MIN_TIP_LAMPORTS,
    BundleLayout,
    BundleParams,
    InstructionShape,
    LandingDraw,
    bundle_id,
    draw_landing,
    pack_bundles,
    transaction_fee_lamports,
)
from bmvbot.adapters.sim.market import SimMarket, Trader
from bmvbot.adapters.sim.participants import ParticipantPool
from bmvbot.core.errors import FatalVenueError, RejectedError
from bmvbot.core.swarm import ReplacementStep, StepKind, bid_quote_lots_needed
from bmvbot.core.types import Lamports, Level, Side, WalletId
from bmvbot.exchange import ExchangeError
from bmvbot.exchange.orders import I64_MAX
from bmvbot.ports.venue import ExecutionReport, LandingStatus, UnpostedOrder

logger = logging.getLogger(__name__)

Packer = Callable[[Sequence[InstructionShape], WalletId | None], tuple[BundleLayout, ...]]
"""Turns the plan's instructions (and the tip payer) into bundles; ``pack_bundles`` by default."""
RENT_EXEMPT_LAMPORTS = 890_880
"""A wallet must keep at least this many lamports (rent-exempt system account)."""
NS_PER_MS = 1_000_000


@dataclass(slots=True)
class _Outcome:
    # what the bundles of one execute did, accumulated bundle by bundle
    bundle_ids: list[str]
    landed_steps: int = 0
    transactions: int = 0
    tips_lamports: int = 0
    fees_lamports: int = 0
    dropped_orders: int = 0
    swarm_crossed_orders: int = 0
    unposted: list[UnpostedOrder] = field(default_factory=list)
    is_stopped: bool = False


class _Drops(NamedTuple):
    # post-only orders not posted because they crossed: all, and those crossing a swarm order;
    # and every order not posted (crossing or short of funds)
    dropped: int
    swarm_crossed: int
    unposted: tuple[UnpostedOrder, ...] = ()


class _BundleFailedError(Exception):
    """A transaction of a landed bundle failed: the whole bundle is undone."""


class BundleExecutor:
    """Sends plans as bundles and keeps the swarm wallets' lamports.

    Attributes:
        params: how the simulated block engine treats bundles.
        packer: steps to bundles.
        tip_payer: the swarm wallet paying every tip, None: each bundle's last fee payer.
        lamports: every swarm wallet's lamports.
    """

    def __init__(
        self,
        market: SimMarket,
        pool: ParticipantPool,
        traders: Mapping[WalletId, Trader],
        lamports: Mapping[WalletId, int],
        params: BundleParams,
        packer: Packer = pack_bundles,
        tip_payer: WalletId | None = None,
    ) -> None:
        self.market = market
        self.pool = pool
        self.params = params
        self.packer = packer
        self.tip_payer = tip_payer
        self.lamports = dict(lamports)
        self._traders = traders
        self._signature_count = 0

    def execute(self, steps: Sequence[ReplacementStep], tip_lamports: int) -> ExecutionReport:
        """Send ``steps`` as bundles, one after another (see the module docstring).

        Raises:
            RejectedError: tip below 1,000 lamports, a step of more than 24 orders, an order
                whose price or quote budget does not fit the instruction's i64.
            FatalVenueError: an unknown wallet, or lamports short of fees, tips and rent.
        """
        self._check_plan(steps, tip_lamports)
        if not steps:
            return ExecutionReport(
                LandingStatus.LANDED, (), (), (), True, 0, Lamports(0), Lamports(0)
            )
        shapes = [InstructionShape(s.wallet, _order_count(s)) for s in steps]
        layouts = self.packer(shapes, self.tip_payer)
        self._check_lamports(layouts, tip_lamports)
        # a keeper crank first, so the wallets' filled orders free their slots
        self.market.crank(
            self._traders[w].account_id
            for w in dict.fromkeys(s.wallet for s in steps)
            if self.market.blocked_slots(self._traders[w].account_id)
        )
        outcome = _Outcome([])
        cursor = 0
        for layout in layouts:
            count = sum(len(tx.instructions) for tx in layout.transactions)
            if not outcome.is_stopped:
                self._send(layout, steps[cursor : cursor + count], tip_lamports, outcome)
            cursor += count
        return self._report(steps, outcome, len(layouts))

    def _check_plan(self, steps: Sequence[ReplacementStep], tip_lamports: int) -> None:
        if tip_lamports < JITO_MIN_TIP_LAMPORTS:
            raise RejectedError(
                f"tip_lamports must be >= {JITO_MIN_TIP_LAMPORTS} (Jito minimum), "
                f"was {tip_lamports}"
            )
        fee = self.market.spec.maker_fee_ppm
        for step in steps:
            if step.wallet not in self._traders:
                raise FatalVenueError(f"wallet {step.wallet} is not a swarm wallet of this venue")
            for level in (*step.bids, *step.asks):
                # the instruction carries price and quote budget as i64
                budget = bid_quote_lots_needed(level.price_lots, level.size_base_lots, fee)
                if budget > I64_MAX:
                    raise RejectedError(
                        f"wallet {step.wallet} order {level.side.name} "
                        f"{level.size_base_lots} lots at {level.price_lots} needs a quote budget "
                        f"of {budget} lots; it must be at most {I64_MAX}"
                    )

    def _check_lamports(self, layouts: Sequence[BundleLayout], tip_lamports: int) -> None:
        # the whole plan's worst case (every bundle lands) must leave each payer rent-exempt
        needed: dict[WalletId, int] = {}
        for layout in layouts:
            for tx in layout.transactions:
                fee = transaction_fee_lamports(self.params, tx)
                needed[tx.fee_payer] = needed.get(tx.fee_payer, 0) + fee
            needed[layout.tip_payer] = needed.get(layout.tip_payer, 0) + tip_lamports
        for wallet, amount in needed.items():
            if self.lamports[wallet] - amount < RENT_EXEMPT_LAMPORTS:
                raise FatalVenueError(
                    f"wallet {wallet} holds {self.lamports[wallet]} lamports, the plan needs "
                    f"{amount} for fees and tips plus {RENT_EXEMPT_LAMPORTS} rent reserve; "
                    "top it up"
                )

    def _send(
        self,
        layout: BundleLayout,
        steps: Sequence[ReplacementStep],
        tip_lamports: int,
        outcome: _Outcome,
    ) -> None:
        signatures = [self._next_signature() for _ in layout.transactions]
        bundle = bundle_id(signatures)
        outcome.bundle_ids.append(bundle)
        outcome.transactions += len(layout.transactions)
        draw = draw_landing(self.params, len(layout.transactions), self.pool.rng, tip_lamports)
        landing_ns = self.pool.now_ns + draw.delay_slots * self.params.slot_ms * NS_PER_MS
        self.pool.advance_to(landing_ns)
        if not draw.is_landed:
            logger.info(
                "bundle not landed", extra={"bundle_id": bundle, "delay_slots": draw.delay_slots}
            )
            outcome.is_stopped = True
            return
        try:
            drops = self._apply(layout, steps, draw, landing_ns)
        except (ExchangeError, _BundleFailedError) as error:
            logger.info(
                "bundle failed in execution", extra={"bundle_id": bundle, "error": str(error)}
            )
            outcome.is_stopped = True
            return
        for tx in layout.transactions:
            fee = transaction_fee_lamports(self.params, tx)
            self.lamports[tx.fee_payer] -= fee
            outcome.fees_lamports += fee
        self.lamports[layout.tip_payer] -= tip_lamports
        outcome.tips_lamports += tip_lamports
        outcome.landed_steps += len(steps)
        outcome.dropped_orders += drops.dropped
        outcome.swarm_crossed_orders += drops.swarm_crossed
        outcome.unposted.extend(drops.unposted)

    def _apply(
        self,
        layout: BundleLayout,
        steps: Sequence[ReplacementStep],
        draw: LandingDraw,
        now_ns: int,
    ) -> _Drops:
        # one instruction is atomic in the exchange itself; several need a copy to undo
        saved = (
            self.market.save() if len(steps) > 1 or draw.failing_transaction is not None else None
        )
        drops = _Drops(0, 0)
        cursor = 0
        try:
            for index, tx in enumerate(layout.transactions):
                for step in steps[cursor : cursor + len(tx.instructions)]:
                    step_drops = self._run_step(step, now_ns)
                    drops = _Drops(
                        drops.dropped + step_drops.dropped,
                        drops.swarm_crossed + step_drops.swarm_crossed,
                        drops.unposted + step_drops.unposted,
                    )
                cursor += len(tx.instructions)
                if draw.failing_transaction == index:
                    raise _BundleFailedError(f"transaction {index} of the bundle failed")
        except BaseException:
            if saved is not None:
                self.market.restore(saved)
            raise
        return drops

    def _run_step(self, step: ReplacementStep, now_ns: int) -> _Drops:
        trader = self._traders[step.wallet]
        bids: list[tuple[int, int]] = []
        asks: list[tuple[int, int]] = []
        if step.kind is StepKind.REPLACE:
            bids = [(level.price_lots, level.size_base_lots) for level in step.bids]
            asks = [(level.price_lots, level.size_base_lots) for level in step.asks]
        ids = self.market.place_post_only(trader, bids, asks, now_ns)
        levels = (*step.bids, *step.asks) if step.kind is StepKind.REPLACE else ()
        missing = [level for level, i in zip(levels, ids, strict=True) if i is None]
        if not missing:
            return _Drops(0, 0)
        # an order that did not rest was dropped when it crosses what rests now (post-only
        # orders never take, so the order it met is still there); else funds were short
        best_bid, best_ask = self.market.best_prices(now_ns)
        swarm_bid, swarm_ask = self.market.swarm_extremes()
        unposted = tuple(
            UnpostedOrder(step.wallet, level, _crosses(level, best_bid, best_ask))
            for level in missing
        )
        crossed = sum(_crosses(level, swarm_bid, swarm_ask) for level in missing)
        return _Drops(sum(u.is_crossing for u in unposted), crossed, unposted)

    def _next_signature(self) -> str:
        self._signature_count += 1
        tag = f"{self.market.trade_id_prefix}:{self._signature_count}"
        return hashlib.sha256(tag.encode()).hexdigest()

    def _report(
        self, steps: Sequence[ReplacementStep], outcome: _Outcome, bundles: int
    ) -> ExecutionReport:
        landed = {step.wallet for step in steps[: outcome.landed_steps]}
        failed = {step.wallet for step in steps[outcome.landed_steps :]}
        if outcome.landed_steps == len(steps):
            status = LandingStatus.LANDED
        elif outcome.landed_steps:
            status = LandingStatus.PARTIAL
        else:
            status = LandingStatus.FAILED
        order = dict.fromkeys(step.wallet for step in steps)
        return ExecutionReport(
            status=status,
            bundle_ids=tuple(outcome.bundle_ids),
            landed_wallets=tuple(w for w in order if w in landed and w not in failed),
            failed_wallets=tuple(w for w in order if w in failed),
            is_atomic=bundles == 1,
            transactions=outcome.transactions,
            tips_lamports=Lamports(outcome.tips_lamports),
            fees_lamports=Lamports(outcome.fees_lamports),
            dropped_orders=outcome.dropped_orders,
            swarm_crossed_orders=outcome.swarm_crossed_orders,
            unposted=tuple(outcome.unposted),
        )


def _order_count(step: ReplacementStep) -> int:
    return len(step.bids) + len(step.asks) if step.kind is StepKind.REPLACE else 0


def _crosses(level: Level, best_bid: int | None, best_ask: int | None) -> bool:
    # a post-only bid at or above the best ask (an ask at or below the best bid) cannot rest
    if level.side is Side.BID:
        return best_ask is not None and level.price_lots >= best_ask
    return best_bid is not None and level.price_lots <= best_bid
