"""``GET /`` and ``GET /static/{name}``: the dashboard, plain HTML, CSS and JavaScript.

The page and its files ship as package data in ``bmvbot/api/static`` (no CDN, no Node): the
page logs in with ``POST /login``, keeps the token in the tab's ``sessionStorage`` and reads
the ``/api/`` routes with ``Authorization: Bearer``; the live numbers come from
``/api/stream`` read with ``fetch`` (``EventSource`` cannot send the header). Only the files
present at start-up are served, by exact name, so no path reaches outside the folder. Every
response carries a strict Content-Security-Policy (same origin only, no inline script).
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from bmvbot import bootstrap

router = APIRouter(include_in_schema=False)

STATIC_PACKAGE = "bmvbot.api"
STATIC_DIR = "static"
INDEX_NAME = "index.html"
SCENARIO_MARK = "<!--SCENARIO_OPTIONS-->"
DEFAULT_LAB_SCENARIO = "flash_crash"
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def static_files() -> dict[str, bytes]:
    """Return the dashboard's files by name (read once from the package data)."""
    folder = resources.files(STATIC_PACKAGE).joinpath(STATIC_DIR)
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.is_file() and entry.name != INDEX_NAME and _suffix(entry.name) in MEDIA_TYPES
    }


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


@cache
def index_html() -> str:
    """Return the page, with the Simulation Lab's scenario choices filled in."""
    page = resources.files(STATIC_PACKAGE).joinpath(STATIC_DIR, INDEX_NAME).read_text("utf-8")
    options = "".join(
        f'<option value="{html.escape(name)}"'
        f"{' selected' if name == DEFAULT_LAB_SCENARIO else ''}>{html.escape(name)}</option>"
        for name in bootstrap.scenario_names()
    )
    return page.replace(SCENARIO_MARK, options)


@router.get("/", response_class=HTMLResponse)
async def dashboard() -> HTMLResponse:
    """Return the dashboard page (public: it holds no data; the data needs a token)."""
    return HTMLResponse(index_html(), headers=SECURITY_HEADERS)


@router.get("/static/{name}")
async def static_file(name: Annotated[str, Path(min_length=1, max_length=64)]) -> Response:
    """Return one of the dashboard's files by its exact name (404 for any other name)."""
    content = static_files().get(name)
    if content is None:
        raise HTTPException(404, f"no dashboard file {name[:64]!r}")
    return Response(content, media_type=MEDIA_TYPES[_suffix(name)], headers=SECURITY_HEADERS)
