"""Jito tips: the block engine's tip accounts and the tip transfer (fact sheet sections 1.6-1.7).

A bundle is only eligible for the auction when one of its transactions write-locks a tip account
as a *static* key, so the tip account never comes from a lookup table. The tip is the last
instruction of the bundle's last transaction (the one carrying the main logic), at least
``JITO_MIN_TIP_LAMPORTS``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from bmvbot.core.errors import ConfigError

JITO_MIN_TIP_LAMPORTS = 1_000
"""The smallest tip the block engine accepts."""

MAINNET_TIP_ACCOUNTS: tuple[Pubkey, ...] = tuple(
    Pubkey.from_string(address)
    for address in (
        "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5",
        "HFqU5x63VTqvQss8hp11i4wVV8bD44PvwucfZ2bU7gRe",
        "Cw8CFyM9FkoMi7K7Crf6HNQqf4uEMzpKw6QNghXLvLkY",
        "ADaUMid9yfUytqMBgopwjb2DTLSokTSzL1zt6iGPaS49",
        "DfXygSm4jCyNCybVYYK6DwvWqjKee8pbDmJGcLWNDXjh",
        "ADuUkR4vqLUMWXxW9gh6D6L8pMSawimctcNZ5pGwDcEt",
        "DttWaMuVvTiduZRnguLF7jNxTgiMBZ1hyAumKUiL2KRL",
        "3AVi9Tg9Uo68tJfuvoKvqKNWKkC5wPdSSdeBnizKZ6jT",
    )
)
"""The eight mainnet tip accounts (``getTipAccounts``); fetch them at start-up when possible."""


def check_tip(tip_lamports: int) -> None:
    """Check a tip amount.

    Raises:
        ConfigError: the tip is below ``JITO_MIN_TIP_LAMPORTS`` or not an integer.
    """
    if isinstance(tip_lamports, bool) or not isinstance(tip_lamports, int):
        raise ConfigError(
            f"jito.tip_lamports must be an integer, was {tip_lamports!r}", key="jito.tip_lamports"
        )
    if tip_lamports < JITO_MIN_TIP_LAMPORTS:
        raise ConfigError(
            f"jito.tip_lamports must be >= {JITO_MIN_TIP_LAMPORTS}, was {tip_lamports}",
            key="jito.tip_lamports",
        )


def pick_tip_account(tip_accounts: Sequence[Pubkey], rng: random.Random) -> Pubkey:
    """Return one tip account chosen at random (spreads the write-lock contention).

    Raises:
        ConfigError: no tip account is given.
    """
    if not tip_accounts:
        raise ConfigError("jito.tip_accounts must list at least one account, was empty")
    return tip_accounts[rng.randrange(len(tip_accounts))]


def tip_instruction(payer: Pubkey, tip_account: Pubkey, tip_lamports: int) -> Instruction:
    """Return the System transfer of ``tip_lamports`` from ``payer`` (a signer) to the tip account.

    Raises:
        ConfigError: the tip is too small (see ``check_tip``).
    """
    check_tip(tip_lamports)
    params = TransferParams(from_pubkey=payer, to_pubkey=tip_account, lamports=tip_lamports)
    return transfer(params)
