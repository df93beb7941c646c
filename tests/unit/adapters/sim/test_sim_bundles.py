import hashlib
import random

import pytest

from bmvbot.adapters.sim.bundles import (
    MAX_TRANSACTIONS_PER_BUNDLE,
    TX_SIZE_LIMIT_BYTES,
    BundleParams,
    InstructionShape,
    account_locks,
    bundle_id,
    compact_u16_len,
    draw_landing,
    fits,
    landing_probability,
    pack_bundles,
    transaction_fee_lamports,
    transaction_size_bytes,
)
from bmvbot.core.errors import ConfigError, RejectedError
from bmvbot.core.types import WalletId


def _shapes(wallets: int, orders: int, first: int = 0) -> list[InstructionShape]:
    return [InstructionShape(WalletId(f"w{i:02d}"), orders) for i in range(first, first + wallets)]


@pytest.mark.parametrize(
    ("wallets", "orders", "has_tip", "size_bytes", "locks"),
    [
        (6, 1, True, 1194, 35),
        (5, 2, True, 1156, 31),
        (4, 4, True, 1166, 27),
        (3, 8, True, 1227, 23),
        (1, 16, True, 765, 15),
        (2, 16, False, 1203, 17),
    ],
)
def test_transaction_size_bytes_fact_sheet_rows_reproduced_exactly(
    wallets: int, orders: int, has_tip: bool, size_bytes: int, locks: int
) -> None:
    shapes = _shapes(wallets, orders)

    size = transaction_size_bytes(shapes, has_tip=has_tip)

    assert size == size_bytes
    assert account_locks(shapes, has_tip=has_tip) == locks


@pytest.mark.parametrize(("orders", "max_wallets"), [(1, 6), (2, 5), (4, 4), (8, 3), (16, 1)])
def test_fits_max_wallets_per_tx_with_tip_matches_fact_sheet(orders: int, max_wallets: int) -> None:
    assert fits(_shapes(max_wallets, orders), has_tip=True)
    assert not fits(_shapes(max_wallets + 1, orders), has_tip=True)


@pytest.mark.parametrize(
    ("value", "length"), [(0, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3)]
)
def test_compact_u16_len_boundaries(value: int, length: int) -> None:
    assert compact_u16_len(value) == length


def test_transaction_size_bytes_second_step_of_same_wallet_adds_no_signature() -> None:
    once = [InstructionShape(WalletId("w"), 2)]
    twice = [InstructionShape(WalletId("w"), 0), InstructionShape(WalletId("w"), 2)]

    growth = transaction_size_bytes(twice, has_tip=False) - transaction_size_bytes(
        once, has_tip=False
    )

    assert growth == 1 + 1 + 14 + 1 + 18  # one more instruction, nothing else


def test_transaction_size_bytes_outside_tip_payer_adds_a_signature_and_key() -> None:
    shapes = _shapes(2, 2)

    inside = transaction_size_bytes(shapes, has_tip=True, tip_payer=WalletId("w00"))
    outside = transaction_size_bytes(shapes, has_tip=True, tip_payer=WalletId("payer"))

    assert outside - inside == 64 + 32


def test_pack_bundles_sixteen_wallets_two_orders_fit_one_bundle() -> None:
    shapes = _shapes(16, 2)

    bundles = pack_bundles(shapes)

    assert len(bundles) == 1
    assert [len(tx.instructions) for tx in bundles[0].transactions] == [5, 5, 5, 1]


def test_pack_bundles_keeps_order_limits_and_tip_in_last_tx_of_each_bundle() -> None:
    shapes = _shapes(60, 3)

    bundles = pack_bundles(shapes)

    flattened = [ins for b in bundles for tx in b.transactions for ins in tx.instructions]
    assert flattened == shapes
    assert len(bundles) > 1
    for bundle in bundles:
        assert 1 <= len(bundle.transactions) <= MAX_TRANSACTIONS_PER_BUNDLE
        assert [tx.has_tip for tx in bundle.transactions][-1]
        assert not any(tx.has_tip for tx in bundle.transactions[:-1])
        for tx in bundle.transactions:
            assert tx.size_bytes <= TX_SIZE_LIMIT_BYTES
            assert tx.size_bytes == transaction_size_bytes(tx.instructions, has_tip=tx.has_tip)
        assert bundle.tip_payer == bundle.transactions[-1].fee_payer


def test_pack_bundles_full_bundles_hold_five_transactions() -> None:
    bundles = pack_bundles(_shapes(40, 2))

    assert [len(b.transactions) for b in bundles] == [5, 3]


