import itertools
import math

from hypothesis import given
from hypothesis import strategies as st

from bmvbot.cli.lab_sweep import SweepParam, combinations, parse_param

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
VALUES = st.lists(
    st.from_regex(r"[A-Za-z0-9.+\-]{1,8}", fullmatch=True), min_size=1, max_size=4, unique=True
)


@st.composite
def sweep_params(draw: st.DrawFn) -> list[SweepParam]:
    keys = draw(st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=4, unique=True))
    return [SweepParam(section, key, tuple(draw(VALUES))) for section, key in keys]


@given(sweep_params())
def test_combinations_is_the_full_product_in_order(params: list[SweepParam]) -> None:
    grid = combinations(params)

    assert len(grid) == math.prod(len(param.values) for param in params)
    assert [tuple(values.values()) for values in grid] == list(
        itertools.product(*(param.values for param in params))
    )
    assert all(list(values) == [param.dotted for param in params] for values in grid)


@given(NAMES, NAMES, VALUES)
def test_parse_param_reads_back_what_was_written(section: str, key: str, values: list[str]) -> None:
    param = parse_param(f"{section}.{key}={','.join(values)}")

    assert param == SweepParam(section, key, tuple(values))
