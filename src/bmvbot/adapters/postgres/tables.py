"""SQLAlchemy Core tables of the store; the Alembic migrations create exactly these.

Money and sizes are ``bigint`` (native units and lots); sums that can outgrow 64 bits are
``numeric(38, 0)``. Times are ``timestamptz`` (microseconds).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

trades_history = Table(
    "trades_history",
    metadata,
    Column("id", BigInteger, Identity(), nullable=False),
    Column("market", Text, nullable=False),
    Column("wallet", Text, nullable=True),
    Column("side", SmallInteger, nullable=False),
    Column("price_lots", BigInteger, nullable=False),
    Column("size_base_lots", BigInteger, nullable=False),
    Column("base_native", BigInteger, nullable=False),
    Column("quote_native", BigInteger, nullable=False),
    Column("fee_quote_native", BigInteger, nullable=False),
    Column("is_maker", Boolean, nullable=False),
    Column("tx_signature", Text, nullable=False),
    Column("event_seq", BigInteger, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("market", "tx_signature", "event_seq", name="trades_history_trade_key"),
    Index("trades_history_ts_id", "ts", "id"),
)

price_history = Table(
    "price_history",
    metadata,
    Column("market", Text, primary_key=True),
    Column("minute_start", DateTime(timezone=True), primary_key=True),
    Column("open_price_lots", BigInteger, nullable=False),
    Column("high_price_lots", BigInteger, nullable=False),
    Column("low_price_lots", BigInteger, nullable=False),
    Column("close_price_lots", BigInteger, nullable=False),
    Column("open_ts", DateTime(timezone=True), nullable=False),
    Column("close_ts", DateTime(timezone=True), nullable=False),
    Column("volume_base_lots", Numeric(38, 0), nullable=False),
    Column("quote_volume_lots", Numeric(38, 0), nullable=False),
    Column("trade_count", BigInteger, nullable=False),
)

latency_history = Table(
    "latency_history",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("component", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("is_ok", Boolean, nullable=False),
    Index("latency_history_component_ts", "component", "ts"),
)

wallets = Table(
    "wallets",
    metadata,
    Column("pubkey", Text, primary_key=True),
    Column("label", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("secret_ciphertext", LargeBinary, nullable=False),
    Column("secret_nonce", LargeBinary, nullable=False),
    Column("kek_id", LargeBinary, nullable=False),
    Column("kdf_name", Text, nullable=False),
    Column("kdf_salt", LargeBinary, nullable=False),
    Column("kdf_log2_n", Integer, nullable=False),
    Column("kdf_r", Integer, nullable=False),
    Column("kdf_p", Integer, nullable=False),
)

rebalances = Table(
    "rebalances",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("market", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("pivot_price_lots", Float, nullable=False),
    Column("target_grid", JSONB, nullable=False),
    Column("bundle_ids", JSONB, nullable=False),
    Column("landing_result", Text, nullable=False),
    Column("tips_lamports", BigInteger, nullable=False),
    Column("fees_lamports", BigInteger, nullable=False),
    Index("rebalances_market_ts", "market", "ts"),
)

config_versions = Table(
    "config_versions",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("config_hash", Text, nullable=False),
    Column("diff", Text, nullable=False),
    Column("is_accepted", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
)

bot_state = Table(
    "bot_state",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
