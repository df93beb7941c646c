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


def to_datetime_ceil(ts_ns: int) -> datetime:
    """Return the UTC datetime of ``ts_ns`` rounded up to the microsecond.

    For bounds ``ts >= start`` and ``ts < end``: a stored (floored) time ``t`` satisfies
    ``t >= start_ns`` exactly when ``t >= ceil(start_ns)``, and ``t < end_ns`` when
    ``t < ceil(end_ns)``.
    """
    return EPOCH + timedelta(microseconds=-(-ts_ns // 1_000))
