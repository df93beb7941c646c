"""The dashboard in real headless Chromium (Debian ``chromium`` driven by Playwright's Python API).

The API's own embedded uvicorn server (``bmvbot.api.server.start``, as ``bmvbot run --api``
uses it) on a free loopback port serves the API and the dashboard over a paper session: the
simulated market on a ``SimClock`` paced 20x faster than the wall clock, the trading loop
running on the server's event loop in a background thread. The user logs in with credentials whose
Argon2id hash is made here, sees the stats and the live chart update, pauses and resumes,
runs two Simulation Lab scenarios (one answered at once, one as a 202 job the page polls) and
sees their charts. Screenshots go to ``test-artifacts/`` (gitignored).

No browser is downloaded: Playwright launches ``/usr/bin/chromium``; without it (or without
the ``playwright`` package) the test is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from bmvbot import bootstrap
from bmvbot.api import server
from bmvbot.api.context import ApiContext, BotHandle
from bmvbot.services.simulation import run_simulation
from bmvbot.settings import load_settings

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Response

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER = "operator"
PASSWORD = "correct horse battery staple"  # noqa: S105 -- a test credential
JWT_SECRET = "browser-test-secret-" + "x" * 32
SPEED = 20.0
TIMEOUT_MS = 30_000
STARTUP_POLLS = 3000

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)"
)
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install -y chromium)"
)


@dataclass
class RunningServer:
    """The API's own embedded server over a paper session, on a background event loop."""

    url: str = ""
    context: ApiContext | None = None
    loop: asyncio.AbstractEventLoop | None = None
    stop: asyncio.Event | None = None
    failure: BaseException | None = None

    @property
    def bot(self) -> BotHandle:
        assert self.context is not None
        assert self.context.bot is not None
        return self.context.bot


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _serve(running: RunningServer, port: int, ready: threading.Event) -> None:
    # what `bmvbot run --api` does: tap the session, start uvicorn as a task, tick the loop
    settings = load_settings(None, env={})
    session = bootstrap.paper_session(settings, scenario="random_walk", seed=7, speed=SPEED)
    session, api = await server.start(
        session, settings, None, is_enabled=True, host="127.0.0.1", port=port
    )
    assert api.server is not None
    app = api.server.config.app
    assert isinstance(app, FastAPI)
    context: ApiContext = app.state.context
    context.sse_interval_s = 0.25
    # a small budget so that the longer lab run below goes through the 202 job path
    context.sync_simulation_budget_s = 0.5
    running.context, running.loop, running.stop = (
        context,
        asyncio.get_running_loop(),
        asyncio.Event(),
    )
    for _ in range(STARTUP_POLLS):  # uvicorn offers a flag, not an event
        if api.server.started:
            break
        await asyncio.sleep(0.01)
    assert api.server.started, "uvicorn did not start listening"
    running.url = f"http://127.0.0.1:{port}"
    ready.set()
    try:
        await run_simulation(
            session.service, session.clock, session.pacer, duration_ns=None, max_points=0,
            stop=running.stop,
        )  # fmt: skip
    finally:
        await session.service.shutdown()
        await api.stop()


def _thread_main(running: RunningServer, port: int, ready: threading.Event) -> None:
    try:
        asyncio.run(_serve(running, port, ready))
    except BaseException as error:  # noqa: BLE001 -- reported to the test thread
        running.failure = error
        ready.set()


