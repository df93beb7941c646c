"""Tape v1 CSV loader: chunked, vectorized (numpy), exact decimal parsing into ticks and lots.

The file is read in blocks of whole lines (``DEFAULT_CHUNK_BYTES``); each block is parsed with
array operations on its bytes: field boundaries from the comma and newline positions, integers
and decimals digit column by digit column. A price becomes ``units / tick_mantissa`` where
``units`` is the decimal scaled to the tick's decimal places, so nothing passes through a
float. The first offending row stops the load with its file line number, the value and what is
allowed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bmvbot.core.errors import ConfigError
from bmvbot.ports.tape import DecimalStep

HEADER = "ts_ns,kind,side,price,qty"
"""The one header line a tape v1 file starts with."""
DEFAULT_CHUNK_BYTES = 8 << 20
"""Bytes read per block (whole lines are parsed at once; the rest waits for the next block)."""
MAX_FIELD_CHARS = 40
BID, ASK = 0, 1
"""Side codes of ``TapeColumns.side``: the book side a row concerns."""

_KINDS = (b"book", b"trade")
_SIDES = (b"bid", b"ask", b"buy", b"sell")
_INT64_MAX = 2**63 - 1
_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)

Ints = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TapeColumns:
    """A parsed tape, one array entry per row, in file order.

    Attributes:
        ts_ns: event times, strictly increasing.
        is_trade: True for a ``trade`` row, False for a ``book`` row.
        side: the book side the row concerns: ``BID`` (a bid level, or a trade whose aggressor
            sold into the bids) or ``ASK`` (an ask level, or a buy that lifted the asks).
        price_lots: prices in ticks.
        size_base_lots: sizes in lots (0 deletes a book level).
    """

    ts_ns: Ints
    is_trade: NDArray[np.bool_]
    side: NDArray[np.int8]
    price_lots: Ints
    size_base_lots: Ints

    @property
    def event_count(self) -> int:
        """Return the number of rows."""
        return int(self.ts_ns.size)


class _Block:
    # one block of whole lines: the bytes, each row's field bounds and its file line number
    def __init__(self, data: bytes, first_line: int, source: str) -> None:
        self.buf = np.frombuffer(data, dtype=np.uint8)
        self.data = data
        self.source = source
        newlines = np.flatnonzero(self.buf == 10)
        starts = np.empty_like(newlines)
        starts[0] = 0
        starts[1:] = newlines[:-1] + 1
        ends = newlines - (self.buf[np.maximum(newlines - 1, 0)] == 13) * (newlines > starts)
        lines = np.arange(first_line, first_line + newlines.size)
        keep = ends > starts  # empty lines are skipped
        self.starts, self.ends, self.lines = starts[keep], ends[keep], lines[keep]
        self.line_count = int(newlines.size)
        commas = np.flatnonzero(self.buf == 44)
        count = np.searchsorted(commas, self.ends) - np.searchsorted(commas, self.starts)
        self._fail_where(count != 4, "must have 5 fields ts_ns,kind,side,price,qty", None)
        bounds = commas.reshape(-1, 4)  # every comma belongs to a kept line: 4 per row
        self.fields = (
            (self.starts, bounds[:, 0]),
            (bounds[:, 0] + 1, bounds[:, 1]),
            (bounds[:, 1] + 1, bounds[:, 2]),
            (bounds[:, 2] + 1, bounds[:, 3]),
            (bounds[:, 3] + 1, self.ends),
        )

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", errors="replace")[:MAX_FIELD_CHARS]

    def _fail_where(self, bad: NDArray[np.bool_], message: str, field: int | None) -> None:
        if not bad.any():
            return
        row = int(np.argmax(bad))
        if field is None:
            shown = self.text(int(self.starts[row]), int(self.ends[row]))
        else:
            shown = self.text(int(self.fields[field][0][row]), int(self.fields[field][1][row]))
        raise ConfigError(
            f"tape {self.source} line {int(self.lines[row])}: {message}, was {shown!r}",
            key="tape",
        )

    def chars(
        self, field: int, width_limit: int, name: str
    ) -> tuple[NDArray[np.uint8], NDArray[np.bool_], Ints]:
        # the field's characters column-major (width x rows, 0 past its end), so that each
        # character position is one contiguous row for the digit-by-digit passes
        starts, ends = self.fields[field]
        lengths = ends - starts
        self._fail_where(lengths == 0, f"{name} must not be empty", field)
        self._fail_where(
            lengths > width_limit, f"{name} must be at most {width_limit} chars", field
        )
        width = int(lengths.max()) if lengths.size else 1
        cols = np.arange(width)[:, None]
        index = np.minimum(starts[None, :] + cols, self.buf.size - 1)
        mask = cols < lengths[None, :]
        chars = self.buf[index]
        chars[~mask] = 0
        return chars, mask, lengths

    def tokens(self, field: int, tokens: tuple[bytes, ...], name: str) -> NDArray[np.int8]:
        chars, _, lengths = self.chars(field, MAX_FIELD_CHARS, name)
        codes = np.full(lengths.size, -1, dtype=np.int8)
        for code, token in enumerate(tokens):
            size = len(token)
            if chars.shape[0] < size:
                continue
            match = lengths == size
            for position, byte in enumerate(token):
                match &= chars[position] == byte
            codes[match] = code
        allowed = " or ".join(t.decode() for t in tokens)
        self._fail_where(codes < 0, f"{name} must be {allowed}", field)
        return codes

    def whole_number(self, field: int, name: str) -> Ints:
        chars, mask, _ = self.chars(field, 19, name)
        digits = chars - np.uint8(48)
        is_bad = np.any(mask & (digits > 9), axis=0)
        self._fail_where(is_bad, f"{name} must be digits only", field)
        value = np.zeros(chars.shape[1], dtype=np.uint64)
        for col in range(chars.shape[0]):
            value = np.where(mask[col], value * np.uint64(10) + digits[col], value)
        self._fail_where(value > _INT64_MAX, f"{name} must be below 2**63", field)
        return value.astype(np.int64)

    def decimal_steps(self, field: int, step: DecimalStep, name: str) -> Ints:
        chars, mask, lengths = self.chars(field, MAX_FIELD_CHARS, name)
        digits = chars - np.uint8(48)
        is_dot = chars == 46
        self._fail_where(
            np.any(mask & (digits > 9) & ~is_dot, axis=0) | (is_dot.sum(axis=0) > 1),
            f"{name} must be a plain decimal number (digits and at most one '.')",
            field,
        )
        has_dot = is_dot.any(axis=0)
        dot = np.where(has_dot, np.argmax(is_dot, axis=0), lengths)
        places = step.exponent
        self._fail_where(
            (dot == 0) | (has_dot & (dot == lengths - 1)),
            f"{name} needs digits before and after its '.'",
            field,
        )
        self._fail_where(dot > 18 - places, f"{name} is too large for this instrument", field)
        units = np.zeros(lengths.size, dtype=np.int64)
        last_kept = dot + places
        beyond = np.zeros(lengths.size, dtype=bool)
        for col in range(chars.shape[0]):
            take = mask[col] & (dot != col) & (col <= last_kept)
            units = np.where(take, units * 10 + digits[col], units)
            # digits past the step's places must be zeros (0 past the field's end is fine)
            beyond |= (col > last_kept) & (chars[col] != 48) & mask[col]
        kept = np.clip(lengths - dot - 1, 0, places)
        units *= _POW10[places - kept]
        steps, remainder = np.divmod(units, step.mantissa)
        self._fail_where(beyond | (remainder != 0), f"{name} must be a multiple of {step}", field)
        return steps


def _parse_block(block: _Block, tick: DecimalStep, lot: DecimalStep) -> TapeColumns:
    ts_ns = block.whole_number(0, "ts_ns")
    kind = block.tokens(1, _KINDS, "kind")
    side = block.tokens(2, _SIDES, "side")
    is_trade = kind == 1
    block._fail_where(
        is_trade != (side >= 2), "side must be bid/ask for a book row, buy/sell for a trade", 2
    )
    price = block.decimal_steps(3, tick, "price")
    size = block.decimal_steps(4, lot, "qty")
    block._fail_where(price <= 0, "price must be > 0", 3)
    block._fail_where(is_trade & (size <= 0), "qty of a trade must be > 0", 4)
    diff = np.diff(ts_ns)
    block._fail_where(np.concatenate(([False], diff <= 0)), "ts_ns must be strictly increasing", 0)
    # a sell aggressor hits the bids (BID), a buy lifts the asks (ASK)
    book_side = np.where(is_trade, side == 2, side).astype(np.int8)
    return TapeColumns(ts_ns, is_trade, book_side, price, size)


def _check_header(line: bytes, source: str) -> None:
    text = line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    if text != HEADER:
        raise ConfigError(
            f"tape {source} line 1 must be the header {HEADER!r}, was {text[:60]!r}", key="tape"
        )


def _join(blocks: list[TapeColumns], source: str) -> TapeColumns:
    if not blocks:
        raise ConfigError(f"tape {source} has no rows after its header", key="tape")
    for before, after in itertools.pairwise(blocks):
        if after.ts_ns[0] <= before.ts_ns[-1]:
            raise ConfigError(
                f"tape {source}: ts_ns must be strictly increasing, was {int(after.ts_ns[0])} "
                f"after {int(before.ts_ns[-1])}",
                key="tape",
            )
    return TapeColumns(
        np.concatenate([b.ts_ns for b in blocks]),
        np.concatenate([b.is_trade for b in blocks]),
        np.concatenate([b.side for b in blocks]),
        np.concatenate([b.price_lots for b in blocks]),
        np.concatenate([b.size_base_lots for b in blocks]),
    )


def read_tape(
    path: Path, tick: DecimalStep, lot: DecimalStep, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> TapeColumns:
    """Return the tape in ``path`` in ticks of ``tick`` and lots of ``lot``.

    Raises:
        ConfigError: the file cannot be read, its header is not ``HEADER``, or a row is
            malformed: not 5 fields, a ``kind`` other than book/trade, a side that does not
            fit the kind, a price or size that is not a plain decimal or not a multiple of the
            tick or lot, a price <= 0, a trade of size 0, or a ``ts_ns`` not above the
            previous one. The message names the line.
    """
    source = str(path)
    blocks: list[TapeColumns] = []
    try:
        with path.open("rb") as stream:
            _check_header(stream.readline(4096), source)
            line, rest = 2, b""
            while True:
                chunk = stream.read(chunk_bytes)
                data = rest + chunk if chunk else rest + (b"\n" if rest else b"")
                cut = data.rfind(b"\n") + 1
                rest = data[cut:]
                if cut:
                    block = _Block(data[:cut], line, source)
                    line += block.line_count
                    if block.starts.size:
                        blocks.append(_parse_block(block, tick, lot))
                if not chunk:
                    break
    except OSError as error:
        raise ConfigError(f"tape {source} cannot be read: {error.strerror}", key="tape") from None
    return _join(blocks, source)
