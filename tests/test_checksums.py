"""Content checksums: CRC32C by default, any hashlib algorithm on request."""

from __future__ import annotations

import hashlib

import pytest

from migrate import checksums
from migrate.errors import PlanError
from migrate.plan import load_plan_text
from migrate.storage.base import Hasher

MINIMAL = """
version: 1
name: t
settings: {{checksum: {algo}}}
sources: {{src: {{kind: local, path: src}}}}
targets: {{out: {{kind: local, path: out}}}}
datasets:
  - name: d
    source: {{store: src, path: ""}}
    format: {{kind: csv}}
    target: {{kind: parquet, store: out, path: d}}
"""


def test_crc32c_check_value_and_streaming() -> None:
    # The CRC-32C (Castagnoli) check value of "123456789" (RFC 3720).
    assert checksums.crc32c_value(b"123456789") == 0xE3069283
    h = checksums.new("crc32c")
    for piece in (b"123", bytearray(b"456"), memoryview(b"789")):
        h.update(piece)
    assert h.hexdigest() == "e3069283" and h.digest() == bytes.fromhex("e3069283")


def test_hasher_matches_hashlib_and_crc32c() -> None:
    data = bytes(range(256)) * 1000
    for algo, expect in (("crc32c", f"{checksums.crc32c_value(data):08x}"),
                         ("sha256", hashlib.sha256(data).hexdigest()), ("md5", hashlib.md5(data).hexdigest())):
        h = Hasher(algo)
        h.update(memoryview(data)[:1000])
        h.update(data[1000:])
        assert h.result() == f"{algo}:{expect}" and h.size == len(data)


def test_plan_default_and_choices(tmp_path: object) -> None:
    assert checksums.DEFAULT == "crc32c"
    assert load_plan_text(MINIMAL.format(algo="sha256")).settings.checksum == "sha256"
    assert load_plan_text(MINIMAL.format(algo="crc32c")).settings.checksum == "crc32c"
    with pytest.raises(PlanError) as err:
        load_plan_text(MINIMAL.format(algo="crc33"))
    text = "\n".join(str(p) for p in err.value.problems)
    assert "settings.checksum" in text and "crc32c" in text, text
