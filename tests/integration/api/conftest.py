"""Fixtures of the API tests (helpers in ``api_harness``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from tests.integration.api.api_harness import PASSWORD, Harness, client_of, make_context

from bmvbot.api.security import hash_password


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest_asyncio.fixture
async def harness(password_hash: str) -> AsyncIterator[Harness]:
    context = await make_context(password_hash)
    async with client_of(context) as client:
        yield Harness(context, client)