@pytest.fixture
def running_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    monkeypatch.setenv("BMVBOT_JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("BMVBOT_DASHBOARD_USER", USER)
    monkeypatch.setenv("BMVBOT_DASHBOARD_PASSWORD_HASH", PasswordHasher().hash(PASSWORD))
    running = RunningServer()
    ready = threading.Event()
    thread = threading.Thread(
        target=_thread_main, args=(running, _free_port(), ready), name="api", daemon=True
    )
    thread.start()
    try:
        assert ready.wait(timeout=60), "the API server did not start"
        if running.failure is not None:
            raise running.failure
        yield running
    finally:
        if running.loop is not None and running.stop is not None:
            running.loop.call_soon_threadsafe(running.stop.set)
        thread.join(timeout=30)


@pytest.fixture
def page(running_server: RunningServer) -> Iterator[Page]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def _number_attribute(page: Page, selector: str, name: str) -> int:
    value = page.get_attribute(selector, name)
    return int(value or 0)


def test_dashboard_browser_login_live_updates_and_lab_charts(
    running_server: RunningServer, page: Page
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _on_console(message, errors))
    page.goto(running_server.url + "/")

    page.fill("#login-user", USER)
    page.fill("#login-password", "wrong password")
    page.click("#login-button")
    sync_api.expect(page.locator("#login-error")).to_contain_text("invalid")
    page.fill("#login-password", PASSWORD)
    page.click("#login-button")

    sync_api.expect(page.locator("#dashboard")).to_be_visible()
    page.wait_for_function(
        "() => Number(document.querySelector('#live-chart').dataset.points) >= 6"
        " && Number(document.querySelector('#live-chart').dataset.levels) === 32"
    )
    first_clock = page.text_content("#clock")
    first_points = _number_attribute(page, "#live-chart", "data-points")
    page.wait_for_function(
        f"() => Number(document.querySelector('#live-chart').dataset.points) > {first_points}"
    )
    second_clock = page.text_content("#clock")
    pivot = page.text_content("#stat-pivot")
    mid = page.text_content("#stat-mid")
    page.wait_for_function("() => document.querySelectorAll('#wallets-body tr').length === 16")
    page.wait_for_function("() => document.querySelectorAll('#rebalances-body tr').length >= 1")
    page.screenshot(path=str(ARTIFACTS / "dashboard_live.png"), full_page=True)
    page.check("#zoom-price")
    page.locator("#live-chart").screenshot(path=str(ARTIFACTS / "dashboard_live_zoom.png"))

    assert first_clock != second_clock
    assert _number_attribute(page, "#live-chart", "data-points") > first_points
    assert re.fullmatch(r"\d+\.\d+", pivot or "")
    assert re.fullmatch(r"\d+\.\d+", mid or "")
    assert int(page.text_content("#stat-rebalances") or "0") >= 1
    assert errors == []


def test_dashboard_browser_pause_resume_changes_trading_state(
    running_server: RunningServer, page: Page
) -> None:
    _log_in(page, running_server.url)
    badge = page.locator("#trading-state")
    sync_api.expect(badge).to_have_text("running")

    page.click("#pause-button")
    sync_api.expect(badge).to_have_text("paused")
    is_paused_after_pause = running_server.bot.service.is_paused
    page.click("#resume-button")
    sync_api.expect(badge).to_have_text("running")

    assert is_paused_after_pause
    assert not running_server.bot.service.is_paused


def test_dashboard_browser_simulation_lab_draws_both_paths(
    running_server: RunningServer, page: Page
) -> None:
    _log_in(page, running_server.url)
    status = page.locator("#lab-status")

    page.select_option("#lab-scenario", "flash_crash")
    page.fill("#lab-steps", "60")
    page.fill("#lab-seed", "3")
    with page.expect_response(_simulation_post) as quick:
        page.click("#lab-run")
    sync_api.expect(status).to_contain_text("60 steps in")
    quick_points = _number_attribute(page, "#lab-chart", "data-points")
    page.fill("#lab-steps", "400")
    with page.expect_response(_simulation_post) as job:
        page.click("#lab-run")
    sync_api.expect(status).to_contain_text("400 steps in", timeout=60_000)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays at the top of the shot
    page.screenshot(path=str(ARTIFACTS / "dashboard_lab.png"), full_page=True)

    assert quick.value.status == 200
    assert job.value.status == 202
    assert quick_points > 60
    assert _number_attribute(page, "#lab-chart", "data-points") > 400
    assert _number_attribute(page, "#lab-pnl-chart", "data-points") == 400
    fills = page.text_content("[data-metric='fills']")
    assert fills is not None
    assert int(fills.replace(",", "")) > 0


def _on_console(message: ConsoleMessage, errors: list[str]) -> None:
    # the deliberately wrong password is the one refused request the page may log
    if message.type == "error" and "status of 401" not in message.text:
        errors.append(message.text)


def _simulation_post(response: Response) -> bool:
    request = response.request
    return request.method == "POST" and request.url.endswith("/api/simulation")


def _log_in(page: Page, url: str) -> None:
    page.goto(url + "/")
    page.fill("#login-user", USER)
    page.fill("#login-password", PASSWORD)
    page.click("#login-button")
    sync_api.expect(page.locator("#dashboard")).to_be_visible()
    page.wait_for_function(
        "() => Number(document.querySelector('#live-chart').dataset.points) >= 2"
    )
