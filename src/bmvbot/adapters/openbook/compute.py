"""Compute units: the cost model of ``cancel_all_and_place_orders`` and the runtime defaults.

Model (openbook-v2.md section 9, measured in LiteSVM on the deployed v1.7 binary with 480
foreign orders resting; max error 7 %)::

    cu(cancel, place) = 21,800 + 2,300 * cancel + 7,750 * place

The golden traces agree: 24 cancelled + 24 placed used 226,924 CU (model 263,000), an empty
batch cancelling 24 used 73,705 (model 77,000). A transaction asks for the sum over its
instructions plus ``BUILTIN_INSTRUCTION_CU`` per ComputeBudget or System instruction (150 each
in the golden traces), times ``1 + margin_pct / 100`` (25 % covered every measured case), rounded
up. Without a ``SetComputeUnitLimit`` the runtime grants 200,000 per program instruction and
3,000 per builtin one (SIMD-0170), capped at 1,400,000.
"""

from __future__ import annotations

from collections.abc import Iterable

from bmvbot.core.errors import ConfigError

MAX_COMPUTE_UNITS_PER_TX = 1_400_000
"""The runtime's hard cap per transaction."""
MAX_ORDERS_PER_ACCOUNT = 24
"""An OpenOrders account holds at most 24 orders, so a cancel-all cancels at most 24."""
BATCH_BASE_CU = 21_800
CANCEL_CU_PER_ORDER = 2_300
PLACE_CU_PER_ORDER = 7_750
BUILTIN_INSTRUCTION_CU = 150
"""ComputeBudget and System instructions each consume 150 CU (golden traces)."""
DEFAULT_PROGRAM_INSTRUCTION_CU = 200_000
DEFAULT_BUILTIN_INSTRUCTION_CU = 3_000
DEFAULT_MARGIN_PCT = 25


def batch_compute_units(cancelled_orders: int, placed_orders: int) -> int:
    """Return the modelled CU of one ``cancel_all_and_place_orders`` (no margin).

    ``cancelled_orders`` is what rests in the OpenOrders account before the instruction (0..24),
    ``placed_orders`` the entries of the batch (0..24). An empty batch is a plain cancel-all.

    Raises:
        ConfigError: a count is outside 0..24.
    """
    for name, count in (("cancelled_orders", cancelled_orders), ("placed_orders", placed_orders)):
        if not 0 <= count <= MAX_ORDERS_PER_ACCOUNT:
            raise ConfigError(f"{name} must be 0..{MAX_ORDERS_PER_ACCOUNT}, was {count}")
    return (
        BATCH_BASE_CU + CANCEL_CU_PER_ORDER * cancelled_orders + PLACE_CU_PER_ORDER * placed_orders
    )


def with_margin(compute_units: int, margin_pct: int = DEFAULT_MARGIN_PCT) -> int:
    """Return ``ceil(compute_units * (100 + margin_pct) / 100)``.

    Raises:
        ConfigError: the margin is negative.
    """
    if margin_pct < 0:
        raise ConfigError(
            f"planner.compute_margin_pct must be >= 0, was {margin_pct}",
            key="planner.compute_margin_pct",
        )
    return -(-compute_units * (100 + margin_pct) // 100)


def transaction_compute_units(
    program_units: Iterable[int], builtin_instructions: int, margin_pct: int = DEFAULT_MARGIN_PCT
) -> int:
    """Return the CU limit a transaction requests: model sum plus builtins, with the margin."""
    total = sum(program_units) + BUILTIN_INSTRUCTION_CU * builtin_instructions
    return with_margin(total, margin_pct)


def default_compute_units(program_instructions: int, builtin_instructions: int) -> int:
    """Return the limit the runtime grants a transaction without ``SetComputeUnitLimit``."""
    granted = (
        DEFAULT_PROGRAM_INSTRUCTION_CU * program_instructions
        + DEFAULT_BUILTIN_INSTRUCTION_CU * builtin_instructions
    )
    return min(granted, MAX_COMPUTE_UNITS_PER_TX)
