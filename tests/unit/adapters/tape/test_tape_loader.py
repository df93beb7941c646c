"""The tape v1 CSV loader: exact ticks and lots, chunked reading, errors naming the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.tape_generator import generate_tape

from bmvbot.adapters.tape.loader import ASK, BID, read_tape
from bmvbot.core.errors import ConfigError
from bmvbot.ports.tape import DecimalStep

TICK = DecimalStep.parse("0.0001", "tick")
LOT = DecimalStep.parse("0.01", "lot")
HEADER = "ts_ns,kind,side,price,qty\n"


def _write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "tape.csv"
    path.write_bytes((header + body).encode())
    return path


def test_tape_loader_sample_rows_exact_ticks_and_lots(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "1767225600000000000,book,bid,0.9998,1234.56\n"
        "1767225600250000000,trade,sell,0.9998,12.34\n"
        "1767225600250000001,trade,buy,1.0002,0.01\n"
        "1767225600250000002,book,ask,1.00020,0\n",
    )

    columns = read_tape(path, TICK, LOT)

    assert columns.ts_ns.tolist() == [
        1767225600000000000,
        1767225600250000000,
        1767225600250000001,
        1767225600250000002,
    ]
    assert columns.is_trade.tolist() == [False, True, True, False]
    assert columns.side.tolist() == [BID, BID, ASK, ASK]
    assert columns.price_lots.tolist() == [9998, 9998, 10002, 10002]
    assert columns.size_base_lots.tolist() == [123456, 1234, 1, 0]


def test_tape_loader_crlf_bom_blank_lines_and_no_final_newline_accepted(tmp_path: Path) -> None:
    path = tmp_path / "tape.csv"
    path.write_bytes(
        b"\xef\xbb\xbfts_ns,kind,side,price,qty\r\n1,book,bid,1,5\r\n\r\n2,book,ask,2.5,0.5"
    )

    columns = read_tape(path, TICK, LOT)

    assert columns.price_lots.tolist() == [10000, 25000]
    assert columns.size_base_lots.tolist() == [500, 50]


def test_tape_loader_coarse_tick_multiples_in_ticks(tmp_path: Path) -> None:
    path = _write(tmp_path, "1,book,bid,12.5,10\n2,book,ask,13,20\n")

    columns = read_tape(path, DecimalStep.parse("0.5", "tick"), DecimalStep.parse("5", "lot"))

    assert columns.price_lots.tolist() == [25, 26]
    assert columns.size_base_lots.tolist() == [2, 4]


@pytest.mark.parametrize("chunk_bytes", [7, 64, 1000])
def test_tape_loader_small_chunks_same_columns(tmp_path: Path, chunk_bytes: int) -> None:
    path = generate_tape(tmp_path / "gen.csv", 3_000, seed=3)
    whole = read_tape(path, TICK, LOT)

    chunked = read_tape(path, TICK, LOT, chunk_bytes=chunk_bytes)

    assert whole.event_count >= 3_000
    for name in ("ts_ns", "is_trade", "side", "price_lots", "size_base_lots"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name)), name


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("1,book,bid,1.0\n", 2, "5 fields"),
        ("1,book,bid,1.0,1,9\n", 2, "5 fields"),
        ("1,book,bid,1.0,1\n2,quote,bid,1.0,1\n", 3, "kind must be book or trade"),
        ("1,book,sel,1.0,1\n", 2, "side must be bid or ask or buy or sell"),
        ("1,book,buy,1.0,1\n", 2, "side must be bid/ask for a book row"),
        ("1,trade,bid,1.0,1\n", 2, "buy/sell for a trade"),
        ("1,book,bid,0.99985,1\n", 2, "price must be a multiple of 0.0001"),
        ("1,book,bid,0.9998,1.001\n", 2, "qty must be a multiple of 0.01"),
        ("1,book,bid,1e-4,1\n", 2, "plain decimal"),
        ("1,book,bid,-1,1\n", 2, "plain decimal"),
        ("1,book,bid,1..0,1\n", 2, "plain decimal"),
        ("1,book,bid,.5,1\n", 2, "digits before and after"),
        ("1,book,bid,5.,1\n", 2, "digits before and after"),
        ("1,book,bid,0,1\n", 2, "price must be > 0"),
        ("1,trade,sell,1,0\n", 2, "qty of a trade must be > 0"),
        ("1,book,bid,1,1\n1,book,bid,1,2\n", 3, "strictly increasing"),
        ("x1,book,bid,1,1\n", 2, "ts_ns must be digits only"),
        ("99999999999999999999,book,bid,1,1\n", 2, "ts_ns must be at most 19"),
        ("9999999999999999999,book,bid,1,1\n", 2, "must be below 2"),
        (",book,bid,1,1\n", 2, "ts_ns must not be empty"),
        ("1,book,bid,12345678901234567,1\n", 2, "too large"),
    ],
)
def test_tape_loader_bad_row_config_error_names_line(
    tmp_path: Path, body: str, line: int, words: str
) -> None:
    path = _write(tmp_path, body)

    with pytest.raises(ConfigError, match=f"line {line}: .*{words}") as caught:
        read_tape(path, TICK, LOT)

    assert caught.value.key == "tape"


def test_tape_loader_decreasing_time_across_chunks_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "5,book,bid,1,1\n" * 1 + "4,book,bid,1,2\n")

    with pytest.raises(ConfigError, match="strictly increasing"):
        read_tape(path, TICK, LOT, chunk_bytes=8)


@pytest.mark.parametrize(
    ("header", "words"), [("ts,kind,side,price,qty\n", "header"), ("", "header")]
)
def test_tape_loader_bad_header_rejected(tmp_path: Path, header: str, words: str) -> None:
    path = _write(tmp_path, "1,book,bid,1,1\n", header=header)

    with pytest.raises(ConfigError, match=words):
        read_tape(path, TICK, LOT)


def test_tape_loader_header_only_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no rows"):
        read_tape(_write(tmp_path, "\n"), TICK, LOT)


def test_tape_loader_missing_file_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        read_tape(tmp_path / "absent.csv", TICK, LOT)


@pytest.mark.parametrize(
    ("text", "mantissa", "exponent"),
    [("0.0001", 1, 4), ("0.01", 1, 2), ("25", 25, 0), ("1E+2", 100, 0), ("0.50", 50, 2)],
)
def test_tape_decimal_step_parse_exact(text: str, mantissa: int, exponent: int) -> None:
    step = DecimalStep.parse(text, "tick")

    assert (step.mantissa, step.exponent) == (mantissa, exponent)


@pytest.mark.parametrize("text", ["0", "-1", "abc", "nan", "inf", "1e-19"])
def test_tape_decimal_step_parse_bad_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="--tick"):
        DecimalStep.parse(text, "tick")
