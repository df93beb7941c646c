from hypothesis import given
from hypothesis import strategies as st

from bmvbot.core.config import TargetParams, TreasuryParams
from bmvbot.core.stats import imbalance_index, safe_haven_index
from bmvbot.core.treasury import bid_throttle_factor, plan_mix, plan_top_ups
from bmvbot.core.types import BaseLots, BookLevel, L2Snapshot, PriceLots, WalletId

levels = st.lists(
    st.builds(BookLevel, st.integers(1, 10**9).map(PriceLots), st.integers(0, 10**9).map(BaseLots)),
    max_size=30,
)


@given(bids=levels, asks=levels)
def test_imbalance_index_stays_in_unit_interval_and_is_antisymmetric(
    bids: list[BookLevel], asks: list[BookLevel]
) -> None:
    index = imbalance_index(L2Snapshot(tuple(bids), tuple(asks)))

    assert -1.0 <= index <= 1.0
    assert imbalance_index(L2Snapshot(tuple(asks), tuple(bids))) == -index


price_series = st.lists(st.floats(1e-6, 1e6), min_size=0, max_size=40)


@given(data=st.data(), sol=price_series)
def test_safe_haven_index_is_none_or_in_unit_interval(
    data: st.DataObject, sol: list[float]
) -> None:
    token = data.draw(st.lists(st.floats(1e-6, 1e6), min_size=len(sol), max_size=len(sol)))

    index = safe_haven_index(sol, token)

    assert index is None or -1.0 <= index <= 1.0
    if len(sol) < 4:
        assert index is None
    assert safe_haven_index(token, sol) == index


@given(
    emission=st.integers(1, 10**15),
    soft=st.floats(0.01, 1.0),
    hard_share=st.floats(0.0, 0.99),
    locked=st.integers(0, 10**15),
    inventory=st.integers(0, 10**15),
    more=st.integers(0, 10**15),
)
def test_bid_throttle_factor_is_monotone_in_holdings(
    emission: int, soft: float, hard_share: float, locked: int, inventory: int, more: int
) -> None:
    params = TargetParams(
        total_emission_base_lots=emission,
        soft_headroom_fraction=soft,
        hard_headroom_fraction=soft * hard_share,
    )

    factor = bid_throttle_factor(params, locked, inventory)
    factor_with_more = bid_throttle_factor(params, locked, inventory + more)

    assert 0.0 <= factor_with_more <= factor <= 1.0


@given(balances=st.lists(st.integers(0, 10**10), max_size=20))
def test_plan_top_ups_brings_exactly_the_low_wallets_to_target(balances: list[int]) -> None:
    params = TreasuryParams()
    wallets = [(WalletId(f"w{i}"), balance) for i, balance in enumerate(balances)]

    requests = plan_top_ups(wallets, params)

    low = [(w, b) for w, b in wallets if b < params.min_balance_lamports]
    assert [r.wallet for r in requests] == [w for w, _ in low]
    for request, (_, balance) in zip(requests, low, strict=True):
        assert request.lamports > 0
        assert balance + request.lamports == params.top_up_target_lamports


@given(
    pivot=st.integers(1, 10**7),
    base=st.integers(0, 10**9),
    quote=st.integers(0, 10**15),
    reference=st.integers(1, 10**7),
    tolerance=st.floats(0.0, 0.2),
)
def test_plan_mix_trade_moves_share_toward_target_without_overshoot(
    pivot: int, base: int, quote: int, reference: int, tolerance: float
) -> None:
    params = TreasuryParams(mix_reference_price_lots=reference, mix_tolerance_fraction=tolerance)

    plan = plan_mix(params, float(pivot), base, quote)

    assert plan is not None
    new_base = base + plan.base_lots_to_buy
    new_quote = quote - plan.base_lots_to_buy * pivot
    assert new_base >= 0
    assert new_quote >= 0
    value = new_base * pivot + new_quote
    if plan.base_lots_to_buy != 0:
        new_share = new_base * pivot / value
        low, high = sorted((plan.base_fraction, plan.target_base_fraction))
        assert low - 1e-9 <= new_share <= high + 1e-9
