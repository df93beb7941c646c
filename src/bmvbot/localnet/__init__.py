"""Development chain: LiteSVM behind Solana JSON-RPC, WebSocket and Jito block-engine endpoints.

System, SPL Token, Associated Token and Address Lookup Table programs run for real in LiteSVM.
OpenBook V2 runs either on a program binary (``bmvbot localnet --openbook-so PATH``) or on an
emulator over ``bmvbot.exchange`` that reads and writes the program's real account layouts
(byte-identical to the deployed v1.7 program on every golden trace).

Modules:
    chain: ``LocalChain`` - LiteSVM, slots and blockhashes, signature statuses, intake checks
        (size, deserialization, signatures), lookup-table resolution and all-or-nothing
        execution of transactions that mix OpenBook and other instructions.
    transaction: outcomes, JSON-RPC errors (``RpcError``), fees.
    emulator, account_lifecycle, program_state: the OpenBook program emulator.
    rpc: ``SolanaRpc`` - the JSON-RPC methods. jito: ``BlockEngine`` - bundles.
    server: the HTTP and WebSocket applications and ``serve``; seed: ``seed_market``;
    launch: what ``bmvbot localnet`` runs.

In-process use (tests, benchmarks)::

    chain = LocalChain()
    market = seed_market(chain, SeedParams(wallets=4))
    outcome = chain.execute(signed_transaction, commit=True)   # or commit=False to simulate
    SolanaRpc(chain).call("getAccountInfo", [str(market.keys.bids), {"encoding": "base64"}])
"""
