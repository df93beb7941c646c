"""Seeded synthetic market participants, scheduled on simulated time.

Every participant is an outside trader with its own wallet and OpenOrders account on the
exchange model (never a swarm wallet), acting at random times (Poisson arrivals, exponential
gaps) drawn from the run's one seeded ``random.Random``:

* ``NoiseTaker``: buys or sells at random with heavy-tailed (log-normal) sizes, sweeping at
  most ``noise_slippage_bps`` through the touch (immediate-or-cancel).
* ``InformedTrader``: compares the book with the latent price and takes the side that is
  mispriced by more than ``informed_threshold_bps``, up to the latent price.
* ``LiquidityProvider``: requotes post-only ladders around the latent price.
* ``Whale``: posts a large wall near the touch, holds it, pulls it, waits, repeats.

``ParticipantPool`` also steps the latent price (every ``scenario.step_s``) and runs a keeper
crank (every ``crank_interval_s``) so fills reach the makers' accounts. ``advance_to(t_ns)``
runs every event due up to ``t_ns`` in time order; the order of the draws depends only on the
schedule, so one seed gives one run.
"""

from __future__ import annotations

import abc
import heapq
import math
import random
from collections.abc import Callable

from bmvbot.adapters.sim.market import SimMarket, Trader
from bmvbot.adapters.sim.scenarios import LatentPrice, ParticipantMix, Scenario
from bmvbot.core.types import NS_PER_S, Rounding, Side
from bmvbot.exchange import ExchangeError

BPS = 1e-4
MAX_LEVELS_PER_SIDE = 12
"""A provider's ladder fits one OpenOrders account (24 slots)."""
PARTICIPANT_FUNDING_UI = 10_000_000.0
"""Base and quote (UI units) minted for each outside participant."""
_HEAP_CRANK_RATIO = 0.5
_MAX_FUNDING_NATIVE = 2**60


def _ns(seconds: float) -> int:
    return max(1, round(seconds * NS_PER_S))


class ParticipantContext:
    """What a participant sees and uses: the market, the latent price and the random source."""

    __slots__ = ("latent", "market", "rng")

    def __init__(self, market: SimMarket, latent: LatentPrice, rng: random.Random) -> None:
        self.market = market
        self.latent = latent
        self.rng = rng

    def price_lots(self, price_ui: float, rounding: Rounding) -> int:
        """Return ``price_ui`` in ticks (at least 1)."""
        return max(1, self.market.spec.price_to_lots(price_ui, rounding))

    def size_lots(self, size_ui: float) -> int:
        """Return ``size_ui`` base units in base lots (at least 1)."""
        return max(1, self.market.spec.size_to_lots(size_ui))

    def price_ui(self, price_lots: int) -> float:
        """Return ``price_lots`` ticks as a UI price."""
        return self.market.spec.price_to_ui(price_lots)


class Participant(abc.ABC):
    """One outside trader; ``act`` runs one action and returns seconds until the next."""

    def __init__(self, trader: Trader, mix: ParticipantMix) -> None:
        self.trader = trader
        self.mix = mix

    def first_delay_s(self, rng: random.Random) -> float:
        """Return seconds from the start to the first action."""
        return self.next_delay_s(rng)

    @abc.abstractmethod
    def next_delay_s(self, rng: random.Random) -> float:
        """Return seconds to the next action (exponential gap)."""

    @abc.abstractmethod
    def act(self, ctx: ParticipantContext, now_ns: int) -> float:
        """Run one action at ``now_ns``; return seconds until the next one."""


class NoiseTaker(Participant):
    """Random-side taker with log-normal sizes."""

    def next_delay_s(self, rng: random.Random) -> float:
        """Return an exponential gap at ``noise_rate_per_s``."""
        return rng.expovariate(self.mix.noise_rate_per_s)

    def act(self, ctx: ParticipantContext, now_ns: int) -> float:
        """Buy or sell a heavy-tailed size, sweeping at most ``noise_slippage_bps``."""
        mix = self.mix
        rng = ctx.rng
        side = Side.BID if rng.random() < 0.5 else Side.ASK
        size_ui = rng.lognormvariate(math.log(mix.noise_median_base), mix.noise_size_sigma)
        best_bid, best_ask = ctx.market.best_prices(now_ns)
        touch = best_ask if side is Side.BID else best_bid
        if touch is not None:
            slip = mix.noise_slippage_bps * BPS
            if side is Side.BID:
                limit = ctx.price_lots(ctx.price_ui(touch) * (1 + slip), Rounding.DOWN)
            else:
                limit = ctx.price_lots(ctx.price_ui(touch) * (1 - slip), Rounding.UP)
            ctx.market.take(self.trader, side, limit, ctx.size_lots(size_ui), now_ns)
        return self.next_delay_s(rng)


