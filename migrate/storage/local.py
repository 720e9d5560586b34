"""POSIX paths: local disks and FUSE mounts (MooseFS, a mounted JuiceFS volume).

Atomic put: write ``.<name>.migrate-tmp-<random>`` in the target folder, fsync, then ``os.replace``.

Symlinks below a walked folder are not followed: one leading outside the folder would read (and upload)
files that are not the dataset's, one inside it would read its files twice, and a loop never ends.
``walk`` lists each with ``FileInfo.refused`` saying why (so the engine fails it by name instead of
skipping it silently), and ``open`` refuses a path whose last component is a symlink (O_NOFOLLOW).
A folder that cannot be listed is reported the same way. Symlinks above the walked folder (a mount
point reached through a link) are resolved as usual.
"""

from __future__ import annotations

import errno
import functools
import os
import secrets
import shutil
import stat as stat_mod
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from migrate.errors import AuthError, NotFound, StorageError, UnsafePath
from migrate.storage.base import DEFAULT_CHECKSUM, AtomicWriter, FileInfo, ReadStream, Storage

TMP_MARK = ".migrate-tmp-"


def to_os_path(uri: str) -> str:
    """URIs in this package are not percent-encoded: ``file:///a b/ü`` is the path ``/a b/ü``."""
    if uri.startswith("file://"):
        rest = uri[len("file://") :]
        if rest.startswith("localhost/"):
            rest = rest[len("localhost") :]
        if not rest.startswith("/"):
            raise StorageError(f"file URI with a host is not supported: {uri}", uri)
        return rest
    return uri


def to_path(uri: str) -> Path:
    return Path(to_os_path(uri))


def to_uri(path: Path | str) -> str:
    return "file://" + os.path.abspath(path)


def _owner(st: os.stat_result) -> str | None:
    return _user_name(st.st_uid)


@functools.lru_cache(maxsize=256)
def _user_name(uid: int) -> str:
    """The user name of ``uid`` (looked up once: the lookup reads /etc/passwd or asks NSS every time)."""
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return str(uid)


def _translate(exc: OSError, uri: str) -> StorageError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return NotFound(f"not found: {uri}", uri)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return AuthError(f"permission denied: {uri}", uri)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(f"{exc.strerror} writing {uri}: free space on that disk (or raise the quota) and run "
                            "again; what was written is kept, this file is redone", uri)
    if exc.errno == errno.ELOOP:
        return UnsafePath(f"{uri} is a symlink; symlinks are not followed (copy its target instead)", uri)
    return StorageError(f"{exc.strerror or exc} on {uri}", uri)


class _LocalWriter(AtomicWriter):
    def __init__(self, path: Path, uri: str, checksum: str) -> None:
        super().__init__(uri, checksum)
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = path.with_name(f".{path.name}{TMP_MARK}{secrets.token_hex(6)}")
            self._f = open(self.tmp, "wb")  # noqa: SIM115 - lifetime spans commit/abort
        except OSError as exc:
            raise _translate(exc, uri) from exc

    def _write(self, data: memoryview) -> None:
        try:
            self._f.write(data)
        except OSError as exc:  # a full disk names the target, not just "[Errno 28]"
            raise _translate(exc, self.uri) from exc

    def _commit(self) -> FileInfo:
        try:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            os.replace(self.tmp, self.path)
            st = self.path.stat()
        except OSError as exc:
            self._abort()
            raise _translate(exc, self.uri) from exc
        return FileInfo(self.uri, st.st_size, st.st_mtime, owner=_owner(st))

    def _abort(self) -> None:
        self._f.close()
        self.tmp.unlink(missing_ok=True)


class _RangeReader(ReadStream):
    """A file object limited to ``length`` bytes from ``offset``."""

    def __init__(self, f: BinaryIO, length: int | None) -> None:
        self._f = f
        self._left = length

    def read(self, n: int | None = -1) -> bytes:
        if self._left is None:
            return self._f.read(-1 if n is None else n)
        if self._left <= 0:
            return b""
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._f.read(n)
        self._left -= len(data)
        return data

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        # Straight into the caller's buffer: no bytes object per read (chunked readers reuse buffers).
        if self._left is not None and self._left <= 0:
            return 0
        mv = memoryview(b).cast("B")
        if self._left is not None and len(mv) > self._left:
            mv = mv[: self._left]
        n = self._f.readinto(mv) or 0  # type: ignore[attr-defined]
        if self._left is not None:
            self._left -= n
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


