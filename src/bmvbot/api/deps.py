"""Dependencies of the routes, as ``Annotated`` aliases: the context, the user, the running bot.

``Context`` is the ``ApiContext`` the app was created with (``app.state.context``);
``CurrentUser`` checks ``Authorization: Bearer <JWT>`` (401 when missing or invalid);
``Controller`` also needs the ``control`` scope (403 without); ``Bot`` is the running bot
(503 when none runs in this process).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bmvbot.api.context import ApiContext, BotHandle
from bmvbot.api.security import SCOPE_CONTROL, SCOPE_READ, Principal
from bmvbot.core.errors import AuthError, RetryableVenueError

_bearer = HTTPBearer(auto_error=False, description="A token from POST /login.")


async def get_context(request: Request) -> ApiContext:
    """Return the app's context."""
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_user(context: Context, credentials: Credentials) -> Principal:
    """Return the principal of the bearer token (``read`` scope required).

    Raises:
        AuthError: no bearer token, or an invalid one.
        ForbiddenError: the token lacks the ``read`` scope.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("missing bearer token; log in at POST /login")
    principal = context.tokens.verify(credentials.credentials)
    principal.require(SCOPE_READ)
    return principal


CurrentUser = Annotated[Principal, Depends(get_user)]


async def get_controller(user: CurrentUser) -> Principal:
    """Return the principal when its token allows control (pause, resume, cancel, simulate)."""
    user.require(SCOPE_CONTROL)
    return user


Controller = Annotated[Principal, Depends(get_controller)]


async def get_bot(context: Context) -> BotHandle:
    """Return the running bot.

    Raises:
        RetryableVenueError: no bot runs in this process (503).
    """
    if context.bot is None:
        raise RetryableVenueError("no trading service runs in this process")
    return context.bot


Bot = Annotated[BotHandle, Depends(get_bot)]
