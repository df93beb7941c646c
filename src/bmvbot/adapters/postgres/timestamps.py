"""Conversion between core ``ts_ns`` integers and the tz-aware datetimes PostgreSQL stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_datetime(ts_ns: int) -> datetime:
    """Return the UTC datetime of ``ts_ns``, floored to the microsecond."""
    return EPOCH + timedelta(microseconds=ts_ns // 1_000)


def to_ns(moment: datetime) -> int:
    """Return the UTC nanoseconds of a tz-aware ``moment``."""
    return (moment - EPOCH) // _MICROSECOND * 1_000
