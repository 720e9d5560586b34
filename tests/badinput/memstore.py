"""An in-memory object store (``memtest://bucket/key``) for object names no store running here can hold.

AWS S3 accepts any UTF-8 key (``a/../../etc/x``, ``./x``, ``//x``); SeaweedFS, JuiceFS and HDFS refuse or
normalise dot segments, so the escape attempts of a hostile S3 source can only be replayed with a store
that keeps keys verbatim, as S3 does. Registered under its own scheme by the tests that use it.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

from migrate.errors import NotFound
from migrate.storage.base import DEFAULT_CHECKSUM, AtomicWriter, FileInfo, Storage

OBJECTS: dict[str, bytes] = {}  # uri -> bytes, shared by every instance (the engine opens stores per task)
_lock = threading.Lock()


class _Writer(AtomicWriter):
    def __init__(self, uri: str, checksum: str) -> None:
        super().__init__(uri, checksum)
        self._buf = io.BytesIO()

    def _write(self, data: memoryview) -> None:
        self._buf.write(data)

    def _commit(self) -> FileInfo:
        with _lock:
            OBJECTS[self.uri] = self._buf.getvalue()
        return FileInfo(self.uri, len(OBJECTS[self.uri]), time.time())

    def _abort(self) -> None:
        self._buf = io.BytesIO()


class MemStorage(Storage):
    scheme = "memtest"
    writes_temp_files = False

    def list(self, uri: str) -> Iterator[FileInfo]:
        yield from self.walk(uri)

    def walk(self, uri: str) -> Iterator[FileInfo]:
        prefix = uri.rstrip("/") + "/"
        with _lock:
            items = sorted((u, len(b)) for u, b in OBJECTS.items() if u.startswith(prefix))
        for u, n in items:
            yield FileInfo(u, n, 1_700_000_000.0)

    def stat(self, uri: str) -> FileInfo:
        with _lock:
            if uri in OBJECTS:
                return FileInfo(uri, len(OBJECTS[uri]), 1_700_000_000.0)
            if any(u.startswith(uri.rstrip("/") + "/") for u in OBJECTS):
                return FileInfo(uri, 0, 0.0, is_dir=True)
        raise NotFound(f"not found: {uri}", uri)

    def open(self, uri: str, offset: int = 0, length: int | None = None) -> BinaryIO:
        with _lock:
            data = OBJECTS.get(uri)
        if data is None:
            raise NotFound(f"not found: {uri}", uri)
        end = len(data) if length is None else offset + length
        return io.BytesIO(data[offset:end])

    def writer(self, uri: str, checksum: str = DEFAULT_CHECKSUM) -> AtomicWriter:
        return _Writer(uri, checksum)

    def delete(self, uri: str, recursive: bool = False) -> None:
        with _lock:
            for u in [u for u in OBJECTS if u == uri or (recursive and u.startswith(uri.rstrip("/") + "/"))]:
                del OBJECTS[u]


def from_uri(uri: str, **_options: Any) -> MemStorage:
    return MemStorage()
