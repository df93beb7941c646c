"""Fixtures of the exchange unit tests; the builders live in ``exchange_venue``.

The repository root goes on ``sys.path`` so that the builders import as
``tests.unit.exchange.exchange_venue``, the name mypy gives them (``explicit_package_bases``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.unit.exchange.exchange_venue import Venue

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


@pytest.fixture
def venue() -> Venue:
    from tests.unit.exchange.exchange_venue import make_venue

    return make_venue()


@pytest.fixture
def make() -> Callable[..., Venue]:
    from tests.unit.exchange.exchange_venue import make_venue

    return make_venue
