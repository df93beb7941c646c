"""End to end: ``bmvbot run --api`` trades and serves the API; a token reads ``/api/stats``.

The console script runs as a subprocess (simulated time 20x, no database) with the security
settings in its environment; the test logs in over HTTP, reads the stats, pauses the bot, then
stops it with SIGINT and checks the clean exit and that no secret reached its output.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bmvbot.api.security import hash_password

PASSWORD = "e2e password 0123456789"  # noqa: S105 -- a test value
JWT_SECRET = "e2e-jwt-secret-" + "0123456789" * 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"bmvbot run --api did not answer at {url}")


def _stats_after_first_rebalance(url: str, headers: dict[str, str]) -> dict[str, object]:
    # poll (not sleep): the first rebalance lands after a few simulated seconds
    deadline = time.monotonic() + 60
    while True:
        stats: dict[str, object] = httpx.get(f"{url}/api/stats", headers=headers).json()
        if stats["rebalances"] or time.monotonic() > deadline:
            return stats
        time.sleep(0.2)


def test_run_api_serves_stats_with_a_token_and_stops_cleanly() -> None:
    port = _free_port()
    env = {
        **os.environ,
        "BMVBOT_API__PORT": str(port),
        "BMVBOT_JWT_SECRET": JWT_SECRET,
        "BMVBOT_DASHBOARD_USER": "operator",
        "BMVBOT_DASHBOARD_PASSWORD_HASH": hash_password(PASSWORD),
    }
    bmvbot = str(Path(sys.executable).with_name("bmvbot"))
    process = subprocess.Popen(  # noqa: S603 -- our own console script
        [bmvbot, "run", "--api", "--no-db", "--speed", "20", "--duration", "3600",
         "--view", "none", "--seed", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        anonymous = httpx.get(f"{url}/api/stats")
        login = httpx.post(f"{url}/login", json={"username": "operator", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        stats = _stats_after_first_rebalance(url, headers)
        paused = httpx.post(f"{url}/api/control", json={"action": "pause"}, headers=headers)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)

    assert anonymous.status_code == 401
    assert isinstance(stats["rebalances"], int)
    assert stats["rebalances"] >= 1
    assert isinstance(stats["resting_orders"], int)
    assert stats["resting_orders"] > 0
    assert stats["trading_state"] in ("running", "repairing")
    assert paused.json()["is_paused"] is True
    assert process.returncode == 0
    assert "summary:" in out
    for secret in (PASSWORD, JWT_SECRET, login.json()["access_token"]):
        assert secret not in out + err
