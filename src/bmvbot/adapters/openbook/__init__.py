"""Live OpenBook V2 execution: rebalance plans packed into signed v0 transactions and Jito bundles.

Modules:
    planner: ``plan_execution`` turns a ``ReplacementPlan`` into ``ExecutionPlan`` (bundles of
        signed v0 transactions within every hard limit, checked on the serialized bytes).
    lookup_table: the swarm's address lookup table: contents, lifecycle state, instructions.
    compute: the compute-unit model of ``cancel_all_and_place_orders`` and the runtime defaults.
    jito: tip accounts and the tip transfer.
    synthetic: a deterministic synthetic market and swarm (``bmvbot plan``, tests, benchmarks).
"""
