#!/usr/bin/env python3
"""Developer entry point that needs nothing but Python 3.11+.

``python3 tasks.py run [ARGS]`` creates ``.venv`` on first use, installs bmvbot into it and runs
``bmvbot run ARGS`` (paper trading on the embedded simulated market). ``python3 tasks.py test``
runs the whole check: format, lint, types, import contracts and the test suite.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".bmvbot-installed"


def _python() -> str:
    return str(BIN / "python")


def _ensure_venv() -> None:
    if not (BIN / "python").exists():
        print("creating virtualenv in .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("installing bmvbot and its development tools into .venv", flush=True)
    subprocess.check_call([_python(), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    subprocess.check_call([_python(), "-m", "pip", "install", "-q", "-e", ".[dev]"], cwd=ROOT)
    STAMP.write_text(digest)


def _run(*argv: str) -> int:
    print("+ " + " ".join(argv), flush=True)
    return subprocess.call(list(argv), cwd=ROOT)


def check(pytest_args: list[str]) -> int:
    """Run format, lint, mypy, import contracts, core coverage and pytest; stop at a failure."""
    steps = [
        [str(BIN / "ruff"), "format", "--check", "src", "tests", "tasks.py"],
        [str(BIN / "ruff"), "check", "src", "tests", "tasks.py"],
        [str(BIN / "mypy")],
        [str(BIN / "lint-imports")],
        # STYLE: the pure core keeps 100 % branch coverage from its unit tests alone
        [
            _python(),
            "-m",
            "pytest",
            "-q",
            "tests/unit/core",
            "--cov=bmvbot.core",
            "--cov-branch",
            "--cov-report=term-missing:skip-covered",
            "--cov-fail-under=100",
        ],
        [_python(), "-m", "pytest", *pytest_args],
    ]
    for step in steps:
        code = _run(*step)
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "bench", "bmvbot", "setup"}:
        print("usage: python3 tasks.py run|test|bench|bmvbot|setup [ARGS...]", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    _ensure_venv()
    if command == "setup":
        return 0
    if command == "test":
        return check(rest)
    if command == "bench":
        return _run(_python(), "-m", "pytest", "tests/benchmarks", "--benchmark-enable", *rest)
    if command == "run":
        rest = ["run", *rest]
    os.execv(str(BIN / "bmvbot"), [str(BIN / "bmvbot"), *rest])  # noqa: S606 -- our own entry point
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
