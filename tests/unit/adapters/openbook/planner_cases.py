"""Builders for the planner tests: a synthetic swarm planned with chosen options."""

from __future__ import annotations

from dataclasses import dataclass

from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bmvbot.adapters.openbook.execution_plan import ExecutionPlan, PackedTransaction
from bmvbot.adapters.openbook.planner import ComputeBudgetPolicy, PlannerParams
from bmvbot.adapters.openbook.synthetic import (
    SyntheticSwarm,
    plan_synthetic,
    synthetic_plan,
    synthetic_swarm,
)
from bmvbot.core.swarm import ReplacementPlan

PACKING_WALLETS = (1, 2, 4, 8, 16, 20)


@dataclass(frozen=True)
class PlannedCase:
    swarm: SyntheticSwarm
    plan: ReplacementPlan
    execution: ExecutionPlan


def planned(
    wallets: int,
    orders: int = 32,
    *,
    is_delegate: bool = False,
    policy: ComputeBudgetPolicy = ComputeBudgetPolicy.WHEN_ROOM,
    seed: int = 0,
) -> PlannedCase:
    swarm = synthetic_swarm(wallets, seed)
    plan, _ = synthetic_plan(swarm, orders)
    params = PlannerParams(compute_budget=policy)
    execution = plan_synthetic(swarm, orders, is_delegate=is_delegate, params=params)
    return PlannedCase(swarm, plan, execution)


def transactions(execution: ExecutionPlan) -> list[PackedTransaction]:
    return [tx for bundle in execution.bundles for tx in bundle.transactions]


def message_of(packed: PackedTransaction) -> MessageV0:
    message = VersionedTransaction.from_bytes(packed.transaction).message
    assert isinstance(message, MessageV0)
    return message


def resolved_keys(message: MessageV0, table: list[Pubkey]) -> list[Pubkey]:
    # static keys, then every lookup's writable entries, then its read-only ones (v0 order)
    keys = list(message.account_keys)
    lookups = message.address_table_lookups
    keys += [table[i] for lookup in lookups for i in lookup.writable_indexes]
    keys += [table[i] for lookup in lookups for i in lookup.readonly_indexes]
    return keys
