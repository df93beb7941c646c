"""SPL Token ``Account`` (165 bytes) and ``Mint`` (82 bytes) decoders and writers."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError

TOKEN_ACCOUNT_SIZE = 165
MINT_SIZE = 82

_TOKEN_ACCOUNT = struct.Struct("<32s32sQI32sBIQQI32s")
_MINT = struct.Struct("<I32sQBBI32s")


@dataclass(frozen=True, slots=True)
class TokenAccount:
    """An SPL token account; ``state`` 0 uninitialized, 1 initialized, 2 frozen."""

    mint: Pubkey
    owner: Pubkey
    amount: int
    delegate: Pubkey | None
    state: int
    is_native: int | None
    delegated_amount: int
    close_authority: Pubkey | None


@dataclass(frozen=True, slots=True)
class Mint:
    """An SPL mint."""

    mint_authority: Pubkey | None
    supply: int
    decimals: int
    is_initialized: bool
    freeze_authority: Pubkey | None


def _coption_key(tag: int, raw: bytes, field: str) -> Pubkey | None:
    if tag not in (0, 1):
        raise CodecError(f"{field} COption tag must be 0 or 1, was {tag}")
    return Pubkey.from_bytes(raw) if tag else None


def decode_token_account(data: bytes) -> TokenAccount:
    """Return the SPL token account in ``data`` (exactly 165 bytes).

    Raises:
        CodecError: wrong size or an invalid COption tag.
    """
    if len(data) != TOKEN_ACCOUNT_SIZE:
        raise CodecError(f"SPL token account data must be 165 bytes, was {len(data)}")
    (mint, owner, amount, delegate_tag, delegate, state, native_tag, native, delegated,
     close_tag, close) = _TOKEN_ACCOUNT.unpack_from(data)  # fmt: skip
    if native_tag not in (0, 1):
        raise CodecError(f"is_native COption tag must be 0 or 1, was {native_tag}")
    return TokenAccount(
        Pubkey.from_bytes(mint),
        Pubkey.from_bytes(owner),
        amount,
        _coption_key(delegate_tag, delegate, "delegate"),
        state,
        native if native_tag else None,
        delegated,
        _coption_key(close_tag, close, "close_authority"),
    )


def decode_mint(data: bytes) -> Mint:
    """Return the SPL mint in ``data`` (exactly 82 bytes).

    Raises:
        CodecError: wrong size or an invalid COption tag.
    """
    if len(data) != MINT_SIZE:
        raise CodecError(f"SPL mint data must be 82 bytes, was {len(data)}")
    auth_tag, auth, supply, decimals, initialized, freeze_tag, freeze = _MINT.unpack_from(data)
    return Mint(
        _coption_key(auth_tag, auth, "mint_authority"),
        supply,
        decimals,
        initialized == 1,
        _coption_key(freeze_tag, freeze, "freeze_authority"),
    )


def _coption_key_parts(value: Pubkey | None, field: str) -> tuple[int, bytes]:
    if value is None:
        return 0, bytes(32)
    if not isinstance(value, Pubkey):
        raise CodecError(f"{field} must be a Pubkey or None, was {value!r}")
    return 1, bytes(value)


def encode_token_account(account: TokenAccount) -> bytes:
    """Return the 165 bytes of ``account`` (an emulator moving tokens rewrites ``amount``).

    Raises:
        CodecError: a field is of the wrong type or out of range.
    """
    delegate_tag, delegate = _coption_key_parts(account.delegate, "delegate")
    close_tag, close = _coption_key_parts(account.close_authority, "close_authority")
    native_tag, native = (0, 0) if account.is_native is None else (1, account.is_native)
    try:
        return _TOKEN_ACCOUNT.pack(
            bytes(account.mint), bytes(account.owner), account.amount, delegate_tag, delegate,
            account.state, native_tag, native, account.delegated_amount, close_tag, close,
        )  # fmt: skip
    except (struct.error, TypeError) as e:
        raise CodecError(f"SPL token account field out of range: {e}") from e


def encode_mint(mint: Mint) -> bytes:
    """Return the 82 bytes of ``mint``.

    Raises:
        CodecError: a field is of the wrong type or out of range.
    """
    auth_tag, auth = _coption_key_parts(mint.mint_authority, "mint_authority")
    freeze_tag, freeze = _coption_key_parts(mint.freeze_authority, "freeze_authority")
    try:
        return _MINT.pack(
            auth_tag, auth, mint.supply, mint.decimals, int(mint.is_initialized), freeze_tag,
            freeze,
        )  # fmt: skip
    except (struct.error, TypeError) as e:
        raise CodecError(f"SPL mint field out of range: {e}") from e
