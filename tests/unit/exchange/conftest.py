"""Fixtures of the exchange unit tests (builders live in ``exchange_venue``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from exchange_venue import Venue, make_venue


@pytest.fixture
def venue() -> Venue:
    return make_venue()


@pytest.fixture
def make() -> Callable[..., Venue]:
    return make_venue
