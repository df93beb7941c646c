"""Builders shared by the tests (import as ``factories``: tests/ is on sys.path via conftest)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bmvbot.adapters.sim.bundles import BundleParams
from bmvbot.adapters.sim.clock import SimClock
from bmvbot.adapters.sim.scenarios import ParticipantMix, PriceShock, Scenario
from bmvbot.adapters.sim.venue import SimulatedVenue, SwarmFunding
from bmvbot.core.config import StrategyParams
from bmvbot.core.types import NS_PER_S, Rounding
from bmvbot.services.trading import TradingService
from bmvbot.settings import load_settings

BASE_PRICE = 1.25
"""The simulated market's latent price at the start (quote per base, UI units)."""
SEED_DAILY_VOLUME_BASE_LOTS = 10**12
"""A seed volume that outweighs any simulated trading: the pivot stays at the seed price."""
TIP_LAMPORTS = 10_000


def default_params() -> StrategyParams:
    """Return the shipped default configuration's core params (environment ignored)."""
    return load_settings(None, env={}).to_params()


def seeded_params(
    start_ns: int, seed_price: float = BASE_PRICE, params: StrategyParams | None = None
) -> StrategyParams:
    """Return ``params`` (default: shipped) with a heavy pivot seed at ``seed_price``."""
    params = params or default_params()
    seed_lots = params.market.price_to_lots(seed_price, Rounding.NEAREST)
    pivot = dataclasses.replace(
        params.pivot,
        seed_price_lots=seed_lots,
        seed_daily_volume_base_lots=SEED_DAILY_VOLUME_BASE_LOTS,
        seed_start_ns=start_ns,
    )
    return dataclasses.replace(params, pivot=pivot)


def lp_only_mix(lp_count: int = 1) -> ParticipantMix:
    """Return a market of liquidity providers only: a stable book, no trade unless we cause it."""
    return ParticipantMix(
        noise_rate_per_s=0.0,
        informed_rate_per_s=0.0,
        lp_count=lp_count,
        lp_refresh_s=0.25,
        whale_count=0,
    )


def lp_scenario(shock: PriceShock | None = None, seed: int = 0) -> Scenario:
    """Return a still latent price quoted by one provider, with an optional shock."""
    return Scenario(
        "lp_only", BASE_PRICE, 0.0, seed, 3600.0, shock=shock, mix=lp_only_mix(), step_s=0.25
    )


@dataclass(frozen=True)
class Trading:
    """A TradingService on a SimulatedVenue sharing one SimClock."""

    service: TradingService
    venue: SimulatedVenue
    clock: SimClock
    params: StrategyParams

    def advance_s(self, seconds: float) -> None:
        """Move the clock forward."""
        self.clock.advance(round(seconds * NS_PER_S))


def trading(
    scenario: Scenario | str,
    *,
    params: StrategyParams | None = None,
    seed: int | None = None,
    funding: SwarmFunding | None = None,
    bundles: BundleParams | None = None,
    tip_lamports: int = TIP_LAMPORTS,
) -> Trading:
    """Return a service over a fresh simulated venue (``params`` default: seeded shipped)."""
    clock = SimClock()
    params = params or seeded_params(clock.now_ns())
    venue = SimulatedVenue.create(
        params.market,
        params.swarm.wallet_count,
        clock,
        scenario,
        seed,
        funding,
        bundles,
    )
    service = TradingService(venue, clock, params, tip_lamports=tip_lamports)
    return Trading(service, venue, clock, params)
