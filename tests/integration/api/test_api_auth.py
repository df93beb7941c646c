"""Login, token checks, scopes, rate limit and lockout, and the security settings."""

from __future__ import annotations

import logging
from collections.abc import Callable

import jwt
import pytest
from pydantic import SecretStr
from tests.integration.api.api_harness import (
    JWT_SECRET,
    PASSWORD,
    USER,
    Harness,
    client_of,
    make_context,
)

from bmvbot import bootstrap
from bmvbot.api.security import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    AuthSettings,
    LoginLimiter,
    PasswordChecker,
    TokenIssuer,
)
from bmvbot.core.errors import AuthError, ConfigError, RateLimitedError


def _now_s() -> int:
    return bootstrap.system_clock().now_ns() // 1_000_000_000


def _claims(**changes: object) -> dict[str, object]:
    now = _now_s()
    claims: dict[str, object] = {
        "sub": USER, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300,
        "scope": "read control",
    }  # fmt: skip
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _token(secret: str = JWT_SECRET, algorithm: str = ALGORITHM, **changes: object) -> str:
    return jwt.encode(_claims(**changes), secret, algorithm=algorithm)


@pytest.mark.asyncio
async def test_api_login_valid_password_returns_working_token(harness: Harness) -> None:
    response = await harness.client.post("/login", json={"username": USER, "password": PASSWORD})

    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"  # noqa: S105 -- the scheme
    assert body["expires_in"] == 900
    stats = await harness.client.get("/api/stats", headers=harness.headers(body["access_token"]))
    assert stats.status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("username", "password"), [(USER, "wrong password"), ("nobody", PASSWORD), ("nobody", "x")]
)
async def test_api_login_bad_credentials_returns_401(
    harness: Harness, username: str, password: str
) -> None:
    response = await harness.client.post(
        "/login", json={"username": username, "password": password}
    )

    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "detail": "invalid user name or password"}


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "expired": lambda: _token(iat=_now_s() - 3600, exp=_now_s() - 60),
    "wrong_signature": lambda: _token(secret="another-secret-" + "0123456789" * 7),
    "alg_none": lambda: jwt.encode(_claims(), "", algorithm="none"),
    "hs512": lambda: _token(algorithm="HS512"),
    "wrong_audience": lambda: _token(aud="someone-else"),
    "wrong_issuer": lambda: _token(iss="someone-else"),
    "no_exp": lambda: _token(exp=None),
    "no_iat": lambda: _token(iat=None),
    "not_a_jwt": lambda: "not.a.jwt",
    "garbage": lambda: "x" * 300,
}


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_api_stats_bad_token_returns_401(harness: Harness, kind: str) -> None:
    response = await harness.client.get("/api/stats", headers=harness.headers(BAD_TOKENS[kind]()))

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.asyncio
@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwdw==", "Bearer", "Bearer "])
async def test_api_stats_missing_bearer_returns_401(harness: Harness, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}

    response = await harness.client.get("/api/stats", headers=headers)

    assert response.status_code == 401
    assert set(response.json()) == {"error", "detail"}


@pytest.mark.asyncio
async def test_api_control_read_only_token_returns_403(harness: Harness) -> None:
    token = harness.context.tokens.issue(USER, scopes=("read",))

    control = await harness.client.post(
        "/api/control", json={"action": "pause"}, headers=harness.headers(token)
    )
    stats = await harness.client.get("/api/stats", headers=harness.headers(token))

    assert control.status_code == 403
    assert control.json()["error"] == "forbidden"
    assert stats.status_code == 200
    assert harness.context.bot is not None
    assert not harness.context.bot.service.is_paused


@pytest.mark.asyncio
async def test_api_stats_token_without_read_scope_returns_403(harness: Harness) -> None:
    token = _token(scope="")

    response = await harness.client.get("/api/stats", headers=harness.headers(token))

    assert response.status_code == 403


@pytest.mark.asyncio
async def test_api_login_repeated_failures_lock_out_even_the_right_password(
    password_hash: str,
) -> None:
    context = await make_context(password_hash, max_failures=3, lockout_s=600)
    async with client_of(context) as client:
        statuses = [
            (await client.post("/login", json={"username": USER, "password": "bad"})).status_code
            for _ in range(3)
        ]
        locked = await client.post("/login", json={"username": USER, "password": PASSWORD})

    assert statuses == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.json()["error"] == "rate_limited"
    assert 0 < int(locked.headers["retry-after"]) <= 600


