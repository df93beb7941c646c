"""API security (spec 6.2): JWT access tokens, Argon2id passwords, login rate limit and lockout.

Settings come from the environment: ``BMVBOT_JWT_SECRET`` (HS256 key, at least 32 bytes;
required in live mode, a random per-process key with a warning otherwise),
``BMVBOT_DASHBOARD_USER`` and ``BMVBOT_DASHBOARD_PASSWORD_HASH`` (an Argon2id hash made by
``bmvbot auth hash-password``), and the optional ``BMVBOT_JWT_EXPIRY_S`` (900),
``BMVBOT_LOGIN_MAX_FAILURES`` (5) and ``BMVBOT_LOGIN_LOCKOUT_S`` (900). Tokens pin HS256 and
require ``exp``, ``iat``, ``iss``, ``aud`` and ``sub``; anything else is a 401.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import SecretStr

from bmvbot.core.errors import AuthError, ConfigError, ForbiddenError, RateLimitedError
from bmvbot.ports.clock import Clock

_log = logging.getLogger("bmvbot.api.security")

ALGORITHM = "HS256"
"""The only signing algorithm accepted (pinned: ``alg: none`` and others are refused)."""
ISSUER = "bmvbot"
AUDIENCE = "bmvbot-api"
MIN_SECRET_BYTES = 32
SCOPE_READ = "read"
SCOPE_CONTROL = "control"
ALL_SCOPES = (SCOPE_READ, SCOPE_CONTROL)
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """Security settings of the API, from the environment (see the module docstring).

    Attributes:
        jwt_secret: the HS256 key.
        user: the dashboard user name; None disables login.
        password_hash: its Argon2id hash; None disables login.
        token_expiry_s: access-token lifetime in seconds (default 900 = 15 min).
        max_failures: failed logins (per user and per client) before a lockout (default 5).
        lockout_s: lockout length in seconds (default 900).
        window_s: sliding window of the rate limit, in seconds (default 60).
        max_attempts_per_window: login attempts allowed per client and per user in a window.
        is_secret_generated: True when ``jwt_secret`` is a random per-process key.
    """

    jwt_secret: SecretStr
    user: str | None = None
    password_hash: SecretStr | None = None
    token_expiry_s: int = 900
    max_failures: int = 5
    lockout_s: int = 900
    window_s: int = 60
    max_attempts_per_window: int = 10
    is_secret_generated: bool = False

    def __post_init__(self) -> None:
        if len(self.jwt_secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"BMVBOT_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes",
                key="BMVBOT_JWT_SECRET",
            )
        for name, value, low, high in (
            ("BMVBOT_JWT_EXPIRY_S", self.token_expiry_s, 30, 86_400),
            ("BMVBOT_LOGIN_MAX_FAILURES", self.max_failures, 1, 1000),
            ("BMVBOT_LOGIN_LOCKOUT_S", self.lockout_s, 1, 86_400),
        ):
            if not low <= value <= high:
                raise ConfigError(f"{name} must be {low}..{high}, was {value}", key=name)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, is_live: bool) -> AuthSettings:
        """Return the settings from ``env``; see the module docstring for the variables.

        Raises:
            ConfigError: in live mode the secret is missing or shorter than 32 bytes; a number
                is malformed or out of range. Messages never contain the secret.
        """
        secret = env.get("BMVBOT_JWT_SECRET", "")
        is_generated = False
        if len(secret.encode()) < MIN_SECRET_BYTES:
            if is_live:
                state = "missing" if not secret else f"shorter than {MIN_SECRET_BYTES} bytes"
                raise ConfigError(
                    f"BMVBOT_JWT_SECRET is {state}; live mode needs a random secret of at least "
                    f"{MIN_SECRET_BYTES} bytes (e.g. python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')",
                    key="BMVBOT_JWT_SECRET",
                )
            _log.warning(
                "BMVBOT_JWT_SECRET missing or weak; using a random per-process secret "
                "(tokens end with the process)"
            )
            secret, is_generated = secrets.token_urlsafe(48), True
        user = env.get("BMVBOT_DASHBOARD_USER") or None
        password_hash = env.get("BMVBOT_DASHBOARD_PASSWORD_HASH") or None
        if user is None or password_hash is None:
            _log.warning("dashboard user or password hash not set; login is disabled")
        return cls(
            jwt_secret=SecretStr(secret),
            user=user,
            password_hash=None if password_hash is None else SecretStr(password_hash),
            token_expiry_s=_int_env(env, "BMVBOT_JWT_EXPIRY_S", 900),
            max_failures=_int_env(env, "BMVBOT_LOGIN_MAX_FAILURES", 5),
            lockout_s=_int_env(env, "BMVBOT_LOGIN_LOCKOUT_S", 900),
            is_secret_generated=is_generated,
        )


def _int_env(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "")
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, was {text!r}", key=name) from None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a valid token speaks for, and what it allows."""

    user: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        """Raise ``ForbiddenError`` unless the token carries ``scope``."""
        if scope not in self.scopes:
            raise ForbiddenError(f"this token does not allow {scope!r}")


