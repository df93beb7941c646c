"""The trading loop's counters: decisions per reason and what the venue reports sending.

``ExecutionCounters`` is the mutable tally ``TradingService`` keeps; ``stats`` freezes it
(with the order ledger's counts) into the ``ExecutionStats`` the views read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bmvbot.ports.venue import ExecutionReport, LandingStatus
from bmvbot.services.reconciliation import OrderLedger
from bmvbot.services.state import ExecutionStats, freeze_counts


def landed_bundles(report: ExecutionReport, tip_lamports: int) -> int:
    """Return how many of the report's bundles landed.

    All of a LANDED report, none of a FAILED one; in a PARTIAL one, the tips tell: only
    landed bundles pay, one tip each.
    """
    if report.status is LandingStatus.LANDED:
        return len(report.bundle_ids)
    if report.status is LandingStatus.FAILED or tip_lamports <= 0:
        return 0
    return min(len(report.bundle_ids), report.tips_lamports // tip_lamports)


@dataclass(slots=True)
class ExecutionCounters:
    """Running counts of one ``TradingService`` (see ``ExecutionStats`` for each meaning)."""

    ticks: int = 0
    rebalances: int = 0
    bundles_sent: int = 0
    bundles_landed: int = 0
    transactions: int = 0
    partial_rebalances: int = 0
    failed_rebalances: int = 0
    mismatches: int = 0
    tips_lamports: int = 0
    fees_lamports: int = 0
    dropped_orders: int = 0
    swarm_crossed_orders: int = 0
    skipped_crossing_levels: int = 0
    unplaced_levels: int = 0
    venue_errors: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    guard_triggers: Counter[str] = field(default_factory=Counter)
    holds: Counter[str] = field(default_factory=Counter)

    def add_report(self, report: ExecutionReport, tip_lamports: int) -> None:
        """Count what one ``execute`` or ``cancel_all`` sent, landed and cost."""
        self.bundles_sent += len(report.bundle_ids)
        self.bundles_landed += landed_bundles(report, tip_lamports)
        self.transactions += report.transactions
        self.tips_lamports += report.tips_lamports
        self.fees_lamports += report.fees_lamports
        self.dropped_orders += report.dropped_orders
        self.swarm_crossed_orders += report.swarm_crossed_orders
        if report.status is LandingStatus.PARTIAL:
            self.partial_rebalances += 1
        elif report.status is LandingStatus.FAILED:
            self.failed_rebalances += 1

    def stats(self, ledger: OrderLedger) -> ExecutionStats:
        """Return the counts as a frozen value, with the ledger's order counts."""
        return ExecutionStats(
            ticks=self.ticks,
            rebalances=self.rebalances,
            rebalances_by_reason=freeze_counts(self.by_reason),
            guard_triggers=freeze_counts(self.guard_triggers),
            holds_by_reason=freeze_counts(self.holds),
            bundles_sent=self.bundles_sent,
            bundles_landed=self.bundles_landed,
            transactions=self.transactions,
            partial_rebalances=self.partial_rebalances,
            failed_rebalances=self.failed_rebalances,
            mismatches=self.mismatches,
            tips_lamports=self.tips_lamports,
            fees_lamports=self.fees_lamports,
            dropped_orders=self.dropped_orders,
            swarm_crossed_orders=self.swarm_crossed_orders,
            orders_placed=ledger.placed,
            orders_cancelled=ledger.cancelled,
            orders_filled=ledger.filled,
            orders_unfunded=ledger.unfunded,
            orders_lost=ledger.lost,
            orders_adopted=ledger.adopted,
            skipped_crossing_levels=self.skipped_crossing_levels,
            unplaced_levels=self.unplaced_levels,
            venue_errors=self.venue_errors,
        )
