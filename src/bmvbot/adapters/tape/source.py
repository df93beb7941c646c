"""``CsvTapeSource``: a tape v1 CSV file loaded into columns, opened as replay markets."""

from __future__ import annotations

from pathlib import Path

from bmvbot.adapters.tape.book import TapeBook
from bmvbot.adapters.tape.loader import DEFAULT_CHUNK_BYTES, TapeColumns, read_tape
from bmvbot.adapters.tape.market import NumpyTapeMarket
from bmvbot.ports.tape import DecimalStep, ReplayLatency, TapeMarket, TapeSource


class CsvTapeSource(TapeSource):
    """A loaded tape; each ``open_market`` indexes its book afresh."""

    def __init__(self, columns: TapeColumns) -> None:
        """Wrap parsed columns."""
        self._columns = columns

    @classmethod
    def load(
        cls,
        path: Path,
        tick: DecimalStep,
        lot: DecimalStep,
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> CsvTapeSource:
        """Read the tape in ``path`` (see ``read_tape`` for the errors)."""
        return cls(read_tape(path, tick, lot, chunk_bytes=chunk_bytes))

    @property
    def columns(self) -> TapeColumns:
        """Return the parsed columns."""
        return self._columns

    @property
    def event_count(self) -> int:
        """Return the number of rows."""
        return self._columns.event_count

    def open_market(self, latency: ReplayLatency) -> TapeMarket:
        """Return a fresh ``NumpyTapeMarket`` over this tape."""
        return NumpyTapeMarket(TapeBook(self._columns), latency)
