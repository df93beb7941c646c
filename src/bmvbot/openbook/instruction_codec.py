"""The machinery under the instruction encoders: market keys, data, account metas, decoding.

``encode_instruction_data`` writes discriminator + Borsh arguments; ``build_instruction`` fills
an instruction's account layout (``layouts.INSTRUCTION_LAYOUTS``) with keys, passing absent
optional accounts as the program id with both flags cleared; ``decode_instruction`` and
``named_accounts`` go the other way. The per-instruction encoders live in ``instructions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.core.types import Side
from bmvbot.openbook.args import (
    InstructionArgs,
)
from bmvbot.openbook.borsh import BorshReader, BorshWriter
from bmvbot.openbook.ids import (
    INSTRUCTION_BY_DISCRIMINATOR,
    INSTRUCTION_DISCRIMINATORS,
    OPENBOOK_PROGRAM_ID,
)
from bmvbot.openbook.layouts import (
    ARGS_BY_INSTRUCTION,
    INSTRUCTION_LAYOUTS,
)
from bmvbot.openbook.market import Market


@dataclass(frozen=True, slots=True)
class MarketKeys:
    """The addresses of one market that instructions reference.

    ``None`` for an oracle or admin means "none": its slot gets the program id. To reproduce the
    TypeScript client, which passes the zero key for absent oracles, give ``Pubkey.default()``.
    """

    market: Pubkey
    bids: Pubkey
    asks: Pubkey
    event_heap: Pubkey
    market_authority: Pubkey
    base_vault: Pubkey
    quote_vault: Pubkey
    oracle_a: Pubkey | None = None
    oracle_b: Pubkey | None = None
    open_orders_admin: Pubkey | None = None
    consume_events_admin: Pubkey | None = None
    close_market_admin: Pubkey | None = None
    program_id: Pubkey = OPENBOOK_PROGRAM_ID

    @classmethod
    def from_market(
        cls, market: Pubkey, account: Market, program_id: Pubkey = OPENBOOK_PROGRAM_ID
    ) -> MarketKeys:
        """Return the keys of ``market`` as its decoded account lists them."""
        return cls(
            market=market,
            bids=account.bids,
            asks=account.asks,
            event_heap=account.event_heap,
            market_authority=account.market_authority,
            base_vault=account.market_base_vault,
            quote_vault=account.market_quote_vault,
            oracle_a=account.oracle_a,
            oracle_b=account.oracle_b,
            open_orders_admin=account.open_orders_admin,
            consume_events_admin=account.consume_events_admin,
            close_market_admin=account.close_market_admin,
            program_id=program_id,
        )

    def vault(self, side: Side) -> Pubkey:
        """Return the vault a ``place_order`` on ``side`` pays into (bid: quote, ask: base)."""
        return self.quote_vault if Side(side) is Side.BID else self.base_vault


@dataclass(frozen=True, slots=True)
class DecodedInstruction:
    """An instruction's name and its argument struct (None for argument-less instructions)."""

    name: str
    args: InstructionArgs | None


def encode_instruction_data(name: str, args: InstructionArgs | None) -> bytes:
    """Return the data of instruction ``name``: its discriminator and Borsh ``args``.

    Raises:
        CodecError: unknown instruction, the wrong argument struct, or a value out of range.
    """
    if name not in INSTRUCTION_LAYOUTS:
        raise CodecError(f"unknown OpenBook instruction {name!r}")
    expected = ARGS_BY_INSTRUCTION.get(name)
    if (expected is None and args is not None) or (
        expected is not None and not isinstance(args, expected)
    ):
        wanted = expected.__name__ if expected else "no arguments"
        raise CodecError(f"{name} takes {wanted}, was {type(args).__name__}")
    w = BorshWriter(INSTRUCTION_DISCRIMINATORS[name])
    if args is not None:
        args.write(w)
    return bytes(w)


def build_instruction(
    name: str,
    program_id: Pubkey,
    keys: Mapping[str, Pubkey | None],
    args: InstructionArgs | None = None,
    remaining: Sequence[Pubkey] = (),
) -> Instruction:
    """Return instruction ``name`` with its accounts taken by name from ``keys``.

    Remaining accounts are appended writable. A None (or missing) optional account becomes the
    program id, neither signer nor writable.

    Raises:
        CodecError: a required account is missing, or the arguments do not encode.
    """
    layout = INSTRUCTION_LAYOUTS[name]
    metas = []
    for spec in layout.accounts:
        key = keys.get(spec.name)
        if key is None:
            if not spec.is_optional:
                raise CodecError(f"{name} needs account {spec.name}, none was given")
            metas.append(AccountMeta(program_id, is_signer=False, is_writable=False))
        else:
            _check_key(key, f"{name} account {spec.name}")
            metas.append(AccountMeta(key, is_signer=spec.is_signer, is_writable=spec.is_writable))
    for index, key in enumerate(remaining):
        _check_key(key, f"{name} remaining account {index}")
        metas.append(AccountMeta(key, is_signer=False, is_writable=True))
    return Instruction(program_id, encode_instruction_data(name, args), metas)


