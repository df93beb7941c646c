"""The simulated venue's transaction-size model agrees with the real packer's bytes.

``adapters.sim.bundles`` counts sizes with a formula that always includes the compute-budget
instructions; every transaction the real planner builds with them must have exactly the size
and account locks the formula gives. Transactions without them (``WHEN_ROOM``) are outside the
formula: the simulator packs 16 wallets in 4 transactions where the real planner uses 3.
"""

from __future__ import annotations

import pytest
from tests.unit.adapters.openbook.planner_cases import PACKING_WALLETS, planned, transactions

from bmvbot.adapters.openbook.planner import ComputeBudgetPolicy
from bmvbot.adapters.sim.bundles import (
    InstructionShape,
    account_locks,
    pack_bundles,
    transaction_size_bytes,
)


@pytest.mark.parametrize("wallets", PACKING_WALLETS)
def test_planner_sim_size_model_matches_real_bytes(wallets: int) -> None:
    case = planned(wallets, policy=ComputeBudgetPolicy.ALWAYS)
    steps = [InstructionShape(s.wallet, len(s.bids) + len(s.asks)) for s in case.plan.steps]

    for tx in transactions(case.execution):
        shapes = [InstructionShape(i.wallet, i.bids + i.asks) for i in tx.instructions if i.wallet]
        assert transaction_size_bytes(shapes, has_tip=tx.has_tip) == tx.size_bytes
        assert account_locks(shapes, has_tip=tx.has_tip) == tx.account_locks
    assert [len(b.transactions) for b in pack_bundles(steps)] == [
        len(b.transactions) for b in case.execution.bundles
    ]
