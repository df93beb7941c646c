"""``bmvbot localnet --seed-market`` as a process: it prints addresses, writes keys, serves RPC."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _read_until(process: subprocess.Popen[bytes], marker: str, timeout_s: float) -> list[str]:
    # read the raw pipe: a buffered reader would hide lines from select()
    assert process.stdout is not None
    received = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while marker.encode() not in received:
            if not selector.select(timeout_s):
                raise AssertionError(f"no {marker!r} within {timeout_s} s: {received!r}")
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"localnet exited: {received!r}")
            received += chunk
    return received.decode().splitlines()


def test_localnet_cli_seeds_a_market_and_serves_json_rpc(tmp_path: Path) -> None:
    rpc, ws, jito = _free_port(), _free_port(), _free_port()
    command = [
        sys.executable, "-m", "bmvbot.cli.main", "localnet", "--seed-market", "--wallets", "2",
        "--port", str(rpc), "--ws-port", str(ws), "--jito-port", str(jito),
        "--data-dir", str(tmp_path),
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 (our own CLI with fixed arguments)
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        lines = _read_until(process, "jito_url", 60)
        url = f"http://127.0.0.1:{rpc}"
        slot = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "getSlot"}, timeout=10)
        market = next(line.split()[1] for line in lines if line.startswith("market "))
        info = httpx.post(url, timeout=10, json={
            "jsonrpc": "2.0", "id": 2, "method": "getAccountInfo",
            "params": [market, {"encoding": "base64"}]})  # fmt: skip
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()

    assert isinstance(slot.json()["result"], int)
    assert info.json()["result"]["value"]["space"] == 848
    key_files = list((tmp_path / "localnet").glob("localnet-swarm-*.json"))
    assert len(key_files) == 1
    assert stat.S_IMODE(key_files[0].stat().st_mode) == 0o600
    assert f'address = "{market}"' in lines
