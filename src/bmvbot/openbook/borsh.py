"""Minimal little-endian Borsh writer and reader with range and bounds checks.

Only what OpenBook V2 needs: fixed-width integers, bool, f32/f64, 32-byte keys, strings,
``Option<T>`` tags and ``Vec<T>`` lengths. Every failure raises ``CodecError`` naming the field.
"""

from __future__ import annotations

import struct

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError

_INT_RANGES: dict[str, tuple[int, int]] = {
    "u8": (0, 2**8 - 1),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
    "u64": (0, 2**64 - 1),
    "u128": (0, 2**128 - 1),
    "i8": (-(2**7), 2**7 - 1),
    "i16": (-(2**15), 2**15 - 1),
    "i32": (-(2**31), 2**31 - 1),
    "i64": (-(2**63), 2**63 - 1),
    "i128": (-(2**127), 2**127 - 1),
}
_INT_WIDTHS = {"8": 1, "16": 2, "32": 4, "64": 8, "128": 16}


def check_int(value: object, kind: str, field: str) -> int:
    """Return ``value`` if it is an int that fits ``kind`` (e.g. ``"u64"``), else raise.

    Raises:
        CodecError: ``value`` is not an int (bools are refused too) or is out of range.
    """
    low, high = _INT_RANGES[kind]
    if not isinstance(value, int) or isinstance(value, bool):
        raise CodecError(f"{field} must be an integer ({kind}), was {value!r}")
    if not low <= value <= high:
        raise CodecError(f"{field} must be a {kind} in {low}..{high}, was {value}")
    return value


def int_bytes(value: object, kind: str, field: str) -> bytes:
    """Return ``value`` as the little-endian bytes of integer type ``kind``."""
    checked = check_int(value, kind, field)
    return checked.to_bytes(_INT_WIDTHS[kind[1:]], "little", signed=kind[0] == "i")


class BorshWriter:
    """Append Borsh-encoded values to a growing buffer; ``bytes()`` returns the result."""

    __slots__ = ("_parts",)

    def __init__(self, prefix: bytes = b"") -> None:
        self._parts: list[bytes] = [prefix] if prefix else []

    def __bytes__(self) -> bytes:
        return b"".join(self._parts)

    def raw(self, data: bytes) -> BorshWriter:
        """Append ``data`` unchanged."""
        self._parts.append(bytes(data))
        return self

    def integer(self, value: object, kind: str, field: str) -> BorshWriter:
        """Append an integer of type ``kind`` (``u8`` .. ``i128``)."""
        self._parts.append(int_bytes(value, kind, field))
        return self

    def boolean(self, value: object, field: str) -> BorshWriter:
        """Append a bool as one byte (0 or 1)."""
        if not isinstance(value, bool):
            raise CodecError(f"{field} must be a bool, was {value!r}")
        self._parts.append(b"\x01" if value else b"\x00")
        return self

    def f32(self, value: object, field: str) -> BorshWriter:
        """Append an IEEE-754 single."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise CodecError(f"{field} must be a number (f32), was {value!r}")
        try:
            self._parts.append(struct.pack("<f", value))
        except OverflowError as e:
            raise CodecError(f"{field} does not fit an f32, was {value!r}") from e
        return self

    def pubkey(self, value: object, field: str) -> BorshWriter:
        """Append a 32-byte public key."""
        if not isinstance(value, Pubkey):
            raise CodecError(f"{field} must be a Pubkey, was {value!r}")
        self._parts.append(bytes(value))
        return self

    def string(self, value: object, field: str, max_bytes: int | None = None) -> BorshWriter:
        """Append a UTF-8 string with its u32 length; refuse more than ``max_bytes`` bytes."""
        if not isinstance(value, str):
            raise CodecError(f"{field} must be a str, was {value!r}")
        encoded = value.encode()
        if max_bytes is not None and len(encoded) > max_bytes:
            raise CodecError(
                f"{field} must be at most {max_bytes} UTF-8 bytes, was {len(encoded)}: {value!r}"
            )
        self.integer(len(encoded), "u32", f"{field} length")
        self._parts.append(encoded)
        return self

    def option_tag(self, is_some: bool) -> BorshWriter:
        """Append the ``Option`` tag: 1 for Some (the value follows), 0 for None."""
        self._parts.append(b"\x01" if is_some else b"\x00")
        return self


class BorshReader:
    """Read Borsh values from ``data`` starting at ``offset``; every read is bounds-checked."""

    __slots__ = ("_data", "_what", "offset")

    def __init__(self, data: bytes, offset: int = 0, what: str = "data") -> None:
        self._data = data
        self.offset = offset
        self._what = what

    @property
    def remaining(self) -> int:
        """Return the number of unread bytes."""
        return len(self._data) - self.offset

    def take(self, size: int, field: str) -> bytes:
        """Return the next ``size`` bytes."""
        end = self.offset + size
        if size < 0 or end > len(self._data):
            raise CodecError(
                f"{self._what} is truncated: {field} needs {size} bytes at offset {self.offset}, "
                f"only {len(self._data) - self.offset} left"
            )
        chunk = self._data[self.offset : end]
        self.offset = end
        return bytes(chunk)

    def integer(self, kind: str, field: str) -> int:
        """Return the next integer of type ``kind``."""
        raw = self.take(_INT_WIDTHS[kind[1:]], field)
        return int.from_bytes(raw, "little", signed=kind[0] == "i")

    def boolean(self, field: str) -> bool:
        """Return the next bool; a byte other than 0 or 1 is an error."""
        value = self.integer("u8", field)
        if value > 1:
            raise CodecError(f"{self._what}: {field} must be a bool byte 0 or 1, was {value}")
        return value == 1

    def f32(self, field: str) -> float:
        """Return the next IEEE-754 single as a Python float."""
        value: float = struct.unpack("<f", self.take(4, field))[0]
        return value

    def pubkey(self, field: str) -> Pubkey:
        """Return the next 32-byte public key."""
        return Pubkey.from_bytes(self.take(32, field))

    def string(self, field: str) -> str:
        """Return the next length-prefixed UTF-8 string."""
        size = self.integer("u32", f"{field} length")
        raw = self.take(size, field)
        try:
            return raw.decode()
        except UnicodeDecodeError as e:
            raise CodecError(f"{self._what}: {field} is not valid UTF-8: {raw!r}") from e

    def option_tag(self, field: str) -> bool:
        """Return True when the next ``Option`` tag says Some."""
        tag = self.integer("u8", f"{field} option tag")
        if tag > 1:
            raise CodecError(f"{self._what}: {field} option tag must be 0 or 1, was {tag}")
        return tag == 1

    def expect_end(self) -> None:
        """Raise unless every byte was read (Anchor ignores trailing bytes; we do not)."""
        if self.remaining:
            raise CodecError(
                f"{self._what} has {self.remaining} trailing bytes after offset {self.offset}"
            )
