"""The OpenBook V2 ``Market`` account (848 bytes, fact sheet 5.1): decoder and writer."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import cast

from solders.pubkey import Pubkey

from bmvbot.core.errors import InvariantError
from bmvbot.openbook.args import CreateMarketArgs
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS, OPENBOOK_PROGRAM_ID
from bmvbot.openbook.pda import market_authority_with_bump
from bmvbot.openbook.zerocopy import Record, check_account, f32

MARKET_SIZE = 848
MARKET_DISCRIMINATOR = ACCOUNT_DISCRIMINATORS["Market"]

_RECORD = Record(
    (
        ("bump", "u8"),
        ("base_decimals", "u8"),
        ("quote_decimals", "u8"),
        ("_padding1", "pad5"),
        ("market_authority", "pubkey"),
        ("time_expiry", "i64"),
        ("collect_fee_admin", "pubkey"),
        ("open_orders_admin", "opt_pubkey"),
        ("consume_events_admin", "opt_pubkey"),
        ("close_market_admin", "opt_pubkey"),
        ("name", "str16"),
        ("bids", "pubkey"),
        ("asks", "pubkey"),
        ("event_heap", "pubkey"),
        ("oracle_a", "opt_pubkey"),
        ("oracle_b", "opt_pubkey"),
        ("conf_filter", "f64"),
        ("max_staleness_slots", "i64"),
        ("_oracle_reserved", "pad72"),
        ("quote_lot_size", "i64"),
        ("base_lot_size", "i64"),
        ("seq_num", "u64"),
        ("registration_time", "i64"),
        ("maker_fee", "i64"),
        ("taker_fee", "i64"),
        ("fees_accrued", "u128"),
        ("fees_to_referrers", "u128"),
        ("referrer_rebates_accrued", "u64"),
        ("fees_available", "u64"),
        ("maker_volume", "u128"),
        ("taker_volume_wo_oo", "u128"),
        ("base_mint", "pubkey"),
        ("quote_mint", "pubkey"),
        ("market_base_vault", "pubkey"),
        ("base_deposit_total", "u64"),
        ("market_quote_vault", "pubkey"),
        ("quote_deposit_total", "u64"),
        ("_reserved", "pad128"),
    )
)
if _RECORD.size + 8 != MARKET_SIZE:  # layout self-check at import
    raise InvariantError(f"Market layout is {_RECORD.size + 8} bytes, expected {MARKET_SIZE}")


@dataclass(frozen=True, slots=True)
class OracleConfig:
    """On-chain oracle settings: ``max_staleness_slots`` is -1 for "no check"."""

    conf_filter: float
    max_staleness_slots: int


@dataclass(frozen=True, slots=True)
class Market:
    """A decoded Market account. Optional admins and oracles are None when unset (zero key).

    Fees are parts per million (negative maker fee = rebate); u128 volumes are ints.
    """

    bump: int
    base_decimals: int
    quote_decimals: int
    market_authority: Pubkey
    time_expiry: int
    collect_fee_admin: Pubkey
    open_orders_admin: Pubkey | None
    consume_events_admin: Pubkey | None
    close_market_admin: Pubkey | None
    name: str
    bids: Pubkey
    asks: Pubkey
    event_heap: Pubkey
    oracle_a: Pubkey | None
    oracle_b: Pubkey | None
    oracle_config: OracleConfig
    quote_lot_size: int
    base_lot_size: int
    seq_num: int
    registration_time: int
    maker_fee: int
    taker_fee: int
    fees_accrued: int
    fees_to_referrers: int
    referrer_rebates_accrued: int
    fees_available: int
    maker_volume: int
    taker_volume_wo_oo: int
    base_mint: Pubkey
    quote_mint: Pubkey
    market_base_vault: Pubkey
    base_deposit_total: int
    market_quote_vault: Pubkey
    quote_deposit_total: int

    def is_expired(self, now_ts: int) -> bool:
        """Return True when the market has expired at unix time ``now_ts``."""
        return self.time_expiry != 0 and self.time_expiry < now_ts


def decode_market(data: bytes) -> Market:
    """Return the Market stored in account ``data``.

    Raises:
        CodecError: wrong discriminator or size.
    """
    check_account(data, MARKET_DISCRIMINATOR, MARKET_SIZE, "Market")
    values = _RECORD.unpack(data, 8)
    conf_filter, staleness = values.pop("conf_filter"), values.pop("max_staleness_slots")
    # the record yields a float for f64 and an int for i64
    values["oracle_config"] = OracleConfig(cast(float, conf_filter), cast(int, staleness))
    fields = {k: v for k, v in values.items() if not k.startswith("_")}
    return Market(**fields)  # type: ignore[arg-type]  # the record yields the declared types


def encode_market(market: Market) -> bytes:
    """Return the 848 account bytes of ``market`` (padding and reserved bytes zero).

    Raises:
        CodecError: a field is out of range or of the wrong type.
    """
    values: dict[str, object] = {
        field.name: getattr(market, field.name) for field in dataclasses.fields(market)
    }
    config = market.oracle_config
    values["conf_filter"] = config.conf_filter
    values["max_staleness_slots"] = config.max_staleness_slots
    return MARKET_DISCRIMINATOR + _RECORD.pack(values)


def new_market(
    *,
    market: Pubkey,
    bids: Pubkey,
    asks: Pubkey,
    event_heap: Pubkey,
    base_mint: Pubkey,
    quote_mint: Pubkey,
    base_decimals: int,
    quote_decimals: int,
    base_vault: Pubkey,
    quote_vault: Pubkey,
    collect_fee_admin: Pubkey,
    args: CreateMarketArgs,
    registration_time: int,
    oracle_a: Pubkey | None = None,
    oracle_b: Pubkey | None = None,
    open_orders_admin: Pubkey | None = None,
    consume_events_admin: Pubkey | None = None,
    close_market_admin: Pubkey | None = None,
    program_id: Pubkey = OPENBOOK_PROGRAM_ID,
) -> Market:
    """Return the Market ``create_market`` writes: counters zero, ``registration_time`` now.

    The f32 ``conf_filter`` is widened to f64; no staleness limit is stored as -1.
    """
    authority, bump = market_authority_with_bump(market, program_id)
    staleness = args.oracle_config.max_staleness_slots
    return Market(
        bump=bump,
        base_decimals=base_decimals,
        quote_decimals=quote_decimals,
        market_authority=authority,
        time_expiry=args.time_expiry,
        collect_fee_admin=collect_fee_admin,
        open_orders_admin=open_orders_admin,
        consume_events_admin=consume_events_admin,
        close_market_admin=close_market_admin,
        name=args.name,
        bids=bids,
        asks=asks,
        event_heap=event_heap,
        oracle_a=oracle_a,
        oracle_b=oracle_b,
        oracle_config=OracleConfig(
            f32(args.oracle_config.conf_filter), -1 if staleness is None else staleness
        ),
        quote_lot_size=args.quote_lot_size,
        base_lot_size=args.base_lot_size,
        seq_num=0,
        registration_time=registration_time,
        maker_fee=args.maker_fee,
        taker_fee=args.taker_fee,
        fees_accrued=0,
        fees_to_referrers=0,
        referrer_rebates_accrued=0,
        fees_available=0,
        maker_volume=0,
        taker_volume_wo_oo=0,
        base_mint=base_mint,
        quote_mint=quote_mint,
        market_base_vault=base_vault,
        base_deposit_total=0,
        market_quote_vault=quote_vault,
        quote_deposit_total=0,
    )
