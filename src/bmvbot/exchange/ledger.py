"""Token accounts the model moves money between: wallets' token accounts and market vaults.

A tiny SPL Token stand-in: each account has a mint, an owner (the authority that may debit it)
and an amount in native units. Totals per mint never change except through ``mint_to``, which
makes conservation checkable.
"""

from __future__ import annotations

from dataclasses import dataclass

from bmvbot.exchange.errors import ExchangeError, token_error

INSUFFICIENT_FUNDS = 1
MINT_MISMATCH = 3
OWNER_MISMATCH = 4


@dataclass(slots=True)
class TokenAccount:
    """One token account: ``amount`` native units of ``mint``, debitable by ``owner``."""

    mint: str
    owner: str
    amount: int = 0


class TokenLedger:
    """All token accounts the model knows, by account id."""

    __slots__ = ("accounts",)

    def __init__(self) -> None:
        self.accounts: dict[str, TokenAccount] = {}

    def open_account(self, account_id: str, mint: str, owner: str, amount: int = 0) -> TokenAccount:
        """Create (or return the existing) token account ``account_id``.

        Raises:
            ValueError: the account exists with another mint or owner, or amount < 0.
        """
        existing = self.accounts.get(account_id)
        if existing is not None:
            if existing.mint != mint or existing.owner != owner:
                raise ValueError(
                    f"token account {account_id} exists with mint {existing.mint} and owner "
                    f"{existing.owner}, was asked for mint {mint} and owner {owner}"
                )
            return existing
        if amount < 0:
            raise ValueError(f"token account {account_id} amount must be >= 0, was {amount}")
        account = TokenAccount(mint, owner, amount)
        self.accounts[account_id] = account
        return account

    def get(self, account_id: str) -> TokenAccount:
        """Return the account ``account_id``.

        Raises:
            KeyError: unknown account.
        """
        return self.accounts[account_id]

    def balance(self, account_id: str) -> int:
        """Return the amount held by ``account_id``."""
        return self.accounts[account_id].amount

    def mint_to(self, account_id: str, amount: int) -> None:
        """Create ``amount`` new units in ``account_id`` (test and simulation funding)."""
        if amount < 0:
            raise ValueError(f"mint amount must be >= 0, was {amount}")
        self.accounts[account_id].amount += amount

    def total(self, mint: str) -> int:
        """Return the units of ``mint`` held over all accounts."""
        return sum(a.amount for a in self.accounts.values() if a.mint == mint)

    def check_transfer(self, source: str, destination: str, amount: int, authority: str) -> None:
        """Raise the SPL error a transfer would fail with; do nothing when it would succeed.

        Raises:
            ExchangeError: spl_token InsufficientFunds (1), MintMismatch (3), OwnerMismatch (4),
                checked in that order as SPL Token does.
        """
        src = self.accounts[source]
        dst = self.accounts[destination]
        if src.amount < amount:
            raise token_error(
                INSUFFICIENT_FUNDS,
                "InsufficientFunds",
                f"token account {source} holds {src.amount}, transfer needs {amount}",
            )
        if src.mint != dst.mint:
            raise token_error(MINT_MISMATCH, "MintMismatch", f"{source} -> {destination}")
        if src.owner != authority:
            raise token_error(
                OWNER_MISMATCH,
                "OwnerMismatch",
                f"{authority} is not the owner of token account {source}",
            )

    def transfer(self, source: str, destination: str, amount: int, authority: str) -> None:
        """Move ``amount`` from ``source`` to ``destination``, signed by ``authority``.

        A zero amount moves nothing and checks nothing, as the program skips the transfer.

        Raises:
            ExchangeError: as ``check_transfer``; nothing moves then.
        """
        if amount == 0:
            return
        self.check_transfer(source, destination, amount, authority)
        self.accounts[source].amount -= amount
        self.accounts[destination].amount += amount


__all__ = ["ExchangeError", "TokenAccount", "TokenLedger"]
