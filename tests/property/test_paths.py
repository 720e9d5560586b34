"""Path mapping never escapes its prefix.

Three mappings, each on names drawn from an alphabet rich in ``.``, ``..``, ``/`` and ``\\``: the plan's
store locations (``Plan.location``), ``join_uri``, and the engine's source-file-to-target mapping
(``plan_file``, the function every copied or converted file goes through). Each either refuses the name
with a MigrateError or gives a URI under its prefix, also after a server normalises ``.``/``..``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.engine import EngineOptions, _Run
from migrate.errors import MigrateError
from migrate.plan import load_plan_text
from migrate.progress import NullProgress
from migrate.storage.base import FileInfo, join_uri

PROPS = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

segments = st.one_of(st.sampled_from(["..", ".", "", "a", "b=1", "...", "..a", "~", "\\..", "..\\", "%2e%2e", " "]),
                     st.text(st.sampled_from("./\\a~:%2e "), max_size=4))
names = st.lists(segments, max_size=6).map("/".join)


def under(uri: str, prefix: str) -> bool:
    """``uri`` is ``prefix`` or below it, also once ``.``/``..`` are normalised away (as a server might)."""
    scheme, _, rest = prefix.partition("://")
    if not uri.startswith(f"{scheme}://"):
        return False
    path = posixpath.normpath("/" + uri[len(scheme) + 3:])
    base = posixpath.normpath("/" + rest)
    return path == base or path.startswith(base.rstrip("/") + "/")


@settings(PROPS)
@given(names)
def test_join_uri_stays_under_its_base(rel: str) -> None:
    base = "s3://lake/warehouse/t"
    try:
        out = join_uri(base, rel)
    except MigrateError:
        return
    assert out.startswith(base) and under(out, base), out


PLAN = """
version: 1
name: paths
sources:
  loc: {kind: local, path: /data/src}
  hdfs: {kind: webhdfs, url: "http://nn:9870"}
targets:
  s3: {kind: s3, bucket: lake, prefix: warehouse}
  jfs: {kind: juicefs, volume: v, mount_path: /jfs}
  out: {kind: local, path: /data/out}
"""
ROOTS = {"loc": "file:///data/src", "hdfs": "webhdfs://nn:9870/", "s3": "s3://lake/warehouse",
         "jfs": "file:///jfs", "out": "file:///data/out"}


@settings(PROPS)
@given(st.sampled_from(sorted(ROOTS)), names)
def test_plan_locations_stay_in_their_store(store: str, path: str) -> None:
    plan = load_plan_text(PLAN)
    try:
        uri, _ = plan.location(store, path)
    except MigrateError:
        assert ".." in path.replace("\\", "/").split("/")
        return
    assert under(uri, ROOTS[store]), (path, uri)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, _Run]]:
    base = tmp_path_factory.mktemp("paths")
    (base / "src").mkdir()
    out = {}
    for kind in ("copy", "parquet"):
        plan = load_plan_text(f"""
version: 1
name: paths
settings: {{state_dir: state-{kind}}}
sources: {{src: {{kind: local, path: src}}}}
targets: {{out: {{kind: local, path: out}}}}
datasets:
  - {{name: ds, source: {{store: src}}, format: {{kind: csv}}, target: {{kind: {kind}, store: out, path: t}}}}
""", base_dir=base)
        out[kind] = _Run(plan, plan.datasets[0], Path(plan.state_dir), NullProgress(), 2, None,
                         EngineOptions(catalog_helper="none"))
    yield out
    for run in out.values():
        run.close()
        run.ledger.close()


@settings(PROPS)
@given(st.sampled_from(["copy", "parquet"]), names)
def test_source_names_map_under_the_target(runs: dict[str, _Run], kind: str, rel: str) -> None:
    run = runs[kind]
    info = FileInfo(f"{run.src_root}/{rel}", 10, 1.0)
    try:
        work = run.plan_file(info, [])
    except MigrateError:
        return
    assert work.target_uris
    for uri in work.target_uris:
        assert uri.startswith(run.dst_root + "/") and under(uri, run.dst_root), (rel, uri)
