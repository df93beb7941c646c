"""The embedded server binds before trading starts: a busy port is a ConfigError."""

from __future__ import annotations

import socket

import pytest

from bmvbot.api.server import listen_socket
from bmvbot.core.errors import ConfigError


def test_listen_socket_busy_port_raises_config_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(ConfigError) as error:
            listen_socket("127.0.0.1", port)

    assert error.value.key == "api.port"
    assert f"127.0.0.1:{port}" in str(error.value)


def test_listen_socket_free_port_is_bound() -> None:
    sock = listen_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()


def test_listen_socket_is_tcp_so_asyncio_sets_nodelay() -> None:
    sock = listen_socket("127.0.0.1", 0)
    try:
        assert (sock.type, sock.proto) == (socket.SOCK_STREAM, socket.IPPROTO_TCP)
    finally:
        sock.close()
