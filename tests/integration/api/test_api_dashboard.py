"""The dashboard's files through the ASGI app: the page, its assets, nothing else, no CDN."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from importlib import resources

import httpx
import pytest
import pytest_asyncio

from bmvbot import bootstrap
from bmvbot.api.app import create_app
from bmvbot.api.context import api_context
from bmvbot.api.routes.dashboard import SCENARIO_MARK, SECURITY_HEADERS
from bmvbot.settings import load_settings

STATIC = resources.files("bmvbot.api").joinpath("static")
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')
IMPORT = re.compile(r'from "\./([^"]+)"')
EXTERNAL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    env = {"BMVBOT_JWT_SECRET": "dashboard-test-" + "k" * 32}
    app = create_app(api_context(load_settings(None, env={}), env))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.mark.asyncio
async def test_dashboard_page_is_public_html_with_strict_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert 'id="login-form"' in response.text


@pytest.mark.asyncio
async def test_dashboard_page_lists_every_scenario_in_the_lab_form(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text

    options = re.findall(r'<option value="([a-z_]+)"( selected)?>', page)
    assert [name for name, _ in options] == list(bootstrap.scenario_names())
    assert [name for name, selected in options if selected] == ["flash_crash"]
    assert SCENARIO_MARK not in page


@pytest.mark.asyncio
async def test_dashboard_every_referenced_asset_and_module_is_served(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text
    assets = ASSET.findall(page)
    modules = {
        f"/static/{name}"
        for entry in STATIC.iterdir()
        if entry.name.endswith(".js")
        for name in IMPORT.findall(entry.read_text())
    }

    assert {"/static/dashboard.js", "/static/dashboard.css"} <= set(assets)
    assert modules >= {"/static/api.js", "/static/plot.js", "/static/units.js", "/static/lab.js"}
    for path in [*assets, *sorted(modules)]:
        response = await client.get(path)
        assert response.status_code == 200, path
        kind = "text/css" if path.endswith(".css") else "text/javascript"
        assert response.headers["content-type"].startswith(kind)
        assert response.content == STATIC.joinpath(path.removeprefix("/static/")).read_bytes()


def test_dashboard_files_load_nothing_from_another_origin() -> None:
    for entry in STATIC.iterdir():
        text = entry.read_text()

        assert EXTERNAL.findall(text) == [], entry.name
        assert "<script>" not in text  # the policy forbids inline script


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path",
    [
        "/static/missing.js",
        "/static/index.html",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2f__init__.py",
        "/static/../app.py",
    ],
)
async def test_dashboard_other_paths_are_404_with_the_error_shape(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert set(response.json()) == {"error", "detail"}


@pytest.mark.asyncio
async def test_dashboard_routes_stay_out_of_the_api_and_its_schema(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    stats = await client.get("/api/stats")

    assert "/" not in schema["paths"]
    assert not any(path.startswith("/static") for path in schema["paths"])
    assert stats.status_code == 401
