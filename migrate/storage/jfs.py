"""JuiceFS volumes as ``jfs://<volume>/<path>``: a thin adapter, no JuiceFS client of our own.

JuiceFS has no usable Python SDK, so a volume is reached either through its FUSE mount (delegate to
LocalStorage on ``<mount_path>/<path>``) or through its S3 gateway (delegate to S3Storage with the
volume as bucket). Either way every URI going in and coming out is ``jfs://``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, BinaryIO

from migrate.errors import ConfigError, StorageError
from migrate.storage.base import DEFAULT_CHECKSUM, AtomicWriter, FileInfo, Storage
from migrate.storage.local import LocalStorage
from migrate.storage.s3 import S3Storage


class JfsMountStorage(Storage):
    """``jfs://vol/p`` <-> ``file://<mount_path>/p`` over a mounted volume."""

    scheme = "jfs"

    def __init__(self, volume: str, mount_path: str) -> None:
        self.volume = volume
        self.mount_path = os.path.abspath(mount_path).rstrip("/")
        self.local = LocalStorage()

    def _in(self, uri: str) -> str:
        head, sep, rest = uri.partition("://")
        volume, _, path = rest.partition("/")
        if head.lower() != "jfs" or not sep:
            raise StorageError(f"not a jfs:// URI: {uri}", uri)
        if volume != self.volume:
            raise StorageError(f"{uri} is not on volume {self.volume!r} (mounted at {self.mount_path})", uri)
        return f"file://{self.mount_path}/{path}"

    def _out(self, uri: str) -> str:
        prefix = f"file://{self.mount_path}/"
        if not (uri.startswith(prefix) or uri == prefix[:-1]):
            raise StorageError(f"{uri} is outside the mount {self.mount_path}", uri)
        return f"jfs://{self.volume}/{uri[len(prefix):]}"

    def _info(self, info: FileInfo) -> FileInfo:
        return FileInfo(self._out(info.uri), info.size, info.mtime, info.is_dir, info.native_checksum,
                        info.owner, info.refused)

    def list(self, uri: str) -> Iterator[FileInfo]:
        for info in self.local.list(self._in(uri)):
            yield self._info(info)

    def walk(self, uri: str) -> Iterator[FileInfo]:
        for info in self.local.walk(self._in(uri)):
            yield self._info(info)

    def stat(self, uri: str) -> FileInfo:
        return self._info(self.local.stat(self._in(uri)))

    def open(self, uri: str, offset: int = 0, length: int | None = None) -> BinaryIO:
        return self.local.open(self._in(uri), offset, length)

    def writer(self, uri: str, checksum: str = DEFAULT_CHECKSUM) -> AtomicWriter:
        return _UriWriter(self.local.writer(self._in(uri), checksum), uri, checksum)

    def delete(self, uri: str, recursive: bool = False) -> None:
        self.local.delete(self._in(uri), recursive)


class _UriWriter(AtomicWriter):
    """Forwards to an inner writer but reports the outer (jfs://) URI."""

    def __init__(self, inner: AtomicWriter, uri: str, checksum: str) -> None:
        super().__init__(uri, checksum)
        self.inner = inner

    def _write(self, data: memoryview) -> None:
        self.inner.write(data)

    def _commit(self) -> FileInfo:
        i = self.inner.commit().info
        return FileInfo(self.uri, i.size, i.mtime, i.is_dir, i.native_checksum, i.owner)

    def _abort(self) -> None:
        self.inner.abort()


def from_uri(
    uri: str,
    mount_path: str | None = None,
    endpoint_url: str | None = None,
    access_key_id_env: str | None = None,
    secret_access_key_env: str | None = None,
    profile: str | None = None,
    **s3opts: Any,
) -> Storage:
    """The store for ``jfs://<volume>/...``: the mount when ``mount_path`` is given, else the gateway."""
    head, sep, rest = uri.partition("://")
    volume = rest.partition("/")[0]
    if head.lower() != "jfs" or not sep or not volume:
        raise ConfigError(f"want jfs://<volume>/<path>, got {uri!r}")
    if mount_path:
        return JfsMountStorage(volume, mount_path)
    if not endpoint_url:
        raise ConfigError(f"{uri}: a JuiceFS volume needs mount_path (FUSE) or endpoint_url (its S3 gateway)")
    # The gateway serves the volume as one bucket named after it, so jfs://vol/p is s3://vol/p.
    return S3Storage(scheme="jfs", endpoint_url=endpoint_url, access_key_id_env=access_key_id_env,
                     secret_access_key_env=secret_access_key_env, profile=profile, **s3opts)