def _check_key(key: object, what: str) -> None:
    if not isinstance(key, Pubkey):
        raise CodecError(f"{what} must be a Pubkey, was {key!r}")


def decode_instruction(data: bytes, *, strict: bool = True) -> DecodedInstruction:
    """Return the name and arguments encoded in OpenBook instruction ``data``.

    Args:
        data: the full instruction data, discriminator included.
        strict: refuse trailing bytes. The program (Anchor) ignores them; pass False to mimic it.

    Raises:
        CodecError: the data is shorter than 8 bytes, the discriminator is unknown, an enum
            or option byte is invalid, or the arguments are truncated.
    """
    if len(data) < 8:
        raise CodecError(f"instruction data must hold an 8-byte discriminator, was {len(data)} B")
    name = INSTRUCTION_BY_DISCRIMINATOR.get(bytes(data[:8]))
    if name is None:
        raise CodecError(f"unknown OpenBook instruction discriminator {bytes(data[:8]).hex()}")
    if name not in INSTRUCTION_LAYOUTS:
        raise CodecError(f"OpenBook instruction {name} is not supported by this codec")
    args_type = ARGS_BY_INSTRUCTION.get(name)
    r = BorshReader(data, 8, what=f"{name} instruction data")
    args = args_type.read(r) if args_type is not None else None
    if strict:
        r.expect_end()
    return DecodedInstruction(name, args)


def named_accounts(
    name: str, accounts: Sequence[Pubkey], program_id: Pubkey = OPENBOOK_PROGRAM_ID
) -> tuple[dict[str, Pubkey | None], tuple[Pubkey, ...]]:
    """Return ``(accounts by name, remaining accounts)`` for an instruction's account list.

    An optional slot holding the program id maps to None.

    Raises:
        CodecError: unknown instruction, or fewer accounts than the instruction needs.
    """
    layout = INSTRUCTION_LAYOUTS.get(name)
    if layout is None:
        raise CodecError(f"unknown OpenBook instruction {name!r}")
    if len(accounts) < len(layout.accounts):
        raise CodecError(f"{name} needs {len(layout.accounts)} accounts, was {len(accounts)}")
    named: dict[str, Pubkey | None] = {}
    for spec, key in zip(layout.accounts, accounts, strict=False):
        named[spec.name] = None if spec.is_optional and key == program_id else key
    return named, tuple(accounts[len(layout.accounts) :])


def check_name_length(name: object, max_bytes: int) -> None:
    """Raise unless ``name`` fits ``max_bytes`` UTF-8 bytes (the program's 6001 check)."""
    if isinstance(name, str) and len(name.encode()) > max_bytes:
        raise CodecError(
            f"name must be at most {max_bytes} UTF-8 bytes, was {len(name.encode())}: {name!r}"
        )


@dataclass(frozen=True, slots=True)
class AccountFlagViolation:
    """An account sent without a flag its slot requires (``problem``: "signer" or "writable")."""

    index: int
    name: str
    problem: str


def account_flag_violations(
    name: str, metas: Sequence[AccountMeta], program_id: Pubkey = OPENBOOK_PROGRAM_ID
) -> list[AccountFlagViolation]:
    """Return, in account order, every slot of ``name`` whose flags are short of the layout's.

    An absent optional account (the program id in its slot) needs no flag. Remaining accounts
    are not checked. The program reports the first one (Anchor 3010 AccountNotSigner, 2000
    ConstraintMut); mapping to codes is left to the caller.

    Raises:
        CodecError: unknown instruction, or fewer accounts than the layout needs.
    """
    named, _ = named_accounts(name, [meta.pubkey for meta in metas], program_id)
    violations = []
    for index, spec in enumerate(INSTRUCTION_LAYOUTS[name].accounts):
        if named[spec.name] is None:
            continue
        meta = metas[index]
        if spec.is_signer and not meta.is_signer:
            violations.append(AccountFlagViolation(index, spec.name, "signer"))
        if spec.is_writable and not meta.is_writable:
            violations.append(AccountFlagViolation(index, spec.name, "writable"))
    return violations