class InformedTrader(Participant):
    """Takes whichever side of the book is mispriced against the latent price.

    When the best ask is more than ``informed_threshold_bps`` below the latent price it buys
    every ask up to half the threshold below it (a sell mirrors this), at most
    ``informed_size_base`` per look; stale walls and stale grid levels are picked off this way.
    """

    def next_delay_s(self, rng: random.Random) -> float:
        """Return an exponential gap at ``informed_rate_per_s``."""
        return rng.expovariate(self.mix.informed_rate_per_s)

    def act(self, ctx: ParticipantContext, now_ns: int) -> float:
        """Buy asks below, or sell to bids above, the latent price beyond the threshold."""
        mix = self.mix
        fair = ctx.latent.price
        threshold = mix.informed_threshold_bps * BPS
        size = ctx.size_lots(mix.informed_size_base)
        best_bid, best_ask = ctx.market.best_prices(now_ns)
        if best_ask is not None and ctx.price_ui(best_ask) < fair * (1 - threshold):
            limit = ctx.price_lots(fair * (1 - threshold / 2), Rounding.DOWN)
            ctx.market.take(self.trader, Side.BID, limit, size, now_ns)
        elif best_bid is not None and ctx.price_ui(best_bid) > fair * (1 + threshold):
            limit = ctx.price_lots(fair * (1 + threshold / 2), Rounding.UP)
            ctx.market.take(self.trader, Side.ASK, limit, size, now_ns)
        return self.next_delay_s(ctx.rng)


class LiquidityProvider(Participant):
    """Requotes a post-only ladder around the latent price when its quotes go stale.

    A quote is stale when the latent price moved ``lp_requote_bps`` from the ladder's centre,
    when one of its orders was filled or could not be posted (it would have crossed a stale
    order), or when it is older than ``lp_max_age_s``; otherwise the provider only looks
    (cheap) and waits for its next turn.
    """

    def __init__(self, trader: Trader, mix: ParticipantMix) -> None:
        super().__init__(trader, mix)
        self.center = 0.0
        self.posted = 0
        self.posted_ns = 0
        self.is_complete = False

    def first_delay_s(self, rng: random.Random) -> float:
        """Return 0: providers quote at the start, so a book exists from the first call."""
        return 0.0

    def next_delay_s(self, rng: random.Random) -> float:
        """Return an exponential gap with mean ``lp_refresh_s``."""
        return rng.expovariate(1.0 / self.mix.lp_refresh_s)

    def is_stale(self, ctx: ParticipantContext, now_ns: int) -> bool:
        """Return True when the ladder should be requoted (see the class docstring)."""
        mix = self.mix
        if not self.is_complete or now_ns - self.posted_ns >= _ns(mix.lp_max_age_s):
            return True
        if abs(ctx.latent.price / self.center - 1) >= mix.lp_requote_bps * BPS:
            return True
        return ctx.market.resting_count(self.trader.account_id) < self.posted

    def act(self, ctx: ParticipantContext, now_ns: int) -> float:
        """Crank its own fills, then cancel and post ``lp_levels`` bids and asks if stale."""
        rng = ctx.rng
        if not self.is_stale(ctx, now_ns):
            return self.next_delay_s(rng)
        mix = self.mix
        fair = ctx.latent.price
        half = mix.lp_half_spread_bps * BPS * rng.uniform(0.7, 1.3)
        step = mix.lp_step_bps * BPS
        bids: list[tuple[int, int]] = []
        asks: list[tuple[int, int]] = []
        for index in range(min(mix.lp_levels, MAX_LEVELS_PER_SIDE)):
            offset = half + index * step
            size = ctx.size_lots(rng.lognormvariate(math.log(mix.lp_size_base), 0.5))
            bids.append((ctx.price_lots(fair * (1 - offset), Rounding.DOWN), size))
            asks.append((ctx.price_lots(fair * (1 + offset), Rounding.UP), size))
        ctx.market.crank([self.trader.account_id])
        ids = ctx.market.place_post_only(self.trader, bids, asks, now_ns)
        self.center = fair
        self.posted = sum(order_id is not None for order_id in ids)
        self.is_complete = self.posted == len(ids)
        self.posted_ns = now_ns
        return self.next_delay_s(rng)