class TokenIssuer:
    """Issue and check HS256 access tokens (algorithm, issuer and audience pinned)."""

    def __init__(self, settings: AuthSettings, clock: Clock) -> None:
        """Create an issuer on the wall ``clock`` (token checks use the wall clock too)."""
        self._secret = settings.jwt_secret.get_secret_value()
        self._expiry_s = settings.token_expiry_s
        self._clock = clock

    @property
    def expiry_s(self) -> int:
        """Return the token lifetime in seconds."""
        return self._expiry_s

    def issue(self, user: str, scopes: tuple[str, ...] = ALL_SCOPES) -> str:
        """Return a signed token for ``user`` carrying ``scopes``."""
        now = self._clock.now_ns() // 1_000_000_000
        claims = {
            "sub": user,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + self._expiry_s,
            "scope": " ".join(scopes),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid ``token``.

        Raises:
            AuthError: bad signature, other algorithm, expired, wrong issuer or audience, a
                required claim missing, or not a JWT at all.
        """
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired; log in again") from None
        except jwt.InvalidTokenError as error:
            raise AuthError(f"invalid token: {type(error).__name__}") from None
        scope = claims.get("scope", "")
        if not isinstance(scope, str) or not isinstance(claims["sub"], str):
            raise AuthError("invalid token: malformed claims")
        return Principal(claims["sub"], frozenset(scope.split()))


@dataclass(slots=True)
class _Attempts:
    times: deque[float] = field(default_factory=deque)
    failures: int = 0
    locked_until: float = 0.0


class LoginLimiter:
    """Sliding-window rate limit and lockout of logins, per client address and per user name.

    Every attempt counts in the window; ``max_failures`` consecutive failures lock the key for
    ``lockout_s``. A success clears the failures of both keys. Keys are bounded in number.
    """

    MAX_KEYS = 10_000

    def __init__(self, settings: AuthSettings, now_s: Callable[[], float] = time.monotonic) -> None:
        """Create a limiter; ``now_s`` is a monotonic clock in seconds."""
        self._settings = settings
        self._now_s = now_s
        self._keys: dict[str, _Attempts] = {}
        self._lock = threading.Lock()

    def check(self, client: str, user: str) -> None:
        """Record an attempt; raise ``RateLimitedError`` when a key is locked or over its rate."""
        now = self._now_s()
        with self._lock:
            for key in (f"ip:{client}", f"user:{user}"):
                attempts = self._entry(key)
                if attempts.locked_until > now:
                    raise RateLimitedError(
                        "too many failed logins; try again later",
                        retry_after_s=max(1, round(attempts.locked_until - now)),
                    )
                window_start = now - self._settings.window_s
                while attempts.times and attempts.times[0] <= window_start:
                    attempts.times.popleft()
                if len(attempts.times) >= self._settings.max_attempts_per_window:
                    retry = attempts.times[0] + self._settings.window_s - now
                    raise RateLimitedError(
                        "too many login attempts; slow down", retry_after_s=max(1, round(retry))
                    )
            for key in (f"ip:{client}", f"user:{user}"):
                self._keys[key].times.append(now)

    def on_failure(self, client: str, user: str) -> None:
        """Count a failed login; lock a key that reaches ``max_failures``."""
        now = self._now_s()
        with self._lock:
            for key in (f"ip:{client}", f"user:{user}"):
                attempts = self._entry(key)
                attempts.failures += 1
                if attempts.failures >= self._settings.max_failures:
                    attempts.locked_until = now + self._settings.lockout_s
                    attempts.failures = 0
                    _log.warning("login locked out", extra={"key_kind": key.split(":")[0]})

    def on_success(self, client: str, user: str) -> None:
        """Clear the failures of both keys."""
        with self._lock:
            for key in (f"ip:{client}", f"user:{user}"):
                self._entry(key).failures = 0

    def _entry(self, key: str) -> _Attempts:
        attempts = self._keys.get(key)
        if attempts is None:
            if len(self._keys) >= self.MAX_KEYS:
                # forget the oldest keys rather than grow without bound
                for old in list(self._keys)[: self.MAX_KEYS // 10]:
                    del self._keys[old]
            attempts = self._keys[key] = _Attempts()
        return attempts


class PasswordChecker:
    """Verify the dashboard user's password against its Argon2id hash.

    An unknown user name is checked against the same hash (and refused whatever the result),
    so the time taken does not tell whether the user exists; without a configured hash a
    dummy one made on first use takes its place.
    """

    def __init__(self, settings: AuthSettings) -> None:
        """Create a checker; a hash that is not Argon2id disables login (logged, not printed)."""
        self._hasher = PasswordHasher()
        self._user = settings.user
        self._hash = settings.password_hash
        self._dummy: str | None = None
        if self._hash is not None and not self._hash.get_secret_value().startswith("$argon2id$"):
            _log.warning("BMVBOT_DASHBOARD_PASSWORD_HASH is not an Argon2id hash; login disabled")
            self._hash = None

    def _reference(self) -> str:
        if self._hash is not None:
            return self._hash.get_secret_value()
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def verify(self, user: str, password: str) -> bool:
        """Return True when ``user`` is the dashboard user and ``password`` matches."""
        is_user = self._user is not None and secrets.compare_digest(
            user.encode(), self._user.encode()
        )
        try:
            self._hasher.verify(self._reference(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return is_user and self._hash is not None


def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password`` (argon2-cffi defaults, RFC 9106 low memory).

    Raises:
        ConfigError: the password is empty.
    """
    if not password:
        raise ConfigError("the password must not be empty", key="password")
    return PasswordHasher().hash(password)
