"""The FastAPI application: ``create_app(context)`` wires routers, errors, CORS and docs.

Everything a route needs comes from the ``ApiContext`` stored on ``app.state``; there are no
module globals. CORS is closed unless ``[api] cors_origins`` lists origins; the OpenAPI
document is at ``/openapi.json``. FastAPI's ``/docs`` and ``/redoc`` pages are off: they load
their scripts from a CDN.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bmvbot import __version__
from bmvbot.api.context import ApiContext
from bmvbot.api.errors import install_error_handlers
from bmvbot.api.routes import (
    auth,
    control,
    dashboard,
    health,
    market,
    metrics,
    simulation,
    stats,
    stream,
    wallets,
)

DESCRIPTION = (
    "Watch and steer bmvbot. Log in with POST /login, then send "
    "`Authorization: Bearer <token>` to every /api/ route. Prices are in ticks "
    "(`*_price_lots`), amounts in native units; errors are `{error, detail}`."
)


def create_app(context: ApiContext) -> FastAPI:
    """Return the API app serving ``context``."""
    app = FastAPI(
        title="bmvbot API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    install_error_handlers(app)
    origins = list(context.settings.api.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            allow_credentials=False,
        )
    for module in (health, auth, stats, market, wallets, control, stream, simulation, metrics):
        app.include_router(module.router)
    app.include_router(dashboard.router)  # GET / and /static/*: the dashboard page
    return app
