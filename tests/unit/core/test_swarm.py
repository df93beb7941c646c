from collections.abc import Sequence

import pytest

from bmvbot.core.config import SwarmParams
from bmvbot.core.errors import ConfigError, InvariantError
from bmvbot.core.swarm import (
    Allocation,
    StepKind,
    WalletFunds,
    WalletOrders,
    allocate,
    bid_quote_lots_needed,
    check_uncrossed,
    plan_replacement,
    rotation_epoch,
    side_groups,
    wallet_index,
)
from bmvbot.core.types import BaseLots, Grid, Level, PriceLots, QuoteLots, Side, WalletId

TICK_NS = 60_000_000_000
RICH = 10**15


def bid(price: int, size: int = 10) -> Level:
    return Level(Side.BID, PriceLots(price), BaseLots(size))


def ask(price: int, size: int = 10) -> Level:
    return Level(Side.ASK, PriceLots(price), BaseLots(size))


def grid_of(bid_prices: Sequence[int], ask_prices: Sequence[int], size: int = 10) -> Grid:
    return Grid(tuple(bid(p, size) for p in bid_prices), tuple(ask(p, size) for p in ask_prices))


def wallet(n: int) -> WalletId:
    return WalletId(f"w{n:02d}")


def swarm(count: int, base: int = RICH, quote: int = RICH) -> list[WalletFunds]:
    return [WalletFunds(wallet(i), BaseLots(base), QuoteLots(quote)) for i in range(count)]


def test_wallet_index_formula_adds_epoch_to_segment_modulo_count() -> None:
    assert wallet_index(3, 5 * TICK_NS + 1, 16, TICK_NS) == 8
    assert wallet_index(15, 2 * TICK_NS, 16, TICK_NS) == 1
    assert wallet_index(0, TICK_NS - 1, 16, TICK_NS) == 0


def test_wallet_index_one_wallet_is_always_zero() -> None:
    assert {wallet_index(s, t * TICK_NS, 1, TICK_NS) for s in range(5) for t in range(5)} == {0}


def test_wallet_index_zero_wallets_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="wallet_count must be >= 1, was 0"):
        wallet_index(0, 0, 0, TICK_NS)


def test_rotation_epoch_non_positive_interval_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="tick_interval_s must be > 0, was 0 ns"):
        rotation_epoch(10, 0)


def test_rotation_epoch_before_epoch_start_floors_down() -> None:
    assert rotation_epoch(-1, TICK_NS) == -1


def test_bid_quote_lots_needed_zero_fee_or_rebate_is_notional() -> None:
    assert bid_quote_lots_needed(100, 7) == 700
    assert bid_quote_lots_needed(100, 7, maker_fee_ppm=-200) == 700


@pytest.mark.parametrize(("price", "size", "fee_ppm"), [(100, 7, 1), (1, 1, 2_500), (997, 13, 999)])
def test_bid_quote_lots_needed_positive_fee_is_smallest_sufficient_budget(
    price: int, size: int, fee_ppm: int
) -> None:
    def rests(budget: int) -> bool:
        return budget - -(-budget * fee_ppm // 1_000_000) >= price * size

    needed = bid_quote_lots_needed(price, size, fee_ppm)

    assert rests(needed)
    assert not rests(needed - 1)


def test_bid_quote_lots_needed_full_fee_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="maker_fee_ppm must be below 1000000"):
        bid_quote_lots_needed(1, 1, 1_000_000)


def test_wallet_funds_negative_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match="must not be negative"):
        WalletFunds(wallet(0), BaseLots(-1), QuoteLots(0))


def test_allocation_mismatched_entries_raise_invariant_error() -> None:
    with pytest.raises(InvariantError, match="for each of 2 wallets, was 1 bid and 2 ask"):
        Allocation((wallet(0), wallet(1)), ((),), ((), ()))


