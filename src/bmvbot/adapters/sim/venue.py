"""``SimulatedVenue``: the Venue port over the exchange model, a Jito bundle model and a market.

Build one with::

    venue = SimulatedVenue.create(
        spec,                      # MarketSpec (SIM_MARKET_SPEC: SOL-quoted, tick 1e-5)
        wallet_count=8,            # swarm wallets sim-wallet-00 .. sim-wallet-07
        clock=SimClock(),          # or SystemClock() for paper trading
        scenario="random_walk",    # a name from SCENARIOS or a Scenario
        seed=0,                    # seeds the run's one random.Random
        funding=SwarmFunding(),    # base / quote native and lamports per wallet
        bundles=BundleParams(),    # landing probability, delay in slots, failures, fees
        packer=pack_bundles,       # steps -> bundles (size model); the real packer fits here
        tip_payer=None,            # a swarm wallet paying every tip; None: last fee payer
    )

The venue is lazy: every call first runs the synthetic participants (``ParticipantPool``) up to
``clock.now_ns()``, so it serves a ``SimClock`` advanced by a runner and the wall clock alike.

``execute(plan, tip)`` hands the plan to the ``BundleExecutor`` (``execution.py``): one
``cancel_all_and_place_orders`` (PostOnly, CancelProvide) per step, packed into all-or-nothing
bundles that land (or not) after a delay in slots while the market keeps moving; see there.
A post-only order that would cross any resting order is not posted; those are counted in
``dropped_orders``, and those crossing a swarm wallet's order also in ``swarm_crossed_orders``.
As every swarm order is post-only, no trade ever has a swarm wallet on both sides.

The venue's market time may run ahead of the clock by a bundle's landing delay; snapshots
report ``max(clock, market time)``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bmvbot.adapters.sim.bundles import (
    BundleParams,
    pack_bundles,
)
from bmvbot.adapters.sim.execution import BundleExecutor, Packer
from bmvbot.adapters.sim.market import SimMarket, Trader
from bmvbot.adapters.sim.participants import ParticipantPool
from bmvbot.adapters.sim.scenarios import Scenario, scenario
from bmvbot.core.errors import ConfigError
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import (
    LAMPORTS_PER_SOL,
    BaseLots,
    BaseNative,
    BookLevel,
    L2Snapshot,
    Lamports,
    MarketSpec,
    PriceLots,
    QuoteNative,
    Side,
    WalletId,
)
from bmvbot.ports.clock import Clock
from bmvbot.ports.venue import (
    ExecutionReport,
    MarketSnapshot,
    OwnOrder,
    Venue,
    WalletBalance,
)

SIM_MARKET_SPEC = MarketSpec(
    base_decimals=9,
    quote_decimals=9,
    base_lot_size=1_000_000,
    quote_lot_size=10,
    maker_fee_ppm=0,
    taker_fee_ppm=400,
)
"""A SOL-quoted token market: base lot 0.001 token, tick 0.00001 SOL, taker fee 4 bps."""


@dataclass(frozen=True, slots=True)
class SwarmFunding:
    """What each swarm wallet starts with.

    Attributes:
        base_native: base tokens in its token account (default 1,000 tokens of 9 decimals).
        quote_native: quote tokens (wrapped SOL) in its token account (default 1,250 SOL).
        lamports: SOL for fees and tips (default 1 SOL).
    """

    base_native: int = 1_000 * 10**9
    quote_native: int = 1_250 * 10**9
    lamports: int = LAMPORTS_PER_SOL

    def __post_init__(self) -> None:
        for name in ("base_native", "quote_native", "lamports"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"funding.{name} must be >= 0, was {getattr(self, name)}",
                    key=f"funding.{name}",
                )


class SimulatedVenue(Venue):
    """The Venue port on a simulated OpenBook V2 market (see the module docstring)."""

    def __init__(
        self,
        market: SimMarket,
        pool: ParticipantPool,
        wallets: Sequence[Trader],
        clock: Clock,
        lamports: Sequence[int],
        bundles: BundleParams,
        *,
        packer: Packer = pack_bundles,
        tip_payer: WalletId | None = None,
        book_depth_levels: int = 64,
    ) -> None:
        self.market = market
        self.pool = pool
        self.clock = clock
        self.book_depth_levels = book_depth_levels
        self._traders = {WalletId(t.owner): t for t in wallets}
        self._wallet_ids = tuple(self._traders)
        if tip_payer is not None and tip_payer not in self._traders:
            raise ConfigError(
                f"tip_payer must be a swarm wallet ({', '.join(self._wallet_ids)}), "
                f"was {tip_payer!r}",
                key="venue.tip_payer",
            )
        self.executor = BundleExecutor(
            market,
            pool,
            self._traders,
            dict(zip(self._wallet_ids, lamports, strict=True)),
            bundles,
            packer,
            tip_payer,
        )

    @classmethod
    def create(
        cls,
        spec: MarketSpec = SIM_MARKET_SPEC,
        wallet_count: int = 8,
        clock: Clock | None = None,
        scenario: Scenario | str = "random_walk",
        seed: int | None = None,
        funding: SwarmFunding | Sequence[SwarmFunding] | None = None,
        bundles: BundleParams | None = None,
        *,
        packer: Packer = pack_bundles,
        tip_payer: WalletId | None = None,
        book_depth_levels: int = 64,
        crank_interval_s: float = 1.0,
    ) -> SimulatedVenue:
        """Build a venue: market, ``wallet_count`` funded swarm wallets and the participants.

        ``seed`` (default: the scenario's) seeds the one ``random.Random`` of the run.
        ``funding`` is one ``SwarmFunding`` for every wallet or one per wallet. ``packer``
        turns steps into bundles (the real transaction packer can replace the size model).
        ``tip_payer`` (a swarm wallet) pays every tip; None: each bundle's last fee payer.

        Raises:
            ConfigError: no clock, ``wallet_count`` < 1, funding for another number of
                wallets, an unknown scenario name, a tip payer outside the swarm.
        """
        if clock is None:
            raise ConfigError("SimulatedVenue.create needs a clock, was None", key="clock")
        if wallet_count < 1:
            raise ConfigError(
                f"swarm.wallet_count must be >= 1, was {wallet_count}", key="swarm.wallet_count"
            )
        fundings = _fundings(funding, wallet_count)
        recipe = _scenario_of(scenario, seed)
        start_ns = clock.now_ns()
        # ids differ between runs that start at another time, repeat when a run is replayed
        run_tag = f"sim-{recipe.seed}-{start_ns}"
        market = SimMarket(spec, start_ns, trade_id_prefix=run_tag)
        wallets = [
            market.open_swarm_wallet(
                WalletId(f"sim-wallet-{i:02d}"), money.base_native, money.quote_native
            )
            for i, money in enumerate(fundings)
        ]
        rng = random.Random(recipe.seed)  # noqa: S311 - a reproducible simulation, not crypto
        pool = ParticipantPool(market, recipe, rng, start_ns, crank_interval_s)
        return cls(
            market,
            pool,
            wallets,
            clock,
            [money.lamports for money in fundings],
            bundles or BundleParams(),
            packer=packer,
            tip_payer=tip_payer,
            book_depth_levels=book_depth_levels,
        )

    # -- the port ----------------------------------------------------------------------------

    async def market_spec(self) -> MarketSpec:
        """Return the market's geometry."""
        self._catch_up()
        return self.market.spec

    async def wallets(self) -> tuple[WalletId, ...]:
        """Return the swarm wallets in swarm order."""
        self._catch_up()
        return self._wallet_ids

    async def snapshot(self) -> MarketSnapshot:
        """Return book, swarm orders, balances and the trades since the previous call."""
        now_ns = self._catch_up()
        return MarketSnapshot(
            ts_ns=now_ns,
            book=self._book(now_ns),
            orders=self.own_orders(),
            balances=tuple(self._balance(wallet) for wallet in self._wallet_ids),
            trades=self.market.drain_trades(),
        )

    async def execute(self, plan: ReplacementPlan, tip_lamports: Lamports) -> ExecutionReport:
        """Send ``plan`` as bundles (see the module docstring).

        Raises:
            RejectedError: tip below 1,000 lamports, a step of more than 24 orders.
            FatalVenueError: an unknown wallet, or lamports short of fees, tips and rent.
        """
        self._catch_up()
        return self.executor.execute(plan.steps, tip_lamports)

    async def cancel_all(self, tip_lamports: Lamports) -> ExecutionReport:
        """Cancel every resting swarm order (one CANCEL step per wallet that has one)."""
        self._catch_up()
        self.market.crank(self._traders[w].account_id for w in self._wallet_ids)
        holders = dict.fromkeys(order.wallet for order in self.own_orders())
        steps = tuple(ReplacementStep(wallet, StepKind.CANCEL) for wallet in holders)
        return self.executor.execute(steps, tip_lamports)

    # -- extras for the lab, tests and the paper-trading view --------------------------------

    @property
    def latent_price(self) -> float:
        """Return the scenario's latent price now (UI units)."""
        return self.pool.latent.price

    @property
    def market_time_ns(self) -> int:
        """Return how far the market has been simulated (>= the clock after any call)."""
        return self.pool.now_ns

    @property
    def bundle_params(self) -> BundleParams:
        """Return how the simulated block engine treats bundles."""
        return self.executor.params

    @bundle_params.setter
    def bundle_params(self, params: BundleParams) -> None:
        self.executor.params = params

    def lamports(self, wallet: WalletId) -> int:
        """Return ``wallet``'s lamports."""
        return self.executor.lamports[wallet]

    def own_orders(self) -> tuple[OwnOrder, ...]:
        """Return every resting swarm order, wallet by wallet in swarm order, slot order."""
        market = self.market.market
        orders: list[OwnOrder] = []
        for wallet in self._wallet_ids:
            account = self.market.exchange.open_orders[self._traders[wallet].account_id]
            for slot in account.slots:
                if slot is None:
                    continue
                book = market.bids if slot.side is Side.BID else market.asks
                resting = book.by_id.get(slot.order_id)
                if resting is None:
                    continue
                orders.append(
                    OwnOrder(
                        wallet,
                        slot.side,
                        PriceLots(resting.price_lots),
                        BaseLots(resting.quantity),
                        slot.order_id,
                        slot.client_order_id,
                    )
                )
        return tuple(orders)

    # -- internals ---------------------------------------------------------------------------

    def _catch_up(self) -> int:
        self.pool.advance_to(self.clock.now_ns())
        return self.pool.now_ns

    def _book(self, now_ns: int) -> L2Snapshot:
        market = self.market.market
        now_s = now_ns // 1_000_000_000
        depth = self.book_depth_levels
        return L2Snapshot(
            tuple(BookLevel(PriceLots(p), BaseLots(n)) for p, n in market.bids.depth(now_s, depth)),
            tuple(BookLevel(PriceLots(p), BaseLots(n)) for p, n in market.asks.depth(now_s, depth)),
        )

    def _balance(self, wallet: WalletId) -> WalletBalance:
        trader = self._traders[wallet]
        exchange = self.market.exchange
        account = exchange.open_orders[trader.account_id]
        ledger = exchange.ledger
        spec = self.market.spec
        return WalletBalance(
            wallet=wallet,
            base_free_native=BaseNative(
                ledger.balance(trader.base_token) + account.base_free_native
            ),
            quote_free_native=QuoteNative(
                ledger.balance(trader.quote_token) + account.quote_free_native
            ),
            base_locked_native=BaseNative(account.asks_base_lots * spec.base_lot_size),
            quote_locked_native=QuoteNative(
                account.bids_quote_lots * spec.quote_lot_size + account.locked_maker_fees
            ),
            lamports=Lamports(self.executor.lamports[wallet]),
            blocked_slots=self.market.blocked_slots(trader.account_id),
        )


def _fundings(
    funding: SwarmFunding | Sequence[SwarmFunding] | None, wallet_count: int
) -> list[SwarmFunding]:
    if funding is None:
        return [SwarmFunding()] * wallet_count
    if isinstance(funding, SwarmFunding):
        return [funding] * wallet_count
    if len(funding) != wallet_count:
        raise ConfigError(
            f"funding must name one SwarmFunding per wallet ({wallet_count}), was {len(funding)}",
            key="funding",
        )
    return list(funding)


def _scenario_of(recipe: Scenario | str, seed: int | None) -> Scenario:
    if isinstance(recipe, str):
        return scenario(recipe, seed=seed or 0)
    return recipe if seed is None else replace(recipe, seed=seed)
