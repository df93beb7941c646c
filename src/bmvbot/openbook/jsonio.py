"""JSON renderings of codec values, in the conventions of the golden traces.

``to_json`` renders any codec dataclass (keys base58, u128 fields as decimal strings, enums as
their index). ``args_from_json`` parses instruction arguments written that way (golden trace
``args``, the TypeScript vectors) back into the argument structs, so replay tools can build
instructions from recorded JSON.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import cast

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.openbook.args import InstructionArgs
from bmvbot.openbook.layouts import ARGS_BY_INSTRUCTION
from bmvbot.openbook.zerocopy import f32

Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]

U128_FIELDS = frozenset(
    {
        "fees_accrued",
        "fees_to_referrers",
        "maker_volume",
        "taker_volume_wo_oo",
        "taker_volume",
        "id",
        "order_id",
    }
)
"""Fields holding u128 values, rendered as decimal strings."""


def to_json(value: object, field: str = "") -> Json:
    """Return ``value`` as JSON data: keys base58, u128 fields strings, enums their value."""
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, enum.Enum):
        return int(value.value)
    if isinstance(value, int):
        return str(value) if field in U128_FIELDS else value
    if isinstance(value, Pubkey):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_json(item, field) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name), f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v, str(k)) for k, v in value.items()}
    raise CodecError(f"cannot render {type(value).__name__} as JSON")


def to_json_object(value: object) -> dict[str, Json]:
    """Return ``to_json(value)`` for a dataclass or mapping, which renders as a JSON object.

    Raises:
        CodecError: ``value`` does not render as an object.
    """
    rendered = to_json(value)
    if not isinstance(rendered, dict):
        raise CodecError(f"{type(value).__name__} does not render as a JSON object")
    return rendered


@functools.cache
def _hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls)


def _parse(value: object, hint: object, field: str) -> object:
    # one branch per shape of type hint the argument structs use
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [h for h in typing.get_args(hint) if h is not type(None)]
        return None if value is None else _parse(value, options[0], field)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise CodecError(f"{field} must be a list, was {value!r}")
        item = typing.get_args(hint)[0]
        return tuple(_parse(v, item, f"{field}[{i}]") for i, v in enumerate(value))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _parse_struct(value, hint, field)
    if isinstance(hint, type) and issubclass(hint, enum.IntEnum):
        return _parse_enum(value, hint, field)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return f32(float(value))
    if hint is str and isinstance(value, str):
        return value
    if hint is int:
        return _parse_int(value, field)
    raise CodecError(f"{field} must be {hint}, was {value!r}")


def _parse_int(value: object, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise CodecError(f"{field} must be an integer or a decimal string, was {value!r}")


def _parse_enum(value: object, enum_type: type[enum.IntEnum], field: str) -> enum.IntEnum:
    try:
        return enum_type(_parse_int(value, field))
    except ValueError as e:
        allowed = ", ".join(f"{m.value} {m.name}" for m in enum_type)
        raise CodecError(f"{field} must be one of {allowed}; was {value!r}") from e


def _parse_struct(value: object, cls: type, field: str) -> object:
    if not isinstance(value, Mapping):
        raise CodecError(f"{field or cls.__name__} must be an object, was {value!r}")
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in value:
            raise CodecError(f"{cls.__name__} needs {f.name}, which is missing from {value!r}")
        kwargs[f.name] = _parse(value[f.name], hints[f.name], f.name)
    return cls(**kwargs)


def args_from_json(instruction_name: str, value: object) -> InstructionArgs | None:
    """Return the argument struct of ``instruction_name`` parsed from JSON ``value``.

    Integers may be JSON numbers or decimal strings, enums their index, ``conf_filter`` is
    rounded to f32. Instructions without arguments return None (``value`` must be empty).

    Raises:
        CodecError: unknown fields' values, missing fields or wrong shapes.
    """
    cls = ARGS_BY_INSTRUCTION.get(instruction_name)
    if cls is None:
        if value not in (None, {}):
            raise CodecError(f"{instruction_name} takes no arguments, was {value!r}")
        return None
    return cast(InstructionArgs, _parse_struct(value, cls, instruction_name))