@pytest.mark.asyncio
async def test_api_login_over_window_rate_returns_429(password_hash: str) -> None:
    context = await make_context(password_hash, max_attempts_per_window=2, max_failures=100)
    async with client_of(context) as client:
        first = [
            (await client.post("/login", json={"username": f"u{i}", "password": "x"})).status_code
            for i in range(2)
        ]
        third = await client.post("/login", json={"username": "u9", "password": "x"})

    assert first == [401, 401]
    assert third.status_code == 429  # per client address, whatever the user name


def test_login_limiter_window_slides_and_lockout_expires() -> None:
    now = [1000.0]
    settings = AuthSettings(
        jwt_secret=_secret(), max_failures=2, lockout_s=60, window_s=10, max_attempts_per_window=3
    )
    limiter = LoginLimiter(settings, now_s=lambda: now[0])
    for _ in range(3):
        limiter.check("1.2.3.4", "alice")
    with pytest.raises(RateLimitedError):
        limiter.check("1.2.3.4", "alice")
    now[0] += 10.5
    limiter.check("1.2.3.4", "alice")
    limiter.on_failure("1.2.3.4", "alice")
    limiter.on_failure("1.2.3.4", "alice")
    with pytest.raises(RateLimitedError) as locked:
        limiter.check("5.6.7.8", "alice")  # the user is locked from any address
    assert locked.value.retry_after_s == 60
    now[0] += 61
    limiter.check("5.6.7.8", "alice")


def test_login_limiter_success_clears_failures() -> None:
    settings = AuthSettings(jwt_secret=_secret(), max_failures=2, max_attempts_per_window=100)
    limiter = LoginLimiter(settings, now_s=lambda: 0.0)
    limiter.on_failure("ip", "bob")
    limiter.on_success("ip", "bob")
    limiter.on_failure("ip", "bob")

    limiter.check("ip", "bob")


def _secret() -> SecretStr:
    return SecretStr(JWT_SECRET)


@pytest.mark.parametrize("secret", ["", "short-secret"])
def test_auth_settings_live_mode_weak_or_missing_secret_refused(secret: str) -> None:
    with pytest.raises(ConfigError) as error:
        AuthSettings.from_env({"BMVBOT_JWT_SECRET": secret}, is_live=True)

    assert error.value.key == "BMVBOT_JWT_SECRET"
    assert "short-secret" not in str(error.value)


def test_auth_settings_paper_mode_missing_secret_generates_one_with_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        first = AuthSettings.from_env({}, is_live=False)
        second = AuthSettings.from_env({}, is_live=False)

    assert first.is_secret_generated
    assert first.jwt_secret.get_secret_value() != second.jwt_secret.get_secret_value()
    assert len(first.jwt_secret.get_secret_value()) >= 32
    assert "random per-process secret" in caplog.text
    assert first.jwt_secret.get_secret_value() not in caplog.text


def test_auth_settings_from_env_reads_every_variable(password_hash: str) -> None:
    env = {
        "BMVBOT_JWT_SECRET": JWT_SECRET,
        "BMVBOT_DASHBOARD_USER": USER,
        "BMVBOT_DASHBOARD_PASSWORD_HASH": password_hash,
        "BMVBOT_JWT_EXPIRY_S": "300",
        "BMVBOT_LOGIN_MAX_FAILURES": "7",
        "BMVBOT_LOGIN_LOCKOUT_S": "120",
    }

    settings = AuthSettings.from_env(env, is_live=True)

    assert (settings.token_expiry_s, settings.max_failures, settings.lockout_s) == (300, 7, 120)
    assert PasswordChecker(settings).verify(USER, PASSWORD)
    assert not settings.is_secret_generated


@pytest.mark.parametrize(
    ("name", "value"), [("BMVBOT_JWT_EXPIRY_S", "soon"), ("BMVBOT_JWT_EXPIRY_S", "5")]
)
def test_auth_settings_bad_number_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        AuthSettings.from_env({"BMVBOT_JWT_SECRET": JWT_SECRET, name: value}, is_live=False)

    assert error.value.key == name


def test_password_checker_not_argon2id_hash_disables_login() -> None:
    settings = AuthSettings(
        jwt_secret=_secret(),
        user=USER,
        password_hash=_plain(PASSWORD),
    )

    assert not PasswordChecker(settings).verify(USER, PASSWORD)


def _plain(text: str) -> SecretStr:
    return SecretStr(text)


def test_token_issuer_token_from_other_issuer_secret_refused() -> None:
    mine = TokenIssuer(AuthSettings(jwt_secret=_secret()), bootstrap.system_clock())
    token = _token(secret="x" * 40)

    with pytest.raises(AuthError):
        mine.verify(token)
