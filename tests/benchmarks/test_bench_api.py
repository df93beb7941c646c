"""Speed of the API against a real server: ``/api/stats`` under load, ``POST /api/simulation``.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_api.py --benchmark-enable -s``.

The server is ``bmvbot api --no-db`` in its own process on 127.0.0.1 (a paper session ticking
once a second, uvicorn, the real auth). The load generator is ``wrk`` when installed (Debian
package ``wrk``: ``-t1 -c32 -d10s --latency``), else an httpx async client with
``CONNECTIONS`` keep-alive connections sending ``REQUESTS`` authenticated ``GET /api/stats``
(bounded by ``MAX_LOAD_S``; the client is then the bottleneck). Requests/s, p50 and p99 go to
``extra_info`` and are printed. The simulation
benchmarks time ``POST /api/simulation`` (flash_crash, seed 1) until the result is in hand:
50 steps answer inline, 1,000 steps become a job that is polled every 50 ms.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.api.security import hash_password

BMVBOT = str(Path(sys.executable).with_name("bmvbot"))
USER = "bench"
PASSWORD = "bench password 0123456789"  # noqa: S105 -- a benchmark value
CONNECTIONS = 32
REQUESTS = 3000
MAX_LOAD_S = 30.0
START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "BMVBOT_JWT_SECRET": "bench-secret-" + "0123456789" * 5,
        "BMVBOT_DASHBOARD_USER": USER,
        "BMVBOT_DASHBOARD_PASSWORD_HASH": hash_password(PASSWORD),
        "BMVBOT_JWT_EXPIRY_S": "3600",
    }
    process = subprocess.Popen(  # noqa: S603 -- our own console script
        [BMVBOT, "api", "--host", "127.0.0.1", "--port", str(port), "--no-db"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1.0).json()["status"] == "ok":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the API at {url} did not become ready")


@pytest.fixture(scope="module")
def token(server: str) -> str:
    response = httpx.post(f"{server}/login", json={"username": USER, "password": PASSWORD})
    response.raise_for_status()
    access: str = response.json()["access_token"]
    return access


async def _load(url: str, token: str) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    remaining = [REQUESTS]
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:
        start = time.perf_counter()
        deadline = start + MAX_LOAD_S

        async def worker() -> None:
            nonlocal errors
            while remaining[0] > 0 and time.perf_counter() < deadline:
                remaining[0] -= 1
                sent = time.perf_counter()
                response = await client.get("/api/stats")
                latencies.append(time.perf_counter() - sent)
                errors += response.status_code != 200

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
        "connections": CONNECTIONS,
    }


WRK_SECONDS = 10


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


def _wrk(wrk: str, url: str, token: str) -> dict[str, object]:
    output = subprocess.run(  # noqa: S603 -- a fixed command line
        [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{WRK_SECONDS}s", "--latency",
         "-H", f"Authorization: Bearer {token}", f"{url}/api/stats"],
        capture_output=True, text=True, check=True, timeout=WRK_SECONDS + 30,
    ).stdout  # fmt: skip
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    p50 = re.search(r"50%\s+(\S+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert requests, output
    assert rate, output
    assert p50, output
    assert p99, output
    return {
        "generator": "wrk",
        "requests": int(requests.group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "requests_per_s": float(rate.group(1)),
        "p50_ms": _ms(p50.group(1)),
        "p99_ms": _ms(p99.group(1)),
        "connections": CONNECTIONS,
    }


def test_bench_api_stats_under_load(benchmark: BenchmarkFixture, server: str, token: str) -> None:
    figures: dict[str, object] = {}
    wrk = shutil.which("wrk")

    def run() -> None:
        if wrk is not None:
            figures.update(_wrk(wrk, server, token))
        else:
            figures.update(asyncio.run(_load(server, token)))

    benchmark.pedantic(run, rounds=1, iterations=1)  # type: ignore[no-untyped-call]  # untyped
    benchmark.extra_info.update(figures)
    print(f"\n/api/stats load: {figures}")  # noqa: T201 -- the figures to report

    assert figures["errors"] == 0
    assert int(str(figures["requests"])) > 0


def _simulate(url: str, token: str, steps: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    body = {"scenario": "flash_crash", "base_price": 1.25, "steps": steps, "volatility": 0.02,
            "seed": 1}  # fmt: skip
    with httpx.Client(base_url=url, headers=headers, timeout=120.0) as client:
        response = client.post("/api/simulation", json=body)
        if response.status_code == 200:
            result: dict[str, Any] = response.json()
            return result
        assert response.status_code == 202, f"{response.status_code} {response.text[:500]}"
        location = response.headers["location"]
        while True:
            job = client.get(location).json()
            if job["status"] in ("done", "failed"):
                assert job["status"] == "done", job["error"]
                done: dict[str, Any] = job["result"]
                return done
            time.sleep(0.05)


@pytest.mark.parametrize("steps", [50, 1000])
def test_bench_api_simulation(
    benchmark: BenchmarkFixture, server: str, token: str, steps: int
) -> None:
    results: list[dict[str, Any]] = []

    benchmark.pedantic(  # type: ignore[no-untyped-call]  # pytest-benchmark is untyped
        lambda: results.append(_simulate(server, token, steps)), rounds=3, iterations=1
    )
    benchmark.extra_info["steps"] = steps
    benchmark.extra_info["server_elapsed_ms"] = results[-1]["elapsed_ms"]

    assert results[-1]["metrics"]["ticks"] == steps, results[-1]["metrics"]
