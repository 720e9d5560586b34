"""The plan loader on arbitrary input: it returns problems (each with a line, a column and a message) or a
plan, and never raises anything else, whatever the text.

Three generators: raw text (mostly not YAML), YAML documents of random nested values keyed by plan
vocabulary (reaches the validators), and a valid plan with one value replaced by a random one (reaches
the deepest model rules and cross-checks).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.plan import check_plan_text, load_plan_text

EXAMPLES = Path(__file__).resolve().parents[2] / "plans" / "examples"
FULL = yaml.safe_load((EXAMPLES / "full.yaml").read_text())

PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = ["version", "name", "settings", "sources", "targets", "catalog", "datasets", "jobs", "cutover", "kind",
         "path", "store", "format", "schema", "target", "delimiter", "quote", "escape", "type", "bucket",
         "prefix", "endpoint", "credentials", "profile", "secret_access_key", "access_key_id_env", "url",
         "table", "wave", "columns", "check", "gates", "s3", "local", "webhdfs", "juicefs", "csv", "parquet",
         "iceberg", "copy", "<<", "..", "/", ""]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.sampled_from(WORDS),
    st.text(max_size=20), st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=8), st.integers()), inner, max_size=5),
    ),
    max_leaves=25,
)


def _assert_clean(text: str) -> None:
    """Problems with positions, or a plan: never an exception."""
    problems = check_plan_text(text, "p.yaml")
    for p in problems:
        assert p.file == "p.yaml" and p.message, p
        assert p.line >= 1 and p.column >= 1, p
    if not problems:
        load_plan_text(text, "p.yaml")  # what check_plan_text accepts loads


@PROPS
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    _assert_clean(text)


@PROPS
@given(values)
def test_any_yaml_document(data: Any) -> None:
    _assert_clean(yaml.safe_dump(data, allow_unicode=True))


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*at, i))
    return out


FULL_PATHS = _paths(FULL)[1:]


@PROPS
@given(st.sampled_from(FULL_PATHS), values)
def test_valid_plan_with_one_value_replaced(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(FULL)
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    _assert_clean(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@settings(PROPS, max_examples=50)
@given(st.sampled_from(FULL_PATHS))
def test_valid_plan_with_one_key_removed(path: tuple[Any, ...]) -> None:
    data = copy.deepcopy(FULL)
    node = data
    for k in path[:-1]:
        node = node[k]
    del node[path[-1]]
    _assert_clean(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_full_example_is_valid() -> None:  # the mutations above start from a valid plan
    assert check_plan_text((EXAMPLES / "full.yaml").read_text(), "full.yaml", EXAMPLES) == []
