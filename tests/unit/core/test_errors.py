import pytest

from bmvbot.core.errors import (
    AuthError,
    BotError,
    ConfigError,
    FatalVenueError,
    InvalidConfigError,
    RateLimitedError,
    RejectedError,
    RetryableVenueError,
    VenueError,
)


def test_rate_limited_error_carries_retry_after_and_is_an_auth_error() -> None:
    error = RateLimitedError("too many login attempts, retry in 30 s", retry_after_s=30)

    assert error.retry_after_s == 30
    assert isinstance(error, AuthError)
    assert isinstance(error, BotError)
    assert "retry in 30 s" in str(error)


def test_config_error_names_its_key() -> None:
    error = ConfigError("grid.levels_per_side must be 1..64, was 0", key="grid.levels_per_side")

    assert error.key == "grid.levels_per_side"


@pytest.mark.parametrize("kind", [RetryableVenueError, RejectedError, FatalVenueError])
def test_venue_errors_are_sorted_under_venue_error(kind: type[VenueError]) -> None:
    assert issubclass(kind, VenueError)
    assert issubclass(kind, BotError)


def test_invalid_config_error_lists_every_error_and_keeps_a_single_key() -> None:
    first = ConfigError("grid.gamma must be 0.5..3, was 9", key="grid.gamma")
    second = ConfigError("swarm.wallet_count must be 1..64, was 0", key="swarm.wallet_count")

    both = InvalidConfigError([first, second], source="bot.toml")
    one = InvalidConfigError([first], source="bot.toml")

    assert both.errors == (first, second)
    assert both.key is None
    assert "bot.toml: 2 configuration errors" in str(both)
    assert "grid.gamma" in str(both)
    assert "swarm.wallet_count" in str(both)
    assert one.key == "grid.gamma"
    assert "1 configuration error:" in str(one)
