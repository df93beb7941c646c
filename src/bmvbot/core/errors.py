"""The whole exception tree, sorted by what the caller must do (STYLE section 7)."""

from __future__ import annotations

from collections.abc import Sequence


class BotError(Exception):
    """Root of every error bmvbot raises on purpose."""


class ConfigError(BotError):
    """Invalid configuration: stop at startup; on hot reload, reject and keep the running config.

    Attributes:
        key: the dotted configuration key, when one is to blame.
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class InvalidConfigError(ConfigError):
    """A configuration with one or more errors, every one found in one pass, reported together.

    Attributes:
        errors: each error found, in order; each names its dotted key.
        source: where the configuration came from (a file path or a description).
    """

    def __init__(self, errors: Sequence[ConfigError], *, source: str) -> None:
        noun = "error" if len(errors) == 1 else "errors"
        lines = "".join(f"\n  - {error}" for error in errors)
        super().__init__(
            f"{source}: {len(errors)} configuration {noun}:{lines}",
            key=errors[0].key if len(errors) == 1 else None,
        )
        self.errors = tuple(errors)
        self.source = source


class InvariantError(BotError):
    """Corrupt data or state (NaN price, crossed grid): crash and rebuild from chain and DB."""


class CodecError(InvariantError):
    """Bytes or values that do not fit an on-chain layout.

    Truncated or foreign account data, an unknown discriminator, an integer outside its field's
    range. Raised by the OpenBook codec; the message names the field, the value and what fits.
    """


class VenueError(BotError):
    """A venue (exchange, chain, bundle relay) failed."""


class RetryableVenueError(VenueError):
    """Timeout, rate limit, expired blockhash, bundle not landed: reconcile, then retry."""


class RejectedError(VenueError):
    """Order or bundle refused: never resubmit the same payload unchanged."""


class FatalVenueError(VenueError):
    """Bad key, missing account, insufficient funds: stop trading and alert."""


class FeedError(BotError):
    """An external price or volume feed failed."""


class RetryableFeedError(FeedError):
    """A feed timed out or was rate limited: use the last value until it is stale, then retry."""


class StoreError(BotError):
    """The persistent store failed."""


class RetryableStoreError(StoreError):
    """The store is unreachable for now: buffer and retry."""


class FatalStoreError(StoreError):
    """The store is corrupt, misconfigured or refuses our data: stop and alert."""


class AuthError(BotError):
    """Authentication or authorization failed (API)."""


class ForbiddenError(AuthError):
    """Authenticated, but the token does not allow this action (API: 403)."""


class RateLimitedError(AuthError):
    """Too many attempts (login rate limit or lockout): wait ``retry_after_s`` (API: 429).

    Attributes:
        retry_after_s: whole seconds until a new attempt can succeed.
    """

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
