"""Start the localnet: build the chain, optionally seed a market, write keys, serve.

The swarm key pairs go to ``<keypair_dir>/localnet-swarm-<market>.json`` with mode 0600: a JSON
array of Solana CLI key pairs (64-byte arrays), the format ``bmvbot wallets import`` reads; only
the path is reported. The report lists every address and a TOML snippet for the config file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bmvbot.core.errors import ConfigError
from bmvbot.localnet.chain import LocalChain
from bmvbot.localnet.rpc import SolanaRpc
from bmvbot.localnet.seed import SeededMarket, SeedParams, seed_market
from bmvbot.localnet.server import ServerPorts, serve

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_SBF_MACHINES = (247, 263)
"""ELF ``e_machine`` of Solana programs: EM_BPF (247) and EM_SBF (263)."""
MAX_SEED_WALLETS = 256


@dataclass(frozen=True, slots=True)
class LocalnetOptions:
    """Command-line options of ``bmvbot localnet``."""

    host: str
    ports: tuple[int, int, int]
    openbook_so: Path | None
    seed_wallets: int
    keypair_dir: Path
    slot_interval_s: float = 0.4
    jito_requests_per_s: float | None = None

    def __post_init__(self) -> None:
        if self.host not in _LOOPBACK_HOSTS:
            raise ConfigError(
                f"host must be a loopback address ({', '.join(_LOOPBACK_HOSTS)}), was "
                f"{self.host!r}",
                key="host",
            )
        if not 0.01 <= self.slot_interval_s <= 60:
            raise ConfigError(
                f"slot interval must be 10 ms .. 60 s, was {self.slot_interval_s} s",
                key="slot_ms",
            )
        if self.jito_requests_per_s is not None and self.jito_requests_per_s <= 0:
            raise ConfigError(
                f"jito rate limit must be > 0 requests/s, was {self.jito_requests_per_s}",
                key="jito_rate_limit",
            )
        if not 0 <= self.seed_wallets <= MAX_SEED_WALLETS:
            raise ConfigError(
                f"seed wallets must be 0..{MAX_SEED_WALLETS}, was {self.seed_wallets}",
                key="wallets",
            )


def build_chain(openbook_so: Path | None) -> LocalChain:
    """Return a chain running the program binary at ``openbook_so``, or the emulator.

    Raises:
        ConfigError: the file cannot be read or is no ELF program.
    """
    if openbook_so is None:
        return LocalChain()
    try:
        program = openbook_so.read_bytes()
    except OSError as e:
        raise ConfigError(
            f"openbook-so must be a readable program file, was {str(openbook_so)!r}: {e.strerror}",
            key="openbook_so",
        ) from None
    machine = int.from_bytes(program[18:20], "little")
    if program[:4] != b"\x7fELF" or machine not in _SBF_MACHINES:
        raise ConfigError(
            f"openbook-so must be an SBF program (an ELF file for BPF/SBF), "
            f"{str(openbook_so)!r} is not",
            key="openbook_so",
        )
    return LocalChain(openbook_so=program)


def write_keypairs(seeded: SeededMarket, directory: Path) -> Path:
    """Write the swarm key pairs to a new 0600 file under ``directory``; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"localnet-swarm-{seeded.keys.market}.json"
    entries = [list(bytes(wallet.keypair)) for wallet in seeded.wallets]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(entries, handle)
    path.chmod(0o600)
    return path


def describe(
    seeded: SeededMarket,
    keypair_file: Path,
    ports: tuple[int, int, int],
    market_params: SeedParams,
) -> list[str]:
    """Return the addresses and a TOML snippet pointing the bot at the seeded market."""
    keys = seeded.keys
    lines = [
        f"market          {keys.market}",
        f"bids            {keys.bids}",
        f"asks            {keys.asks}",
        f"event_heap      {keys.event_heap}",
        f"base_mint       {seeded.base_mint}",
        f"quote_mint      {seeded.quote_mint}",
        f"base_vault      {keys.base_vault}",
        f"quote_vault     {keys.quote_vault}",
    ]
    for index, wallet in enumerate(seeded.wallets):
        lines.append(
            f"wallet {index:<3}      {wallet.keypair.pubkey()} open_orders "
            f"{wallet.open_orders_account} base {wallet.base_account} quote {wallet.quote_account}"
        )
    lines += [
        f"swarm key pairs {keypair_file} (mode 0600; bmvbot wallets import {keypair_file})",
        "",
        "# config snippet",
        "[market]",
        'name = "SOL/USDC"',
        f'address = "{keys.market}"',
        "base_decimals = 9",
        "quote_decimals = 6",
        f"base_lot_size = {market_params.base_lot_size}",
        f"quote_lot_size = {market_params.quote_lot_size}",
        f"maker_fee_ppm = {market_params.maker_fee}",
        f"taker_fee_ppm = {market_params.taker_fee}",
        "",
        "[swarm]",
        f"wallet_count = {len(seeded.wallets)}",
        "",
        "[venue]",
        'mode = "live"',
        f'rpc_url = "http://127.0.0.1:{ports[0]}"',
        f'ws_url = "ws://127.0.0.1:{ports[1]}"',
        f'jito_url = "http://127.0.0.1:{ports[2]}"',
    ]
    return lines


async def run(options: LocalnetOptions, report: Callable[[list[str]], None]) -> None:
    """Build, seed if asked, report and serve until cancelled."""
    chain = build_chain(options.openbook_so)
    rpc, ws, jito = options.ports
    lines = [f"localnet rpc http://{options.host}:{rpc} ws ws://{options.host}:{ws} "
             f"jito http://{options.host}:{jito}"]  # fmt: skip
    if options.seed_wallets:
        params = SeedParams(wallets=options.seed_wallets)
        seeded = seed_market(chain, params)
        path = write_keypairs(seeded, options.keypair_dir)
        lines += describe(seeded, path, options.ports, params)
    report(lines)
    await serve(
        SolanaRpc(chain), ServerPorts(rpc, ws, jito), host=options.host,
        slot_interval_s=options.slot_interval_s, jito_requests_per_s=options.jito_requests_per_s,
    )  # fmt: skip