def test_pack_bundles_last_tx_without_room_for_tip_is_repacked() -> None:
    shapes = _shapes(2, 16)  # 1203 B together without a tip, 1284 B with one

    bundles = pack_bundles(shapes)

    assert len(bundles) == 1
    txs = bundles[0].transactions
    assert [len(tx.instructions) for tx in txs] == [1, 1]
    assert [tx.has_tip for tx in txs] == [False, True]
    assert all(tx.size_bytes <= TX_SIZE_LIMIT_BYTES for tx in txs)


def test_pack_bundles_with_tip_payer_signs_the_last_tx() -> None:
    payer = WalletId("payer")

    bundles = pack_bundles(_shapes(3, 2), tip_payer=payer)

    last = bundles[-1].transactions[-1]
    assert bundles[-1].tip_payer == payer
    assert last.signers[-1] == payer
    assert last.fee_payer == WalletId("w00")


def test_pack_bundles_empty_plan_gives_no_bundle() -> None:
    assert pack_bundles([]) == ()


def test_pack_bundles_more_than_24_orders_raises_rejected_error() -> None:
    with pytest.raises(RejectedError, match=r"0\.\.24 orders"):
        pack_bundles([InstructionShape(WalletId("w"), 25)])


def test_pack_bundles_largest_step_fits_with_tip() -> None:
    bundles = pack_bundles([InstructionShape(WalletId("w"), 24)] * 3)

    assert all(tx.size_bytes <= TX_SIZE_LIMIT_BYTES for b in bundles for tx in b.transactions)


def test_bundle_id_is_sha256_of_comma_joined_signatures() -> None:
    expected = hashlib.sha256(b"sigA,sigB").hexdigest()

    assert bundle_id(["sigA", "sigB"]) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("landing_probability", 1.5),
        ("failure_probability", -0.1),
        ("min_delay_slots", 3),
        ("slot_ms", 0),
        ("signature_fee_lamports", -1),
    ],
)
def test_bundle_params_out_of_range_raises_config_error_naming_key(
    field: str, value: float
) -> None:
    arguments: dict[str, float] = {field: value, "max_delay_slots": 2}

    with pytest.raises(ConfigError) as caught:
        BundleParams(**arguments)  # type: ignore[arg-type]  # one bad field at a time

    assert caught.value.key == f"bundles.{field}"


def test_draw_landing_certain_and_impossible_landings() -> None:
    rng = random.Random(1)
    always = BundleParams(landing_probability=1.0, min_delay_slots=2, max_delay_slots=4)
    never = BundleParams(landing_probability=0.0)

    landed = [draw_landing(always, 3, rng) for _ in range(200)]
    dropped = [draw_landing(never, 3, rng) for _ in range(50)]

    assert all(d.is_landed and d.failing_transaction is None for d in landed)
    assert {d.delay_slots for d in landed} == {2, 3, 4}
    assert not any(d.is_landed for d in dropped)


def test_draw_landing_failure_picks_a_transaction_of_the_bundle() -> None:
    rng = random.Random(2)
    params = BundleParams(failure_probability=1.0)

    draws = [draw_landing(params, 3, rng) for _ in range(100)]

    assert {d.failing_transaction for d in draws} == {0, 1, 2}


def test_draw_landing_rate_follows_probability() -> None:
    rng = random.Random(3)
    params = BundleParams(landing_probability=0.7)

    landed = sum(draw_landing(params, 1, rng).is_landed for _ in range(4000))

    assert 0.65 < landed / 4000 < 0.75


def test_transaction_fee_lamports_counts_signatures_and_priority_fee() -> None:
    tx = pack_bundles(_shapes(3, 1))[0].transactions[0]
    params = BundleParams(priority_fee_lamports_per_tx=777)

    assert transaction_fee_lamports(params, tx) == 3 * 5_000 + 777


@pytest.mark.parametrize(
    ("tip", "expected"), [(None, 0.8), (20_000, 0.8), (10_000, 0.8), (5_000, 0.4), (0, 0.0)]
)
def test_landing_probability_scales_with_tip_under_the_floor(
    tip: int | None, expected: float
) -> None:
    params = BundleParams(landing_probability=0.8, tip_floor_lamports=10_000)

    assert landing_probability(params, tip) == pytest.approx(expected)


def test_landing_probability_without_floor_ignores_the_tip() -> None:
    assert landing_probability(BundleParams(landing_probability=0.6), 1_000) == 0.6


def test_draw_landing_low_tip_lands_less_often() -> None:
    params = BundleParams(tip_floor_lamports=10_000)
    rng = random.Random(5)

    low = sum(draw_landing(params, 1, rng, 2_500).is_landed for _ in range(2000))
    high = sum(draw_landing(params, 1, rng, 10_000).is_landed for _ in range(2000))

    assert high == 2000
    assert 0.2 < low / 2000 < 0.3
