"""A seekable file over a store's ranged reads, for formats that read their footer first (ORC, Parquet).

Shared by the readers, the inventory's sniffer and the engine's row counts.
"""

from __future__ import annotations

from typing import BinaryIO

from migrate.storage.base import ReadStream, Storage


class RangeFile(ReadStream):
    """Random access through ``store.open(uri, offset, length)``; reads ahead ``block`` bytes."""

    def __init__(self, store: Storage, uri: str, size: int, block: int = 8 << 20) -> None:
        super().__init__()
        self._store, self._uri, self._size, self._block = store, uri, size, block
        self._pos = 0
        self._cache_at = 0
        self._cache = b""


    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            n = self._size - self._pos
        n = min(n, self._size - self._pos)
        if n <= 0:
            return b""
        lo = self._pos - self._cache_at
        if lo >= 0 and lo + n <= len(self._cache):
            out = self._cache[lo : lo + n]
        elif n >= self._block:
            with self._store.open(self._uri, self._pos, n) as f:
                out = f.read()
        else:
            length = min(self._block, self._size - self._pos)
            with self._store.open(self._uri, self._pos, length) as f:
                self._cache = f.read()
            self._cache_at = self._pos
            out = self._cache[:n]
        self._pos += len(out)
        return out



def open_seekable(store: Storage, uri: str) -> BinaryIO:
    """The store's own stream when it can seek (local files), else a RangeFile."""
    f = store.open(uri)
    try:
        if f.seekable():
            return f
    except (AttributeError, OSError):
        pass
    f.close()
    return RangeFile(store, uri, store.stat(uri).size)  # type: ignore[return-value]
