import math
import random
import statistics
from dataclasses import replace

import pytest

from bmvbot.adapters.sim.scenarios import (
    SCENARIOS,
    LatentPrice,
    ParticipantMix,
    PriceShock,
    Scenario,
    scenario,
)
from bmvbot.core.errors import ConfigError


def test_scenario_unknown_name_raises_config_error_listing_valid_names() -> None:
    with pytest.raises(ConfigError) as caught:
        scenario("moon")

    message = str(caught.value)
    assert "'moon'" in message
    assert all(name in message for name in SCENARIOS)
    assert caught.value.key == "scenario"


def test_scenarios_registry_holds_the_required_names() -> None:
    required = {
        "random_walk",
        "trend",
        "flash_crash",
        "pump",
        "low_liquidity",
        "mean_reversion",
        "whale_wall",
    }

    assert required <= set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_factory_builds_with_the_given_parameters(name: str) -> None:
    built = scenario(name, base_price=2.0, volatility=0.05, seed=9, duration_s=600.0)

    assert (built.name, built.base_price, built.volatility, built.seed, built.duration_s) == (
        name,
        2.0,
        0.05,
        9,
        600.0,
    )


def test_price_shock_factor_moves_then_gives_back_part() -> None:
    shock = PriceShock(100.0, 60.0, -0.2, recovery_s=100.0, recovery_fraction=0.5)

    before = shock.factor(50.0)
    halfway = shock.factor(130.0)
    bottom = shock.factor(160.0)
    recovered = shock.factor(400.0)

    assert before == 1.0
    assert bottom == pytest.approx(0.8)
    assert bottom < halfway < 1.0
    assert recovered == pytest.approx(math.exp(math.log(0.8) * 0.5))


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"start_s": -1.0, "duration_s": 1.0, "move_fraction": 0.1}, "scenario.shock"),
        ({"start_s": 0.0, "duration_s": 0.0, "move_fraction": 0.1}, "scenario.shock"),
        ({"start_s": 0.0, "duration_s": 1.0, "move_fraction": -1.0}, "scenario.shock"),
    ],
)
def test_price_shock_bad_values_raise_config_error(kwargs: dict[str, float], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        PriceShock(**kwargs)

    assert caught.value.key == key


@pytest.mark.parametrize(
    ("field", "value"),
    [("base_price", 0.0), ("base_price", math.nan), ("volatility", -0.1), ("duration_s", 0.0)],
)
def test_scenario_bad_values_raise_config_error_naming_key(field: str, value: float) -> None:
    with pytest.raises(ConfigError) as caught:
        Scenario("x", **{field: value})  # type: ignore[arg-type]  # one float field at a time

    assert caught.value.key == f"scenario.{field}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lp_count", -1),
        ("noise_rate_per_s", -1.0),
        ("lp_refresh_s", 0.0),
        ("whale_rate_per_s", 0.0),
    ],
)
def test_participant_mix_bad_values_raise_config_error(field: str, value: float) -> None:
    with pytest.raises(ConfigError) as caught:
        ParticipantMix(**{field: value})  # type: ignore[arg-type]  # one field at a time

    assert caught.value.key == f"scenario.{field}"


def _walk(recipe: Scenario, seconds: float, seed: int) -> list[float]:
    latent = LatentPrice(recipe, random.Random(seed))
    steps = int(seconds / recipe.step_s)
    return [latent.step(recipe.step_s) for _ in range(steps)]


def test_latent_price_trend_without_volatility_ends_ten_percent_up() -> None:
    recipe = scenario("trend", volatility=0.0, duration_s=600.0)

    path = _walk(recipe, 600.0, seed=1)

    assert path[-1] == pytest.approx(1.25 * 1.10)
    assert path == sorted(path)


def test_latent_price_volatility_matches_per_sqrt_hour_definition() -> None:
    recipe = replace(scenario("random_walk", volatility=0.03), step_s=30.0)

    returns = []
    for seed in range(400):
        path = _walk(recipe, 3600.0, seed)
        returns.append(math.log(path[-1] / recipe.base_price))

    assert statistics.stdev(returns) == pytest.approx(0.03, rel=0.12)


def test_latent_price_mean_reversion_stays_nearer_the_base_than_a_walk() -> None:
    reverting = replace(scenario("mean_reversion", volatility=0.1), step_s=30.0)
    walking = replace(scenario("random_walk", volatility=0.1), step_s=30.0)

    def spread(recipe: Scenario) -> float:
        ends = [abs(math.log(_walk(recipe, 7200.0, seed)[-1] / 1.25)) for seed in range(100)]
        return statistics.mean(ends)

    assert spread(reverting) < 0.6 * spread(walking)


def test_latent_price_same_seed_gives_the_same_path() -> None:
    recipe = scenario("flash_crash", duration_s=300.0)

    assert _walk(recipe, 300.0, seed=4) == _walk(recipe, 300.0, seed=4)
    assert _walk(recipe, 300.0, seed=4) != _walk(recipe, 300.0, seed=5)
