import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from bmvbot.cli.grid import FRONT_RUN_NOTE, preview_rows, read_book_snapshot
from bmvbot.cli.main import main
from bmvbot.core.config import SwarmParams
from bmvbot.core.errors import ConfigError
from bmvbot.core.types import MarketSpec
from bmvbot.settings import load_settings

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BMVBOT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def _json_rows(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    assert main(["grid", "--json", *argv]) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return rows


def test_grid_json_lists_both_sides_of_the_default_grid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = _json_rows(capsys, "--pivot", "1.25")

    asks = [row for row in rows if row["side"] == "ask"]
    bids = [row for row in rows if row["side"] == "bid"]
    assert len(asks) == len(bids) == 16
    assert [row["level"] for row in asks] == list(range(16, 0, -1))
    assert [row["level"] for row in bids] == list(range(1, 17))
    # innermost levels: Pivot -/+ Step·1^gamma with Step = 0.5 % of 1.25 = 6250 ticks
    assert bids[0]["price_lots"] == 1_243_750
    assert asks[-1]["price_lots"] == 1_256_250
    assert max(row["price_lots"] for row in bids) < min(row["price_lots"] for row in asks)
    assert all(row["price"] == pytest.approx(row["price_lots"] * 1e-6) for row in rows)


def test_grid_sizes_sum_to_the_configured_depth(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json_rows(capsys, "--pivot", "1.25")

    for side in ("bid", "ask"):
        total = sum(row["size_base_lots"] for row in rows if row["side"] == side)
        assert 1_000_000 - 16 <= total <= 1_000_000  # 1000 base tokens, within a lot per level


def test_grid_side_split_puts_bids_and_asks_on_different_halves(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = _json_rows(capsys, "--pivot", "1.25")

    bid_wallets = {row["wallet"] for row in rows if row["side"] == "bid"}
    ask_wallets = {row["wallet"] for row in rows if row["side"] == "ask"}
    assert bid_wallets == set(range(8))
    assert ask_wallets == set(range(8, 16))


def test_grid_rotation_moves_with_the_time(capsys: pytest.CaptureFixture[str]) -> None:
    at_zero = _json_rows(capsys, "--pivot", "1.25", "--at", "1970-01-01T00:00:00Z")
    one_tick_later = _json_rows(capsys, "--pivot", "1.25", "--at", "1970-01-01T00:01:00Z")

    assert at_zero == _json_rows(capsys, "--pivot", "1.25")
    first_bid = next(row for row in at_zero if row["side"] == "bid")
    moved_bid = next(row for row in one_tick_later if row["side"] == "bid")
    assert (first_bid["wallet"], moved_bid["wallet"]) == (0, 1)


def test_grid_with_book_moves_levels_ahead_of_walls(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json_rows(
        capsys,
        "--pivot",
        "1.25",
        "--config",
        str(DATA / "config_grid.toml"),
        "--book",
        str(DATA / "book_snapshot.json"),
    )

    moved = {(row["side"], row["price_lots"]) for row in rows if row["note"] == FRONT_RUN_NOTE}
    # walls at 1.235645 (bid) and 1.264355 (ask): the level behind each moves one tick ahead
    assert moved == {("bid", 1_235_646), ("ask", 1_264_354)}


def test_grid_table_shows_every_level(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["grid", "--pivot", "1.25"])

    out = capsys.readouterr().out
    assert code == 0
    assert "bmvbot grid preview" in out
    assert out.count("│ bid") == 16
    assert out.count("│ ask") == 16
    assert "1243750" in out
    assert "pivot 1.25 = 1250000 ticks; 32 levels over 16 wallets" in out


def test_grid_unplaced_levels_are_marked() -> None:
    params = load_settings(None, env={}).to_params()
    # the preview of params that settings would refuse (20 slots for 32 levels) still tells
    params = dataclasses.replace(
        params, swarm=SwarmParams(wallet_count=2, max_orders_per_account=10, is_side_split=False)
    )

    rows = preview_rows(params, 1.25, None, 0)

    unplaced = [row for row in rows if row["wallet"] is None]
    assert len(unplaced) == 32 - 20
    assert all(row["note"] == "unplaced" for row in unplaced)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--pivot", "0"], "--pivot must be a price > 0"),
        (["--pivot", "nan"], "--pivot must be a price > 0"),
        (["--pivot", "1.25", "--at", "yesterday"], "--at must be an ISO 8601 date-time"),
        (["--pivot", "1.25", "--at", "2026-01-01T00:00:00"], "--at needs a UTC offset"),
    ],
)
def test_grid_bad_argument_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code = main(["grid", *argv])

    assert code == 2
    assert needle in capsys.readouterr().err


def test_grid_bad_config_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["grid", "--pivot", "1.25", "--config", str(DATA / "config_bad.toml")])

    assert code == 2
    assert "7 configuration errors" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", 'must be an object with "bids" and "asks"'),
        ('{"bids": [], "sells": []}', 'must be an object with "bids" and "asks"'),
        ('{"bids": {"a": 1}}', "bids must be a list"),
        ('{"bids": [[1.2]]}', "bids[0] must be [price, size]"),
        ('{"asks": [[1.2, -3]]}', "asks[0] must be [price, size] with two numbers > 0"),
        ('{"asks": [[1.2, true]]}', "asks[0] must be"),
        ('{"bids": [[1.2, 1], [0.0000001, 5]]}', "bids[1] is below one tick (0.000001) or one lot"),
        ('{"asks": [[1.2, 0.0001]]}', "was [1.2, 0.0001]"),
    ],
)
def test_book_snapshot_malformed_is_refused(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "book.json"
    path.write_text(content)

    with pytest.raises(ConfigError) as caught:
        read_book_snapshot(path, MarketSpec())

    assert needle in str(caught.value)


def test_book_snapshot_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        read_book_snapshot(tmp_path / "absent.json", MarketSpec())


def test_book_snapshot_sorts_and_merges_levels(tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    path.write_text('{"bids": [[1.0, 1], [1.2, 2], [1.2000001, 3]], "asks": [[1.5, 1], [1.3, 2]]}')

    book = read_book_snapshot(path, MarketSpec())

    assert [(b.price_lots, b.size_base_lots) for b in book.bids] == [
        (1_200_000, 5_000),
        (1_000_000, 1_000),
    ]
    assert [a.price_lots for a in book.asks] == [1_300_000, 1_500_000]
