"""Scenario drivers: the latent ("fair") price path and the mix of synthetic participants.

A :class:`Scenario` is a frozen recipe: the base price, the volatility, a drift, an optional
mean reversion, an optional shock (crash or pump) and the :class:`ParticipantMix`. The
:class:`LatentPrice` process walks it forward on simulated time with the simulation's one seeded
``random.Random``. ``SCENARIOS`` maps a name to a factory taking ``(base_price, volatility,
seed, duration_s)``; ``scenario(name, ...)`` looks one up and raises ``ConfigError`` naming the
valid names for an unknown one.

Latent price (log space, ``dt`` in hours, ``Z ~ N(0, 1)``)::

    x(t + dt) = x(t) + drift_per_hour * dt - reversion_per_hour * (x(t) - x0) * dt
                + volatility * sqrt(dt) * Z
    price(t)  = exp(x(t)) * shock(t)

``volatility`` is a fraction per square root of an hour (0.02 = 2 % over one hour).
``shock(t)`` is 1 outside the shock window; inside it moves the price by ``move_fraction``
(log-linearly over ``duration_s``), then gives back ``recovery_fraction`` of the move over
``recovery_s`` and stays there.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bmvbot.core.errors import ConfigError

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class PriceShock:
    """A fast move of the latent price (flash crash: negative; pump: positive).

    Attributes:
        start_s: seconds after the scenario start when the move begins.
        duration_s: seconds the move takes.
        move_fraction: relative move at its end (-0.2 = 20 % down).
        recovery_s: seconds over which part of the move is given back.
        recovery_fraction: share of the move given back (0 = none, 1 = all).
    """

    start_s: float
    duration_s: float
    move_fraction: float
    recovery_s: float = 0.0
    recovery_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.start_s < 0 or self.duration_s <= 0 or self.recovery_s < 0:
            raise ConfigError(
                "shock needs start_s >= 0, duration_s > 0 and recovery_s >= 0, was "
                f"{self.start_s}, {self.duration_s}, {self.recovery_s}",
                key="scenario.shock",
            )
        if not -0.95 <= self.move_fraction <= 10.0 or not 0 <= self.recovery_fraction <= 1:
            raise ConfigError(
                "shock move_fraction must be -0.95..10 and recovery_fraction 0..1, was "
                f"{self.move_fraction} and {self.recovery_fraction}",
                key="scenario.shock",
            )

    def factor(self, elapsed_s: float) -> float:
        """Return the multiplicative shock on the price ``elapsed_s`` after the start."""
        if elapsed_s <= self.start_s:
            return 1.0
        full = math.log1p(self.move_fraction)
        into = elapsed_s - self.start_s
        if into < self.duration_s:
            return math.exp(full * into / self.duration_s)
        given_back = self.recovery_fraction
        if self.recovery_s > 0 and into < self.duration_s + self.recovery_s:
            given_back *= (into - self.duration_s) / self.recovery_s
        return math.exp(full * (1.0 - given_back))


@dataclass(frozen=True, slots=True)
class ParticipantMix:
    """Which synthetic participants trade, and how much.

    Attributes:
        noise_rate_per_s: noise taker orders per second (Poisson).
        noise_median_base: median noise order size, base UI units (log-normal).
        noise_size_sigma: log-normal sigma of noise sizes (heavy right tail).
        noise_slippage_bps: how far through the touch a noise order may sweep.
        informed_rate_per_s: informed trader looks per second.
        informed_threshold_bps: mispricing against the latent price that makes it trade.
        informed_size_base: most an informed trader takes per look, base UI units.
        lp_count: liquidity providers.
        lp_refresh_s: mean seconds between one provider's looks at its quotes.
        lp_requote_bps: latent move from the ladder's centre that makes it requote.
        lp_max_age_s: oldest a ladder may get before it is requoted anyway.
        lp_levels: levels per side per provider.
        lp_half_spread_bps: distance of a provider's best level from the latent price.
        lp_step_bps: distance between a provider's levels.
        lp_size_base: median size per level, base UI units.
        whale_count: whales.
        whale_rate_per_s: wall postings per second per whale.
        whale_size_base: size of one wall, base UI units.
        whale_distance_bps: wall distance from the latent price.
        whale_hold_s: mean seconds a wall stays before it is pulled.
    """

    noise_rate_per_s: float = 2.0
    noise_median_base: float = 5.0
    noise_size_sigma: float = 1.2
    noise_slippage_bps: float = 30.0
    informed_rate_per_s: float = 0.5
    informed_threshold_bps: float = 15.0
    informed_size_base: float = 10_000.0
    lp_count: int = 4
    lp_refresh_s: float = 1.0
    lp_requote_bps: float = 4.0
    lp_max_age_s: float = 30.0
    lp_levels: int = 5
    lp_half_spread_bps: float = 8.0
    lp_step_bps: float = 6.0
    lp_size_base: float = 40.0
    whale_count: int = 1
    whale_rate_per_s: float = 0.02
    whale_size_base: float = 2_000.0
    whale_distance_bps: float = 40.0
    whale_hold_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("lp_count", "lp_levels", "whale_count"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"scenario.{name} must be >= 0, was {getattr(self, name)}",
                    key=f"scenario.{name}",
                )
        rates = ("noise_rate_per_s", "informed_rate_per_s", "whale_rate_per_s")
        for name in rates:
            if not getattr(self, name) >= 0:
                raise ConfigError(
                    f"scenario.{name} must be >= 0, was {getattr(self, name)}",
                    key=f"scenario.{name}",
                )
        if self.whale_count and not self.whale_rate_per_s > 0:
            raise ConfigError(
                f"scenario.whale_rate_per_s must be > 0 with whales, was {self.whale_rate_per_s}",
                key="scenario.whale_rate_per_s",
            )
        positive = ("lp_refresh_s", "lp_max_age_s", "noise_median_base", "lp_size_base")
        for name in (*positive, "whale_hold_s"):
            if not getattr(self, name) > 0:
                raise ConfigError(
                    f"scenario.{name} must be > 0, was {getattr(self, name)}",
                    key=f"scenario.{name}",
                )


@dataclass(frozen=True, slots=True)
class Scenario:
    """A recipe for one simulated market run.

    Attributes:
        name: the registry name.
        base_price: latent price at the start, quote per base (UI units).
        volatility: fraction per square root of an hour.
        seed: seed of the run's ``random.Random``.
        duration_s: planned length (shocks are placed relative to it).
        drift_per_hour: log drift per hour (trend).
        reversion_per_hour: pull of the log price back to the start, per hour.
        shock: an optional crash or pump.
        mix: the participants.
        step_s: seconds between latent price updates.
    """

    name: str
    base_price: float = 1.25
    volatility: float = 0.02
    seed: int = 0
    duration_s: float = 3600.0
    drift_per_hour: float = 0.0
    reversion_per_hour: float = 0.0
    shock: PriceShock | None = None
    mix: ParticipantMix = field(default_factory=ParticipantMix)
    step_s: float = 0.25

    def __post_init__(self) -> None:
        checks = (
            ("base_price", self.base_price > 0 and math.isfinite(self.base_price)),
            ("volatility", 0 <= self.volatility < 10 and math.isfinite(self.volatility)),
            ("duration_s", self.duration_s > 0),
            ("step_s", self.step_s > 0),
            ("reversion_per_hour", self.reversion_per_hour >= 0),
        )
        for name, is_valid in checks:
            if not is_valid:
                raise ConfigError(
                    f"scenario.{name} is out of range, was {getattr(self, name)!r}",
                    key=f"scenario.{name}",
                )


class LatentPrice:
    """The latent price of a scenario, stepped forward on simulated time."""

    __slots__ = ("_elapsed_s", "_log_base", "_log_walk", "_rng", "scenario")

    def __init__(self, scenario: Scenario, rng: random.Random) -> None:
        self.scenario = scenario
        self._rng = rng
        self._log_base = math.log(scenario.base_price)
        self._log_walk = self._log_base
        self._elapsed_s = 0.0

    @property
    def price(self) -> float:
        """Return the latent price now, quote per base (UI units)."""
        shock = self.scenario.shock
        factor = shock.factor(self._elapsed_s) if shock is not None else 1.0
        return math.exp(self._log_walk) * factor

    def step(self, dt_s: float) -> float:
        """Walk ``dt_s`` seconds forward and return the new price (see the module formula)."""
        scenario = self.scenario
        dt_h = dt_s / SECONDS_PER_HOUR
        deviation = self._log_walk - self._log_base
        self._log_walk += (
            scenario.drift_per_hour * dt_h
            - scenario.reversion_per_hour * deviation * dt_h
            + scenario.volatility * math.sqrt(dt_h) * self._rng.gauss(0.0, 1.0)
        )
        self._elapsed_s += dt_s
        return self.price


ScenarioFactory = Callable[[float, float, int, float], Scenario]


def random_walk(base_price: float, volatility: float, seed: int, duration_s: float) -> Scenario:
    """Return a driftless random walk with the default participants."""
    return Scenario("random_walk", base_price, volatility, seed, duration_s)


def trend(base_price: float, volatility: float, seed: int, duration_s: float) -> Scenario:
    """Return a steady up-trend: +10 % over the planned duration."""
    drift = math.log(1.10) / (duration_s / SECONDS_PER_HOUR)
    return Scenario("trend", base_price, volatility, seed, duration_s, drift_per_hour=drift)


def flash_crash(base_price: float, volatility: float, seed: int, duration_s: float) -> Scenario:
    """Return a walk with a 20 % crash over 60 s at 30 % of the run, half recovered later."""
    shock = PriceShock(
        start_s=0.3 * duration_s,
        duration_s=60.0,
        move_fraction=-0.20,
        recovery_s=0.3 * duration_s,
        recovery_fraction=0.5,
    )
    return Scenario("flash_crash", base_price, volatility, seed, duration_s, shock=shock)


def pump(base_price: float, volatility: float, seed: int, duration_s: float) -> Scenario:
    """Return a walk with a 30 % pump over two minutes at 30 % of the run, a third given back."""
    shock = PriceShock(
        start_s=0.3 * duration_s,
        duration_s=120.0,
        move_fraction=0.30,
        recovery_s=0.3 * duration_s,
        recovery_fraction=1 / 3,
    )
    mix = replace(ParticipantMix(), noise_rate_per_s=4.0, informed_rate_per_s=1.0)
    return Scenario("pump", base_price, volatility, seed, duration_s, shock=shock, mix=mix)


def low_liquidity(base_price: float, volatility: float, seed: int, duration_s: float) -> Scenario:
    """Return a thin market: one provider quoting few small levels wide, rare takers."""
    mix = ParticipantMix(
        noise_rate_per_s=0.3,
        noise_median_base=2.0,
        informed_rate_per_s=0.1,
        informed_size_base=200.0,
        lp_count=1,
        lp_refresh_s=10.0,
        lp_levels=2,
        lp_half_spread_bps=40.0,
        lp_step_bps=25.0,
        lp_size_base=5.0,
        whale_count=0,
    )
    return Scenario("low_liquidity", base_price, volatility, seed, duration_s, mix=mix)


def mean_reversion(base_price: float, volatility: float, seed: int, duration_s: float) -> Scenario:
    """Return an Ornstein-Uhlenbeck walk pulled back to the base price (half-life ~10 min)."""
    return Scenario(
        "mean_reversion",
        base_price,
        volatility,
        seed,
        duration_s,
        reversion_per_hour=math.log(2) * 6,
    )


def whale_wall(base_price: float, volatility: float, seed: int, duration_s: float) -> Scenario:
    """Return a walk where two whales keep posting and pulling large walls near the touch."""
    mix = replace(
        ParticipantMix(),
        whale_count=2,
        whale_rate_per_s=0.1,
        whale_size_base=5_000.0,
        whale_distance_bps=20.0,
        whale_hold_s=20.0,
    )
    return Scenario("whale_wall", base_price, volatility, seed, duration_s, mix=mix)


def quiet(base_price: float, volatility: float, seed: int, duration_s: float) -> Scenario:
    """Return a latent walk with no outside participants: the book holds only what is placed.

    For tests and contract suites that need a market nobody else touches.
    """
    mix = ParticipantMix(noise_rate_per_s=0.0, informed_rate_per_s=0.0, lp_count=0, whale_count=0)
    return Scenario("quiet", base_price, volatility, seed, duration_s, mix=mix)


SCENARIOS: dict[str, ScenarioFactory] = {
    "random_walk": random_walk,
    "trend": trend,
    "flash_crash": flash_crash,
    "pump": pump,
    "low_liquidity": low_liquidity,
    "mean_reversion": mean_reversion,
    "whale_wall": whale_wall,
    "quiet": quiet,
}
"""Every scenario by name: ``factory(base_price, volatility, seed, duration_s)``."""


def scenario(
    name: str,
    *,
    base_price: float = 1.25,
    volatility: float = 0.02,
    seed: int = 0,
    duration_s: float = 3600.0,
) -> Scenario:
    """Return the scenario ``name`` built with the given parameters.

    Raises:
        ConfigError: unknown name (the message lists the valid ones) or a bad parameter.
    """
    factory = SCENARIOS.get(name)
    if factory is None:
        valid = ", ".join(sorted(SCENARIOS))
        raise ConfigError(f"scenario must be one of {valid}, was {name!r}", key="scenario")
    return factory(base_price, volatility, seed, duration_s)