class Whale(Participant):
    """Posts a large wall near the touch, holds it for a while, then pulls it."""

    def __init__(self, trader: Trader, mix: ParticipantMix) -> None:
        super().__init__(trader, mix)
        self.has_wall = False

    def next_delay_s(self, rng: random.Random) -> float:
        """Return an exponential gap at ``whale_rate_per_s`` (time until the next wall)."""
        return rng.expovariate(self.mix.whale_rate_per_s)

    def act(self, ctx: ParticipantContext, now_ns: int) -> float:
        """Pull the wall if one stands, else post one; return the hold or the idle time."""
        mix = self.mix
        rng = ctx.rng
        ctx.market.crank([self.trader.account_id])
        if self.has_wall:
            self.has_wall = False
            ctx.market.cancel_all(self.trader)
            return self.next_delay_s(rng)
        fair = ctx.latent.price
        distance = mix.whale_distance_bps * BPS
        size = ctx.size_lots(mix.whale_size_base * rng.lognormvariate(0.0, 0.3))
        if rng.random() < 0.5:
            wall = (ctx.price_lots(fair * (1 - distance), Rounding.DOWN), size)
            ids = ctx.market.place_post_only(self.trader, [wall], [], now_ns)
        else:
            wall = (ctx.price_lots(fair * (1 + distance), Rounding.UP), size)
            ids = ctx.market.place_post_only(self.trader, [], [wall], now_ns)
        self.has_wall = ids[0] is not None
        return rng.expovariate(1.0 / mix.whale_hold_s) if self.has_wall else 1.0


Action = Callable[[int], float]


class ParticipantPool:
    """The latent price, the keeper crank and every participant, on one event schedule."""

    def __init__(
        self,
        market: SimMarket,
        scenario: Scenario,
        rng: random.Random,
        start_ns: int,
        crank_interval_s: float = 1.0,
    ) -> None:
        self.market = market
        self.scenario = scenario
        self.rng = rng
        self.latent = LatentPrice(scenario, rng)
        self.context = ParticipantContext(market, self.latent, rng)
        self.participants = self._open_participants(scenario.mix)
        self.now_ns = start_ns
        self.events_processed = 0
        self.rejected_actions = 0
        self._crank_interval_s = crank_interval_s
        self._queue: list[tuple[int, int, int]] = []
        self._sequence = 0
        self._actions: list[Action] = [self._step_latent, self._crank]
        self._schedule(0, start_ns + _ns(scenario.step_s))
        self._schedule(1, start_ns + _ns(crank_interval_s))
        for participant in self.participants:
            self._actions.append(self._participant_action(participant))
            first_ns = round(participant.first_delay_s(rng) * NS_PER_S)
            self._schedule(len(self._actions) - 1, start_ns + first_ns)
        self.advance_to(start_ns)

    def _open_participants(self, mix: ParticipantMix) -> list[Participant]:
        spec = self.market.spec
        # capped so that no amount the program computes leaves an i64, whatever the decimals
        base = min(int(PARTICIPANT_FUNDING_UI * 10**spec.base_decimals), _MAX_FUNDING_NATIVE)
        quote = min(int(PARTICIPANT_FUNDING_UI * 10**spec.quote_decimals), _MAX_FUNDING_NATIVE)
        market = self.market
        participants: list[Participant] = [
            LiquidityProvider(market.open_trader(f"lp-{i}", base, quote), mix)
            for i in range(mix.lp_count)
        ]
        participants += [
            Whale(market.open_trader(f"whale-{i}", base, quote), mix)
            for i in range(mix.whale_count)
        ]
        if mix.noise_rate_per_s > 0:
            participants.append(NoiseTaker(market.open_trader("noise", base, quote), mix))
        if mix.informed_rate_per_s > 0:
            participants.append(InformedTrader(market.open_trader("informed", base, quote), mix))
        return participants

    def _schedule(self, index: int, at_ns: int) -> None:
        self._sequence += 1
        heapq.heappush(self._queue, (at_ns, self._sequence, index))

    def _participant_action(self, participant: Participant) -> Action:
        def action(now_ns: int) -> float:
            try:
                return participant.act(self.context, now_ns)
            except ExchangeError:
                # an outside trader's failed instruction changes nothing; it tries again later
                self.rejected_actions += 1
                return participant.next_delay_s(self.rng)

        return action

    def _step_latent(self, now_ns: int) -> float:
        self.latent.step(self.scenario.step_s)
        return self.scenario.step_s

    def _crank(self, now_ns: int) -> float:
        self.market.crank()
        return self._crank_interval_s

    def advance_to(self, t_ns: int) -> int:
        """Run every event due at or before ``t_ns`` in time order; return how many ran."""
        queue = self._queue
        actions = self._actions
        market = self.market
        count = 0
        while queue and queue[0][0] <= t_ns:
            at_ns, _, index = heapq.heappop(queue)
            self.now_ns = at_ns
            delay_s = actions[index](at_ns)
            self._schedule(index, at_ns + _ns(delay_s))
            if market.heap_fill_ratio > _HEAP_CRANK_RATIO:
                market.crank()
            count += 1
        self.now_ns = max(self.now_ns, t_ns)
        self.events_processed += count
        return count
