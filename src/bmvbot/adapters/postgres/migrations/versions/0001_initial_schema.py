"""Initial schema: trades, price and latency history, wallets, rebalances, config, bot state.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)


def _create_trades() -> None:
    op.create_table(
        "trades_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("market", sa.Text, nullable=False),
        sa.Column("wallet", sa.Text, nullable=True),
        sa.Column("side", sa.SmallInteger, nullable=False),
        sa.Column("price_lots", sa.BigInteger, nullable=False),
        sa.Column("size_base_lots", sa.BigInteger, nullable=False),
        sa.Column("base_native", sa.BigInteger, nullable=False),
        sa.Column("quote_native", sa.BigInteger, nullable=False),
        sa.Column("fee_quote_native", sa.BigInteger, nullable=False),
        sa.Column("is_maker", sa.Boolean, nullable=False),
        sa.Column("tx_signature", sa.Text, nullable=False),
        sa.Column("event_seq", sa.BigInteger, nullable=False),
        sa.Column("ts", _TS, nullable=False),
        # the deduplication key is the primary key; ``id`` (identity, unique by construction)
        # orders rows stored at the same time, through the (ts, id) index
        sa.PrimaryKeyConstraint(
            "market", "tx_signature", "event_seq", name="trades_history_trade_key"
        ),
        sa.CheckConstraint("side IN (0, 1)", name="trades_history_side"),
        sa.CheckConstraint("price_lots > 0 AND size_base_lots > 0", name="trades_history_positive"),
    )
    op.create_index("trades_history_ts_id", "trades_history", ["ts", "id"])
    op.create_table(
        "price_history",
        sa.Column("market", sa.Text, primary_key=True),
        sa.Column("minute_start", _TS, primary_key=True),
        sa.Column("open_price_lots", sa.BigInteger, nullable=False),
        sa.Column("high_price_lots", sa.BigInteger, nullable=False),
        sa.Column("low_price_lots", sa.BigInteger, nullable=False),
        sa.Column("close_price_lots", sa.BigInteger, nullable=False),
        sa.Column("open_ts", _TS, nullable=False),
        sa.Column("close_ts", _TS, nullable=False),
        sa.Column("volume_base_lots", sa.Numeric(38, 0), nullable=False),
        sa.Column("quote_volume_lots", sa.Numeric(38, 0), nullable=False),
        sa.Column("trade_count", sa.BigInteger, nullable=False),
    )


def _create_journals() -> None:
    op.create_table(
        "latency_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("component", sa.Text, nullable=False),
        sa.Column("operation", sa.Text, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("is_ok", sa.Boolean, nullable=False),
    )
    op.create_index("latency_history_component_ts", "latency_history", ["component", "ts"])
    op.create_table(
        "rebalances",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("market", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("pivot_price_lots", sa.Float, nullable=False),
        sa.Column("target_grid", postgresql.JSONB, nullable=False),
        sa.Column("bundle_ids", postgresql.JSONB, nullable=False),
        sa.Column("landing_result", sa.Text, nullable=False),
        sa.Column("tips_lamports", sa.BigInteger, nullable=False),
        sa.Column("fees_lamports", sa.BigInteger, nullable=False),
    )
    op.create_index("rebalances_market_ts", "rebalances", ["market", "ts"])
    op.create_table(
        "config_versions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("config_hash", sa.Text, nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("is_accepted", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "bot_state",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", postgresql.JSONB, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )


def _create_wallets() -> None:
    op.create_table(
        "wallets",
        sa.Column("pubkey", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, nullable=False, unique=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("disabled_at", _TS, nullable=True),
        sa.Column("secret_ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("secret_nonce", sa.LargeBinary, nullable=False),
        sa.Column("kek_id", sa.LargeBinary, nullable=False),
        sa.Column("kdf_name", sa.Text, nullable=False),
        sa.Column("kdf_salt", sa.LargeBinary, nullable=False),
        sa.Column("kdf_log2_n", sa.Integer, nullable=False),
        sa.Column("kdf_r", sa.Integer, nullable=False),
        sa.Column("kdf_p", sa.Integer, nullable=False),
    )


def upgrade() -> None:
    _create_trades()
    _create_journals()
    _create_wallets()


def downgrade() -> None:
    for table in (
        "wallets",
        "bot_state",
        "config_versions",
        "rebalances",
        "latency_history",
        "price_history",
        "trades_history",
    ):
        op.drop_table(table)
