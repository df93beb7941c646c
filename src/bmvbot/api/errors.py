"""One error handler: the core error tree, validation and HTTP errors -> ``{error, detail}``.

Status codes: ``ConfigError`` 422 (a request value the configuration rules refuse),
``AuthError`` 401 (with ``WWW-Authenticate: Bearer``), ``ForbiddenError`` 403,
``RateLimitedError`` 429 (with ``Retry-After``), retryable venue/store/feed errors 503,
``RejectedError`` 409, other venue, feed or store errors 502/503, ``InvariantError`` and
anything unexpected 500 with a fixed sentence (the error's type is logged; its text and
traceback are neither logged nor echoed). Validation errors are
422 with the field paths and rules but never the submitted values (a password may be one);
a body that is not JSON is 400.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bmvbot.core.errors import (
    AuthError,
    BotError,
    ConfigError,
    FeedError,
    ForbiddenError,
    InvariantError,
    RateLimitedError,
    RejectedError,
    RetryableFeedError,
    RetryableStoreError,
    RetryableVenueError,
    StoreError,
    VenueError,
)

_log = logging.getLogger("bmvbot.api")

# most specific first: the first matching class decides
_STATUS: tuple[tuple[type[BotError], int, str], ...] = (
    (ForbiddenError, 403, "forbidden"),
    (RateLimitedError, 429, "rate_limited"),
    (AuthError, 401, "unauthorized"),
    (ConfigError, 422, "config_error"),
    (RetryableVenueError, 503, "venue_unavailable"),
    (RejectedError, 409, "venue_rejected"),
    (VenueError, 502, "venue_error"),
    (RetryableFeedError, 503, "feed_unavailable"),
    (FeedError, 502, "feed_error"),
    (RetryableStoreError, 503, "store_unavailable"),
    (StoreError, 503, "store_error"),
)
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}
INTERNAL_DETAIL = "internal error; the server log has the details"


def error_body(code: str, detail: str) -> dict[str, str]:
    """Return the JSON body of an error."""
    return {"error": code, "detail": detail}


def status_of(error: BotError) -> tuple[int, str]:
    """Return the HTTP status and error code of a core error."""
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            return status, code
    return 500, "internal_error"


async def on_bot_error(request: Request, error: Exception) -> JSONResponse:
    """Map a core error to its status code and body."""
    assert isinstance(error, BotError)  # noqa: S101 -- registered for BotError only
    status, code = status_of(error)
    headers: dict[str, str] = {}
    if isinstance(error, RateLimitedError):
        headers["Retry-After"] = str(error.retry_after_s)
    elif isinstance(error, AuthError) and status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status >= 500:
        _log.error(
            "request failed",
            extra={"path": request.url.path, "error_type": type(error).__name__},
        )
    detail = INTERNAL_DETAIL if isinstance(error, InvariantError) or status == 500 else str(error)
    return JSONResponse(error_body(code, detail), status_code=status, headers=headers)


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
    """Answer 422 (400 for a body that is not JSON) naming each field and rule, no values."""
    assert isinstance(error, RequestValidationError)  # noqa: S101 -- registered for it only
    problems = list(error.errors())
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return JSONResponse(
            error_body("malformed_json", "the request body is not valid JSON"), status_code=400
        )
    detail = "; ".join(
        f"{_location(tuple(problem.get('loc', ())))}: {problem.get('msg', 'invalid')}"
        for problem in problems[:20]
    )
    return JSONResponse(error_body("invalid_request", detail), status_code=422)


async def on_http_error(request: Request, error: Exception) -> JSONResponse:
    """Give framework HTTP errors (404, 405, ...) the same body shape."""
    assert isinstance(error, StarletteHTTPException)  # noqa: S101 -- registered for it only
    code = _HTTP_CODES.get(error.status_code, "http_error")
    detail = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
    return JSONResponse(
        error_body(code, detail), status_code=error.status_code, headers=error.headers
    )


class InternalErrorMiddleware:
    """Answer an unexpected exception with 500 ``internal_error`` and stop it there.

    The request's supervisor: the error's type is logged, never its text or traceback (the
    framework's own last-resort handler would log the traceback and re-raise).
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; turn an escaping exception into a 500 (if nothing was sent yet)."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        has_started = False

        async def tracked(message: Message) -> None:
            nonlocal has_started
            has_started = has_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, tracked)
        except Exception as error:  # noqa: BLE001 -- the request's supervisor
            _log.error(
                "unexpected error",
                extra={"path": scope.get("path", ""), "error_type": type(error).__name__},
            )
            if not has_started:
                response = JSONResponse(error_body("internal_error", INTERNAL_DETAIL), 500)
                await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers and the last-resort middleware on ``app``."""
    app.add_exception_handler(BotError, on_bot_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_middleware(InternalErrorMiddleware)
