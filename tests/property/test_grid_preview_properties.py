import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from bmvbot.cli.grid import preview_rows
from bmvbot.core.config import GridParams, StrategyParams, SwarmParams


@settings(max_examples=100, deadline=None)
@given(
    pivot=st.floats(0.001, 1000.0),
    levels=st.integers(1, 64),
    wallets=st.integers(2, 64),
    side_split=st.booleans(),
    now_ns=st.integers(0, 2**62),
)
def test_preview_keeps_bids_below_asks_and_sides_on_their_wallets(
    pivot: float, levels: int, wallets: int, side_split: bool, now_ns: int
) -> None:
    params = dataclasses.replace(
        StrategyParams(),
        grid=GridParams(levels_per_side=levels, step_fraction=0.001),
        swarm=SwarmParams(wallet_count=wallets, is_side_split=side_split),
    )

    rows = preview_rows(params, pivot, None, now_ns)

    bids = [row for row in rows if row["side"] == "bid"]
    asks = [row for row in rows if row["side"] == "ask"]
    assert len(bids) <= levels
    assert len(asks) <= levels
    if bids and asks:
        assert max(row["price_lots"] for row in bids) < min(row["price_lots"] for row in asks)
    placed = [row["wallet"] for row in rows if row["wallet"] is not None]
    assert all(0 <= wallet < wallets for wallet in placed)
    if side_split:
        half = (wallets + 1) // 2
        assert all(row["wallet"] is None or row["wallet"] < half for row in bids)
        assert all(row["wallet"] is None or row["wallet"] >= half for row in asks)