def test_allocation_orders_of_unknown_wallet_raises_key_error() -> None:
    allocation = Allocation.of((WalletOrders(wallet(0), (bid(9),), (ask(11),)),))

    assert allocation.orders_of(wallet(0)).levels == (bid(9), ask(11))
    with pytest.raises(KeyError):
        allocation.orders_of(wallet(1))


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        (Grid((bid(99), bid(100)), ()), "bids must be bids with strictly falling"),
        (Grid((bid(100), bid(100)), ()), "bids must be bids with strictly falling"),
        (Grid((ask(99),), ()), "bids must be bids"),
        (Grid((), (ask(101), ask(101))), "asks must be asks with strictly rising"),
        (Grid((), (bid(101),)), "asks must be asks"),
        (grid_of([100], [100]), "crossed grid: best bid 100 is at or above best ask 100"),
        (grid_of([101, 99], [100]), "crossed grid"),
    ],
)
def test_check_uncrossed_bad_grid_raises_invariant_error(grid: Grid, message: str) -> None:
    with pytest.raises(InvariantError, match=message):
        check_uncrossed(grid)


def test_check_uncrossed_ordered_or_one_sided_grid_passes() -> None:
    check_uncrossed(grid_of([100, 99], [101, 102]))
    check_uncrossed(grid_of([100], []))
    check_uncrossed(Grid())


def test_side_groups_odd_count_gives_bid_half_the_extra_wallet() -> None:
    assert side_groups(5, is_side_split=True) == (range(3), range(3, 5))
    assert side_groups(16, is_side_split=True) == (range(8), range(8, 16))
    assert side_groups(3, is_side_split=False) == (range(3), range(3))


def test_side_groups_split_with_one_wallet_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="needs wallet_count >= 2, was 1"):
        side_groups(1, is_side_split=True)


def test_allocate_side_split_puts_bids_and_asks_in_separate_halves() -> None:
    params = SwarmParams(wallet_count=4, is_side_split=True)
    grid = grid_of([100, 99, 98], [101, 102, 103])

    allocation = allocate(grid, swarm(4), params, now_ns=0)

    assert [o.bids for o in allocation.wallets] == [(bid(100), bid(98)), (bid(99),), (), ()]
    assert [o.asks for o in allocation.wallets] == [(), (), (ask(101), ask(103)), (ask(102),)]
    assert allocation.unplaced == ()


def test_allocate_next_epoch_rotates_every_level_one_wallet_on() -> None:
    params = SwarmParams(wallet_count=4, is_side_split=True)
    grid = grid_of([100, 99], [101, 102])

    allocation = allocate(grid, swarm(4), params, now_ns=TICK_NS)

    assert [o.levels for o in allocation.wallets] == [
        (bid(99),),
        (bid(100),),
        (ask(102),),
        (ask(101),),
    ]


def test_allocate_without_split_gives_segment_pairs_to_one_wallet() -> None:
    params = SwarmParams(wallet_count=2, is_side_split=False)

    allocation = allocate(grid_of([100, 99], [101, 102]), swarm(2), params, now_ns=0)

    assert allocation.wallets[0] == WalletOrders(wallet(0), (bid(100),), (ask(101),))
    assert allocation.wallets[1] == WalletOrders(wallet(1), (bid(99),), (ask(102),))


def test_allocate_one_wallet_takes_every_level() -> None:
    params = SwarmParams(wallet_count=1, is_side_split=False)
    grid = grid_of([100, 99], [101, 102])

    allocation = allocate(grid, swarm(1), params, now_ns=123 * TICK_NS)

    assert allocation.wallets == (WalletOrders(wallet(0), grid.bids, grid.asks),)


def test_allocate_empty_grid_gives_every_wallet_an_empty_entry() -> None:
    allocation = allocate(Grid(), swarm(3), SwarmParams(wallet_count=3), now_ns=0)

    assert [o.levels for o in allocation.wallets] == [(), (), ()]
    assert allocation.unplaced == ()


def test_allocate_short_wallet_skips_to_next_in_rotation_order() -> None:
    params = SwarmParams(wallet_count=4, is_side_split=True)
    wallets = swarm(4)
    wallets[0] = WalletFunds(wallet(0), BaseLots(0), QuoteLots(999))
    wallets[2] = WalletFunds(wallet(2), BaseLots(9), QuoteLots(0))

    allocation = allocate(grid_of([100], [101]), wallets, params, now_ns=0)

    assert allocation.wallets[1].bids == (bid(100),)
    assert allocation.wallets[3].asks == (ask(101),)
    assert allocation.wallets[0].levels == allocation.wallets[2].levels == ()


