"""A TCP proxy on loopback in front of a PostgreSQL server, to cut and restore the database.

Tests point the store at ``proxy.url`` and call ``cut()`` to simulate an outage (the listener
closes and every open connection is aborted, as when a server or network goes away) and
``restore()`` to bring it back on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.engine import make_url


class PgProxy:
    """Forward loopback TCP connections to the server of ``upstream_url``."""

    def __init__(self, upstream_url: str) -> None:
        parsed = make_url(upstream_url)
        socket_dir = parsed.query.get("host")
        self._unix_path = (
            f"{socket_dir}/.s.PGSQL.{parsed.port or 5432}" if isinstance(socket_dir, str) else None
        )
        self._host = parsed.host or "127.0.0.1"
        self._port = parsed.port or 5432
        self._user = parsed.username or "postgres"
        self._database = parsed.database or "postgres"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"postgresql://{self._user}@127.0.0.1:{self.port}/{self._database}"

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._unix_path is not None:
            return await asyncio.open_unix_connection(self._unix_path)
        return await asyncio.open_connection(self._host, self._port)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._open_upstream()
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()
