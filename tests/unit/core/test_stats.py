import itertools
import math

import pytest

from bmvbot.core.errors import InvariantError
from bmvbot.core.stats import imbalance_index, log_returns, safe_haven_index
from bmvbot.core.types import BaseLots, BookLevel, L2Snapshot, PriceLots


def book(bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> L2Snapshot:
    return L2Snapshot(
        tuple(BookLevel(PriceLots(p), BaseLots(s)) for p, s in bids),
        tuple(BookLevel(PriceLots(p), BaseLots(s)) for p, s in asks),
    )


def test_imbalance_index_weighs_sides_by_quote_value() -> None:
    snapshot = book([(100, 30)], [(200, 5)])  # 3_000 vs 1_000 quote lots

    assert imbalance_index(snapshot) == 0.5


def test_imbalance_index_one_sided_book_is_plus_or_minus_one() -> None:
    assert imbalance_index(book([(100, 1)], [])) == 1.0
    assert imbalance_index(book([], [(100, 1)])) == -1.0


def test_imbalance_index_empty_or_zero_size_book_is_zero() -> None:
    assert imbalance_index(L2Snapshot()) == 0.0
    assert imbalance_index(book([(100, 0)], [(101, 0)])) == 0.0


def test_imbalance_index_counts_only_top_levels() -> None:
    bids = [(100 - i, 1) for i in range(25)]
    asks = [(101 + i, 1) for i in range(20)] + [(500, 1_000_000)]
    snapshot = book(bids, asks)

    top_bids = sum(100 - i for i in range(20))
    top_asks = sum(101 + i for i in range(20))
    assert imbalance_index(snapshot) == (top_bids - top_asks) / (top_bids + top_asks)
    assert imbalance_index(snapshot, depth_levels=1) == (100 - 101) / (100 + 101)


@pytest.mark.parametrize("bad", [(0, 1), (-5, 1), (100, -1)])
def test_imbalance_index_bad_level_raises_invariant_error(bad: tuple[int, int]) -> None:
    with pytest.raises(InvariantError, match="book level must have price_lots > 0"):
        imbalance_index(book([bad], []))


def test_imbalance_index_zero_depth_levels_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match="depth_levels must be >= 1, was 0"):
        imbalance_index(L2Snapshot(), depth_levels=0)


def test_log_returns_are_differences_of_logs() -> None:
    assert log_returns([1.0, math.e, 1.0]) == pytest.approx([1.0, -1.0])
    assert log_returns([5.0]) == []


def test_log_returns_extreme_prices_stay_finite() -> None:
    returns = log_returns([1e-300, 1e300])

    assert math.isfinite(returns[0])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0, -1.0])
def test_log_returns_bad_price_raises_invariant_error_naming_index(bad: float) -> None:
    with pytest.raises(InvariantError, match=r"token_prices\[1\] must be a finite price > 0"):
        log_returns([1.0, bad], "token_prices")


def test_safe_haven_index_same_moves_is_one() -> None:
    sol = [100.0, 101.0, 99.0, 102.0, 102.5]
    token = [2.0 * p for p in sol]

    assert safe_haven_index(sol, token) == pytest.approx(1.0)


def test_safe_haven_index_mirrored_moves_is_minus_one() -> None:
    sol = [100.0, 101.0, 99.0, 102.0, 102.5]
    token = [10_000.0 / p for p in sol]

    assert safe_haven_index(sol, token) == pytest.approx(-1.0)


def test_safe_haven_index_matches_textbook_pearson() -> None:
    sol = [100.0, 103.0, 101.0, 104.0, 108.0, 107.0]
    token = [5.0, 5.1, 5.2, 5.0, 5.3, 5.1]
    xs = [math.log(b / a) for a, b in itertools.pairwise(sol)]
    ys = [math.log(b / a) for a, b in itertools.pairwise(token)]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    expected = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / math.sqrt(
        sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys)
    )

    assert safe_haven_index(sol, token) == pytest.approx(expected)


def test_safe_haven_index_fewer_than_three_returns_is_none() -> None:
    assert safe_haven_index([1.0, 2.0, 3.0], [3.0, 1.0, 2.0]) is None
    assert safe_haven_index([], []) is None


def test_safe_haven_index_flat_series_is_none() -> None:
    assert safe_haven_index([1.0, 2.0, 1.0, 2.0], [5.0, 5.0, 5.0, 5.0]) is None
    assert safe_haven_index([5.0, 5.0, 5.0, 5.0], [1.0, 2.0, 1.0, 2.0]) is None


def test_safe_haven_index_constant_growth_is_none() -> None:
    # equal log returns up to float noise: zero variance, not a spurious correlation
    token = [1.01**i for i in range(30)]

    assert safe_haven_index([1.0 + (i % 3) for i in range(30)], token) is None


def test_safe_haven_index_misaligned_series_raise_invariant_error() -> None:
    with pytest.raises(InvariantError, match="aligned \\(same length\\), was 4 and 3"):
        safe_haven_index([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0])


def test_safe_haven_index_bad_price_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match=r"sol_prices\[2\] must be a finite price > 0"):
        safe_haven_index([1.0, 2.0, float("nan"), 4.0], [1.0, 2.0, 3.0, 4.0])