class LocalStorage(Storage):
    scheme = "file"

    def list(self, uri: str) -> Iterator[FileInfo]:
        path = to_path(uri)
        try:
            it = os.scandir(path)
        except OSError as exc:
            raise _translate(exc, uri) from exc
        with it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=True)
                except OSError:
                    # A dangling symlink or a racing delete: report what lstat knows.
                    st = entry.stat(follow_symlinks=False)
                yield FileInfo(
                    to_uri(entry.path), st.st_size if not stat_mod.S_ISDIR(st.st_mode) else 0,
                    st.st_mtime, is_dir=stat_mod.S_ISDIR(st.st_mode), owner=_owner(st),
                )

    def walk(self, uri: str) -> Iterator[FileInfo]:
        root = to_path(uri)
        if not root.is_dir():
            raise NotFound(f"not a folder: {uri}", uri)
        real_root = os.path.realpath(root)
        stack = [str(root)]
        while stack:
            current = stack.pop()
            try:
                entries = sorted(os.scandir(current), key=lambda e: e.name)
            except (FileNotFoundError, NotADirectoryError):
                continue  # removed while we walked
            except OSError as exc:
                yield FileInfo(to_uri(current), 0, 0.0, refused=f"folder cannot be listed: {exc.strerror or exc}")
                continue
            subdirs = []
            for e in entries:
                if e.is_symlink():
                    yield self._refused_link(e, real_root)
                    continue
                try:
                    est = e.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat_mod.S_ISDIR(est.st_mode):
                    subdirs.append(e.path)
                elif stat_mod.S_ISREG(est.st_mode):
                    yield FileInfo(to_uri(e.path), est.st_size, est.st_mtime, owner=_owner(est))
            stack.extend(reversed(subdirs))

    @staticmethod
    def _refused_link(e: os.DirEntry[str], real_root: str) -> FileInfo:
        st = e.stat(follow_symlinks=False)
        try:
            target = os.path.realpath(e.path, strict=True)
            inside = os.path.commonpath([real_root, target]) == real_root
            what = "a folder" if os.path.isdir(target) else "a file"
            why = (f"a symlink to {what} inside the dataset folder ({target}); not followed, the target is read "
                   "under its own name" if inside else
                   f"a symlink to {what} outside the dataset folder ({target}); not followed")
        except (OSError, RuntimeError):  # dangling, or a loop of links
            why = f"a symlink to {os.readlink(e.path)!r}, which does not resolve (missing target or a loop)"
        return FileInfo(to_uri(e.path), 0, st.st_mtime, owner=_owner(st), refused=why)

    def stat(self, uri: str) -> FileInfo:
        try:
            st = os.stat(to_os_path(uri))
        except OSError as exc:
            raise _translate(exc, uri) from exc
        is_dir = stat_mod.S_ISDIR(st.st_mode)
        return FileInfo(uri, 0 if is_dir else st.st_size, st.st_mtime, is_dir=is_dir, owner=_owner(st))

    def open(self, uri: str, offset: int = 0, length: int | None = None) -> BinaryIO:
        try:
            # O_NOFOLLOW: a symlink planted among the source files never makes us read what it points to.
            f = os.fdopen(os.open(to_os_path(uri), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb")
        except OSError as exc:
            raise _translate(exc, uri) from exc
        if offset:
            f.seek(offset)
        return _RangeReader(f, length) if length is not None else f  # type: ignore[return-value]

    def writer(self, uri: str, checksum: str = DEFAULT_CHECKSUM) -> AtomicWriter:
        path = to_path(uri)
        if path.is_dir():
            raise StorageError(f"a folder stands at {uri}", uri)
        return _LocalWriter(path, uri, checksum)

    def delete(self, uri: str, recursive: bool = False) -> None:
        path = to_path(uri)
        try:
            if path.is_dir() and not path.is_symlink():
                if recursive:
                    shutil.rmtree(path)
                else:
                    path.rmdir()
            else:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _translate(exc, uri) from exc