def test_allocate_funds_are_consumed_inner_levels_first() -> None:
    params = SwarmParams(wallet_count=1, is_side_split=False)
    wallets = [WalletFunds(wallet(0), BaseLots(15), QuoteLots(1_000 + 990))]

    allocation = allocate(grid_of([100, 99, 98], [101, 102]), wallets, params, now_ns=0)

    assert allocation.wallets[0].bids == (bid(100), bid(99))
    assert allocation.wallets[0].asks == (ask(101),)
    assert allocation.unplaced == (bid(98), ask(102))


def test_allocate_full_account_overflows_to_next_wallet_then_unplaced() -> None:
    params = SwarmParams(wallet_count=2, is_side_split=False, max_orders_per_account=2)
    wallets = swarm(2)
    wallets[1] = WalletFunds(wallet(1), BaseLots(RICH), QuoteLots(RICH), blocked_slots=1)

    allocation = allocate(grid_of([100, 99, 98], [101, 102, 103]), wallets, params, now_ns=0)

    assert [len(o.levels) for o in allocation.wallets] == [2, 1]
    assert allocation.wallets[0].levels == (bid(100), bid(98))
    assert allocation.wallets[1].levels == (bid(99),)
    assert allocation.unplaced == (ask(101), ask(102), ask(103))


def test_allocate_positive_maker_fee_needs_a_margin_on_bids() -> None:
    params = SwarmParams(wallet_count=1, is_side_split=False)
    wallets = [WalletFunds(wallet(0), BaseLots(0), QuoteLots(1_000))]

    with_fee = allocate(grid_of([100], []), wallets, params, now_ns=0, maker_fee_ppm=100)
    without_fee = allocate(grid_of([100], []), wallets, params, now_ns=0)

    assert with_fee.unplaced == (bid(100),)
    assert without_fee.wallets[0].bids == (bid(100),)


def test_allocate_wallet_count_mismatch_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="wallet_count is 4 but 3 wallets were given"):
        allocate(Grid(), swarm(3), SwarmParams(wallet_count=4), now_ns=0)


def test_allocate_repeated_wallet_raises_config_error() -> None:
    wallets = [*swarm(2), WalletFunds(wallet(0), BaseLots(0), QuoteLots(0))]

    with pytest.raises(ConfigError, match="wallets must be distinct"):
        allocate(Grid(), wallets, SwarmParams(wallet_count=3), now_ns=0)


def test_allocate_crossed_grid_raises_invariant_error() -> None:
    with pytest.raises(InvariantError, match="crossed grid"):
        allocate(grid_of([102], [101]), swarm(2), SwarmParams(wallet_count=2), now_ns=0)


def resting_of(allocation: Allocation) -> dict[WalletId, tuple[Level, ...]]:
    return {orders.wallet: orders.levels for orders in allocation.wallets}


def test_plan_replacement_up_move_replaces_ask_wallets_first() -> None:
    params = SwarmParams(wallet_count=2, is_side_split=True)
    old = allocate(grid_of([100], [102]), swarm(2), params, now_ns=0)
    new = allocate(grid_of([103], [105]), swarm(2), params, now_ns=0)

    plan = plan_replacement(resting_of(old), new)

    assert [(s.wallet, s.kind) for s in plan.steps] == [
        (wallet(1), StepKind.REPLACE),
        (wallet(0), StepKind.REPLACE),
    ]
    assert plan.steps[0].asks == (ask(105),)
    assert [step.stage for step in plan.steps] == [0, 1]
    assert plan.is_single_pass


def test_plan_replacement_down_move_replaces_bid_wallets_first() -> None:
    params = SwarmParams(wallet_count=2, is_side_split=True)
    old = allocate(grid_of([100], [102]), swarm(2), params, now_ns=0)
    new = allocate(grid_of([97], [99]), swarm(2), params, now_ns=0)

    plan = plan_replacement(resting_of(old), new)

    assert [s.wallet for s in plan.steps] == [wallet(0), wallet(1)]
    assert plan.steps[0].bids == (bid(97),)


