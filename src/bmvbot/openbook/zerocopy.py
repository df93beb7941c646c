"""Fixed-offset (``repr(C)`` zero-copy) record layouts: one ``struct`` format per record.

A ``Record`` lists its fields in byte order with a kind each; it unpacks bytes to a dict of
Python values and packs such a dict back to exactly the same bytes. Kinds:

- ``u8 u16 u32 u64 i8 i16 i32 i64 f64``: numbers; ``u128``: a Python int from 16 bytes;
- ``bool``: one byte that must be 0 or 1;
- ``pubkey``: a ``Pubkey``; ``opt_pubkey``: ``None`` for the all-zero key (so writing the zero
  key itself reads back as ``None``, which is what the program means by it);
- ``str<N>``: N bytes of UTF-8 padded with NULs (``str16``);
- ``pad<N>``: N bytes kept as ``bytes`` (padding and reserved areas, usually zero).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import cast

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.openbook.borsh import check_int

_ZERO_KEY = bytes(32)
_NUMBER_CODES = {
    "u8": "B",
    "u16": "H",
    "u32": "I",
    "u64": "Q",
    "i8": "b",
    "i16": "h",
    "i32": "i",
    "i64": "q",
    "f64": "d",
}


def _decode_name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def _encode_name(value: object, size: int, field: str) -> bytes:
    if not isinstance(value, str):
        raise CodecError(f"{field} must be a str, was {value!r}")
    encoded = value.encode()
    if len(encoded) > size or b"\0" in encoded:
        raise CodecError(f"{field} must be at most {size} UTF-8 bytes without NUL, was {value!r}")
    return encoded.ljust(size, b"\0")


def _pubkey_bytes(value: object, field: str, *, optional: bool) -> bytes:
    if value is None and optional:
        return _ZERO_KEY
    if not isinstance(value, Pubkey):
        allowed = "a Pubkey or None" if optional else "a Pubkey"
        raise CodecError(f"{field} must be {allowed}, was {value!r}")
    return bytes(value)


class Record:
    """One fixed-size record: ``unpack`` bytes to a dict, ``pack`` a dict to bytes."""

    __slots__ = ("_decoders", "_encoders", "_struct", "fields", "size")

    def __init__(self, fields: tuple[tuple[str, str], ...]) -> None:
        self.fields = fields
        codes = ["<"]
        self._decoders: list[tuple[str, Callable[[tuple[object, ...], int], tuple[object, int]]]]
        self._decoders = []
        self._encoders: list[Callable[[Mapping[str, object], list[object]], None]] = []
        for name, kind in fields:
            codes.append(self._add(name, kind))
        self._struct = struct.Struct("".join(codes))
        self.size = self._struct.size

    def _add(self, name: str, kind: str) -> str:
        # each kind contributes its struct code plus one decoder and one encoder
        if kind in _NUMBER_CODES:
            self._decoders.append((name, lambda v, i: (v[i], i + 1)))
            self._encoders.append(lambda d, out: out.append(_number(d, name, kind)))
            return _NUMBER_CODES[kind]
        if kind == "bool":
            self._decoders.append((name, lambda v, i: (_bool(v[i], name), i + 1)))
            self._encoders.append(lambda d, out: out.append(_bool_byte(d[name], name)))
            return "B"
        if kind == "u128":
            self._decoders.append((name, lambda v, i: (_u128(v[i], v[i + 1]), i + 2)))
            self._encoders.append(lambda d, out: out.extend(_u128_parts(d[name], name)))
            return "QQ"
        size = int(kind.lstrip("abcdefghijklmnopqrstuvwxyz_") or 32)
        if kind in ("pubkey", "opt_pubkey"):
            optional = kind == "opt_pubkey"
            self._decoders.append((name, lambda v, i: (_key(v[i], optional=optional), i + 1)))
            self._encoders.append(
                lambda d, out: out.append(_pubkey_bytes(d[name], name, optional=optional))
            )
            return "32s"
        if kind.startswith("str"):
            self._decoders.append((name, lambda v, i: (_decode_name(_as_bytes(v[i])), i + 1)))
            self._encoders.append(lambda d, out: out.append(_encode_name(d[name], size, name)))
            return f"{size}s"
        if kind.startswith("pad"):
            self._decoders.append((name, lambda v, i: (_as_bytes(v[i]), i + 1)))
            self._encoders.append(lambda d, out: out.append(_pad(d.get(name), size, name)))
            return f"{size}s"
        raise ValueError(f"unknown field kind {kind!r} for {name}")

    def unpack(self, data: bytes | memoryview, offset: int = 0) -> dict[str, object]:
        """Return the record at ``offset`` as a dict (the caller checked the length)."""
        values = self._struct.unpack_from(data, offset)
        out: dict[str, object] = {}
        index = 0
        for name, decode in self._decoders:
            out[name], index = decode(values, index)
        return out

    def pack(self, values: Mapping[str, object]) -> bytes:
        """Return the bytes of ``values``; missing ``pad`` fields are zero-filled.

        Raises:
            CodecError: a field is missing, of the wrong type or out of range.
        """
        flat: list[object] = []
        try:
            for encode in self._encoders:
                encode(values, flat)
        except KeyError as e:
            raise CodecError(f"record field {e.args[0]} is missing") from e
        return self._struct.pack(*flat)


def _number(values: Mapping[str, object], name: str, kind: str) -> object:
    value = values[name]
    if kind == "f64":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise CodecError(f"{name} must be a number (f64), was {value!r}")
        return float(value)
    return check_int(value, kind, name)


def _bool(value: object, name: str) -> bool:
    if value not in (0, 1):
        raise CodecError(f"{name} must be a bool byte 0 or 1, was {value!r}")
    return value == 1


def _bool_byte(value: object, name: str) -> int:
    if not isinstance(value, bool):
        raise CodecError(f"{name} must be a bool, was {value!r}")
    return int(value)


def _u128(low: object, high: object) -> int:
    # struct yields ints for the two "Q" halves
    return cast(int, low) | (cast(int, high) << 64)


def _u128_parts(value: object, name: str) -> tuple[int, int]:
    checked = check_int(value, "u128", name)
    return checked & 0xFFFF_FFFF_FFFF_FFFF, checked >> 64


def _as_bytes(value: object) -> bytes:
    # struct yields bytes for "Ns" fields
    return cast(bytes, value)


def _key(value: object, *, optional: bool) -> Pubkey | None:
    raw = _as_bytes(value)
    if optional and raw == _ZERO_KEY:
        return None
    return Pubkey.from_bytes(raw)


def _pad(value: object, size: int, name: str) -> bytes:
    if value is None:
        return bytes(size)
    if not isinstance(value, bytes) or len(value) != size:
        raise CodecError(f"{name} must be {size} bytes, was {value!r}")
    return value


def f32(value: float) -> float:
    """Return ``value`` rounded to the nearest IEEE-754 single, as an f32 field stores it."""
    rounded: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return rounded


def check_account(data: bytes, discriminator: bytes, size: int, what: str) -> None:
    """Raise unless ``data`` is ``size`` bytes long and starts with ``discriminator``.

    Raises:
        CodecError: naming the account type, the length or the discriminator found.
    """
    if len(data) < 8:
        raise CodecError(f"{what} account data is truncated: {len(data)} bytes, expected {size}")
    if bytes(data[:8]) != discriminator:
        raise CodecError(
            f"not a {what} account: discriminator {bytes(data[:8]).hex()}, "
            f"expected {discriminator.hex()}"
        )
    if len(data) != size:
        raise CodecError(f"{what} account data must be {size} bytes, was {len(data)}")
