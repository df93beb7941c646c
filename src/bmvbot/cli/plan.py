"""``bmvbot plan --wallets W``: pack a synthetic rebalance into signed v0 transactions and bundles.

The market, swarm, lookup table and blockhash are synthetic (deterministic keys from ``--seed``)
and nothing is sent. For each bundle it prints every transaction: its serialized bytes (base64,
what ``sendBundle`` takes with ``{"encoding": "base64"}``), size, signers, account locks,
compute-unit limit and instructions. ``--json`` prints the same as JSON (with base58 too);
``--table`` prints the README's packing table for 1, 2, 4, 8, 16 and 20 wallets.
"""

from __future__ import annotations

import argparse
import json

from bmvbot import bootstrap

EXIT_OK = 0


def _plan(args: argparse.Namespace) -> int:
    if args.table:
        print(bootstrap.rebalance_packing_table(args.orders, args.seed))
        return EXIT_OK
    plan = bootstrap.synthetic_execution_plan(
        args.wallets,
        args.orders,
        is_delegate=args.delegate,
        compute_budget=args.compute_budget,
        tip_lamports=args.tip_lamports,
        seed=args.seed,
    )
    if args.json:
        print(json.dumps(plan.to_json_data(), indent=2))
    else:
        print("\n".join(bootstrap.describe_execution_plan(plan)))
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``plan`` command."""
    parser = subparsers.add_parser(
        "plan",
        help="pack a synthetic rebalance into signed v0 transactions and Jito bundles",
        description="Plan the rebalance of a synthetic grid over a synthetic swarm: v0 "
        "transactions over one address lookup table, compute budget, a Jito tip at the end of "
        "each bundle. Nothing is sent.",
    )
    parser.add_argument("--wallets", type=int, default=16, help="swarm size, 1..64 (default 16)")
    parser.add_argument("--orders", type=int, default=32, help="grid orders (default 32)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--delegate",
        action="store_true",
        help="one delegate key signs every instruction (fewer bytes, but it links every "
        "wallet of the swarm on chain; off by default)",
    )
    parser.add_argument(
        "--compute-budget",
        choices=("when_room", "always"),
        default="when_room",
        help="when_room (default): drop the compute-budget instructions from a full "
        "transaction when that saves a transaction; always: in every transaction",
    )
    parser.add_argument(
        "--tip-lamports", type=int, default=10_000, help="Jito tip per bundle (>= 1000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic keys")
    parser.add_argument(
        "--table", action="store_true", help="print the packing table per swarm size"
    )
    parser.set_defaults(handler=_plan)