def test_plan_replacement_unchanged_wallets_send_nothing() -> None:
    params = SwarmParams(wallet_count=4, is_side_split=True)
    old = allocate(grid_of([100, 99], [101, 102]), swarm(4), params, now_ns=0)
    new = allocate(grid_of([100, 98], [101, 102]), swarm(4), params, now_ns=0)

    plan = plan_replacement(resting_of(old), new)

    assert [s.wallet for s in plan.steps] == [wallet(1)]
    assert plan_replacement(resting_of(new), new).steps == ()


def test_plan_replacement_stages_group_independent_wallets() -> None:
    params = SwarmParams(wallet_count=4, is_side_split=True)
    old = allocate(grid_of([100, 99], [102, 103]), swarm(4), params, now_ns=0)
    new = allocate(grid_of([104, 103], [106, 107]), swarm(4), params, now_ns=TICK_NS)

    plan = plan_replacement(resting_of(old), new)

    assert [[s.wallet for s in stage] for stage in plan.stages] == [
        [wallet(2), wallet(3)],
        [wallet(0), wallet(1)],
    ]
    assert [s.wallet for s in plan.steps] == [wallet(2), wallet(3), wallet(0), wallet(1)]


def test_plan_replacement_nothing_to_do_has_no_stage() -> None:
    new = allocate(grid_of([100], [101]), swarm(2), SwarmParams(wallet_count=2), now_ns=0)

    assert plan_replacement(resting_of(new), new).stages == ()


def test_plan_replacement_wallet_without_new_orders_gets_cancel_step() -> None:
    params = SwarmParams(wallet_count=2, is_side_split=True)
    new = allocate(grid_of([100], []), swarm(2), params, now_ns=0)
    resting = {wallet(1): (ask(101),), wallet(7): (ask(104),)}

    plan = plan_replacement(resting, new)

    assert [(s.wallet, s.kind) for s in plan.steps] == [
        (wallet(0), StepKind.REPLACE),
        (wallet(1), StepKind.CANCEL),
        (wallet(7), StepKind.CANCEL),
    ]


def test_plan_replacement_mixed_wallets_cycle_cancels_one_wallet_first() -> None:
    # both wallets' new bids sit above the other's stale ask: no single pass exists
    resting = {wallet(0): (bid(98), ask(101)), wallet(1): (bid(97), ask(102))}
    new = Allocation.of(
        (
            WalletOrders(wallet(0), (bid(103),), (ask(106),)),
            WalletOrders(wallet(1), (bid(104),), (ask(107),)),
        )
    )

    plan = plan_replacement(resting, new)

    assert [(s.wallet, s.kind, s.stage) for s in plan.steps] == [
        (wallet(0), StepKind.CANCEL, 0),
        (wallet(1), StepKind.REPLACE, 1),
        (wallet(0), StepKind.REPLACE, 2),
    ]
    assert not plan.is_single_pass


def test_plan_replacement_crossed_stale_orders_still_get_a_safe_plan() -> None:
    # stale data (a bid above an ask) would make even the side split cycle
    resting = {wallet(0): (bid(105),), wallet(1): (ask(100),)}
    new = Allocation.of(
        (WalletOrders(wallet(0), (bid(103),)), WalletOrders(wallet(1), (), (ask(104),)))
    )

    plan = plan_replacement(resting, new)

    assert [(s.wallet, s.kind) for s in plan.steps] == [
        (wallet(0), StepKind.CANCEL),
        (wallet(1), StepKind.REPLACE),
        (wallet(0), StepKind.REPLACE),
    ]


def test_plan_replacement_crossed_allocation_raises_invariant_error() -> None:
    new = Allocation.of(
        (WalletOrders(wallet(0), (bid(103),)), WalletOrders(wallet(1), (), (ask(103),)))
    )

    with pytest.raises(InvariantError, match="crossed grid"):
        plan_replacement({}, new)
