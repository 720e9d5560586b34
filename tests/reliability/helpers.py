"""Plans for the reliability tests: one dataset ``events`` from store ``src`` to store ``out``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrate.plan import load_plan_text
from tests.engine.helpers import SCHEMA_YAML
from tests.fixtures.s3 import KEY_ENV, SECRET_ENV


def s3_yaml(endpoint: str, bucket: str, **extra: Any) -> str:
    """An s3 store on ``endpoint`` with the test identity's env vars; ``extra``: more keys (ca_bundle, ...)."""
    more = "".join(f", {k}: {v!r}" if isinstance(v, str) else f", {k}: {v}" for k, v in extra.items())
    return (f'{{kind: s3, endpoint: "{endpoint}", bucket: {bucket}, region: us-east-1, part_size_mb: 5, '
            f"credentials: {{access_key_id_env: {KEY_ENV}, secret_access_key_env: {SECRET_ENV}}}{more}}}")


def plan_for(base: Path, source: str, target: str, kind: str, name: str = "reliability") -> Any:
    """CSV with the engine tests' schema (none for ``copy``) into ``kind`` at ``out:t``."""
    schema = f"schema: {SCHEMA_YAML}" if kind != "copy" else ""
    return load_plan_text(f"""
version: 1
name: {name}
settings: {{state_dir: state, concurrency: 4}}
sources: {{src: {source}}}
targets: {{out: {target}}}
datasets:
  - name: events
    source: {{store: src, path: ""}}
    format: {{kind: csv, header: true}}
    {schema}
    target: {{kind: {kind}, store: out, path: t}}
""", base_dir=base)
