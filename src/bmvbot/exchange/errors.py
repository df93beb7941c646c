"""Errors of the OpenBook V2 model, carrying the code the deployed program (v1.7) would return.

Every refusal is an :class:`ExchangeError` (a ``RejectedError``): the instruction changed
nothing. ``kind`` says which layer refused it, as in the golden traces: ``openbook`` (6000+),
``anchor`` (100-5999), ``spl_token``, ``system`` or ``instruction_error`` (runtime).
"""

from __future__ import annotations

import enum

from bmvbot.core.errors import RejectedError


class OpenBookErrorCode(enum.IntEnum):
    """The program's own error codes (``prog/error.rs``, 6000 + index)."""

    SOME_ERROR = 6000
    INVALID_INPUT_NAME_LENGTH = 6001
    INVALID_INPUT_MARKET_EXPIRED = 6002
    INVALID_INPUT_MARKET_FEES = 6003
    INVALID_INPUT_LOTS = 6004
    INVALID_INPUT_LOTS_SIZE = 6005
    INVALID_INPUT_ORDERS_AMOUNTS = 6006
    INVALID_INPUT_CANCEL_SIZE = 6007
    INVALID_INPUT_PRICE_LOTS = 6008
    INVALID_INPUT_PEG_LIMIT = 6009
    INVALID_INPUT_ORDER_TYPE = 6010
    INVALID_INPUT_ORDER_ID = 6011
    INVALID_INPUT_HEAP_SLOTS = 6012
    INVALID_ORACLE_TYPES = 6013
    INVALID_SECOND_ORACLE = 6014
    NO_CLOSE_MARKET_ADMIN = 6015
    INVALID_CLOSE_MARKET_ADMIN = 6016
    INVALID_OPEN_ORDERS_ADMIN = 6017
    INVALID_CONSUME_EVENTS_ADMIN = 6018
    INVALID_MARKET_VAULT = 6019
    INDEXER_ACTIVE_OO = 6020
    ORACLE_PEG_INVALID_ORACLE_STATE = 6021
    UNKNOWN_ORACLE_TYPE = 6022
    ORACLE_CONFIDENCE = 6023
    ORACLE_STALE = 6024
    ORDER_ID_NOT_FOUND = 6025
    EVENT_HEAP_CONTAINS_ELEMENTS = 6026
    INVALID_ORDER_POST_IOC = 6027
    INVALID_ORDER_POST_MARKET = 6028
    WOULD_SELF_TRADE = 6029
    MARKET_HAS_EXPIRED = 6030
    INVALID_PRICE_LOTS = 6031
    INVALID_ORACLE_PRICE = 6032
    MARKET_HAS_NOT_EXPIRED = 6033
    NO_OWNER_OR_DELEGATE = 6034
    NO_OWNER = 6035
    OPEN_ORDERS_FULL = 6036
    BOOK_CONTAINS_ELEMENTS = 6037
    OPEN_ORDERS_ORDER_NOT_FOUND = 6038
    INVALID_POST_AMOUNT = 6039
    DISABLED_ORACLE_PEG = 6040
    NON_EMPTY_MARKET = 6041
    NON_EMPTY_OPEN_ORDERS_POSITION = 6042

    @property
    def program_name(self) -> str:
        """Return the Rust variant name (``OpenOrdersFull``), as in the traces' ``error_names``."""
        name = "".join(part.capitalize() for part in self.name.split("_"))
        return name.replace("Oo", "OO").replace("Ioc", "IOC")


class ErrorKind(enum.Enum):
    """Which layer refused an instruction."""

    OPENBOOK = "openbook"
    ANCHOR = "anchor"
    SPL_TOKEN = "spl_token"  # noqa: S105 (a program name, not a secret)
    SYSTEM = "system"
    INSTRUCTION_ERROR = "instruction_error"


class ExchangeError(RejectedError):
    """The program refused an instruction; no state changed.

    Attributes:
        kind: the refusing layer.
        code: the numeric code (``None`` for runtime errors such as ``AccountBorrowFailed``).
        name: the program's name for the error (``OpenOrdersFull``).
    """

    def __init__(self, kind: ErrorKind, code: int | None, name: str, detail: str) -> None:
        label = f"{kind.value} {code} {name}" if code is not None else f"{kind.value} {name}"
        super().__init__(f"{label}: {detail}")
        self.kind = kind
        self.code = code
        self.name = name


def openbook_error(code: OpenBookErrorCode, detail: str) -> ExchangeError:
    """Return the error the program raises with ``code``."""
    return ExchangeError(ErrorKind.OPENBOOK, int(code), code.program_name, detail)


def anchor_error(code: int, name: str, detail: str) -> ExchangeError:
    """Return an Anchor framework error (constraint, deserialization, ...)."""
    return ExchangeError(ErrorKind.ANCHOR, code, name, detail)


def token_error(code: int, name: str, detail: str) -> ExchangeError:
    """Return an SPL Token program error (1 InsufficientFunds, 3 MintMismatch, 4 OwnerMismatch)."""
    return ExchangeError(ErrorKind.SPL_TOKEN, code, name, detail)


def system_error(code: int, name: str, detail: str) -> ExchangeError:
    """Return a System program error (0 AccountAlreadyInUse)."""
    return ExchangeError(ErrorKind.SYSTEM, code, name, detail)


def runtime_error(name: str, detail: str) -> ExchangeError:
    """Return a runtime instruction error (``AccountBorrowFailed``)."""
    return ExchangeError(ErrorKind.INSTRUCTION_ERROR, None, name, detail)
