import tomllib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bmvbot.core.errors import ConfigError
from bmvbot.settings import SECTIONS, Settings, validate_settings
from bmvbot.settings.render import render_toml

KEYS = [(section, key) for section, model in SECTIONS.items() for key in model.model_fields]

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.floats(allow_nan=False, width=32), max_size=5),
    st.lists(st.text(max_size=10), max_size=3),
)


def _document(pairs: list[tuple[tuple[str, str], Any]]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for (section, key), value in pairs:
        if value is not None:
            raw.setdefault(section, {})[key] = value
    return raw


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEYS), values), max_size=6))
def test_any_values_give_settings_or_a_config_error_never_a_crash(
    pairs: list[tuple[tuple[str, str], Any]],
) -> None:
    raw = _document(pairs)

    try:
        loaded: Settings | None = validate_settings(raw, source="property")
    except ConfigError as error:
        loaded, message = None, str(error)
    if loaded is None:
        assert message.startswith("property: ")
    else:
        assert loaded.to_params().grid.levels_per_side == loaded.grid.levels_per_side


@settings(max_examples=150, deadline=None)
@given(
    levels=st.integers(1, 64),
    step_pct=st.floats(0.01, 5.0),
    gamma=st.floats(0.5, 3.0),
    proximity_pct=st.floats(0.001, 10.0),
    wallets=st.integers(1, 64),
    side_split=st.booleans(),
)
def test_valid_settings_round_trip_through_toml(
    levels: int, step_pct: float, gamma: float, proximity_pct: float, wallets: int, side_split: bool
) -> None:
    raw = {
        "grid": {"levels_per_side": levels, "step_pct": step_pct, "gamma": gamma},
        "guards": {"proximity_pct": proximity_pct},
        "swarm": {"wallet_count": wallets, "side_split": side_split},
    }
    try:
        loaded = validate_settings(raw, source="property")
    except ConfigError:
        return

    again = validate_settings(tomllib.loads(render_toml(loaded, redact=False)), source="again")

    assert again == loaded
    assert isinstance(again, Settings)
    assert loaded.guards.proximity_pct < loaded.grid.step_pct
