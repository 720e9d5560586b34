"""The storage interface every backend implements.

Objects are named by URI (``file:///p``, ``webhdfs://host:port/p``, ``s3://bucket/key``, ``jfs://vol/p``).
URIs are never percent-encoded: the path is the raw text after the authority (spaces, unicode as-is).
Writes are atomic: a writer streams to a hidden temporary (a temp file, a multipart upload, an HDFS temp
path) and the final name appears only on ``commit``; ``abort`` (or an exception inside ``with``) leaves
nothing visible.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import BinaryIO

from migrate import checksums

DEFAULT_CHECKSUM = checksums.DEFAULT
CHUNK = 1 << 20


@dataclass(frozen=True)
class FileInfo:
    """What a store says about one entry."""

    uri: str
    size: int
    mtime: float  # seconds since the epoch
    is_dir: bool = False
    native_checksum: str | None = None  # "<kind>:<value>", e.g. "etag:..."; never comparable across stores
    owner: str | None = None
    # Set when the entry is listed but will not be read: a symlink the local backend does not follow, a
    # folder it cannot list. Walks report such entries (so nothing is skipped silently); readers refuse them.
    refused: str | None = None

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class PutResult:
    info: FileInfo
    checksum: str  # "<algorithm>:<hex>" of the bytes written, computed while streaming


@dataclass
class Hasher:
    """Checksum of a byte stream, updated as it passes."""

    algorithm: str = DEFAULT_CHECKSUM
    size: int = 0
    _h: object = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._h = checksums.new(self.algorithm)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._h.update(data)  # type: ignore[attr-defined]
        self.size += len(data)

    def digest(self) -> bytes:
        """The raw digest of the bytes so far (a CRC32C is 4 bytes, big-endian)."""
        return self._h.digest()  # type: ignore[attr-defined]

    def result(self) -> str:
        return f"{self.algorithm}:{self._h.hexdigest()}"  # type: ignore[attr-defined]


class ReadStream(io.RawIOBase):
    """A read-only raw stream defined by ``read(n)``; ``readinto`` (what io.BufferedReader and pyarrow
    call) is derived from it, so each reader implements only how it fetches bytes."""

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class AtomicWriter(io.RawIOBase):
    """A write-only stream whose target appears only on ``commit()``.

    Used as a context manager: a clean exit commits, an exception aborts. Subclasses implement
    ``_write``, ``_commit`` (returning the final FileInfo) and ``_abort``.
    """

    def __init__(self, uri: str, checksum: str = DEFAULT_CHECKSUM) -> None:
        super().__init__()
        self.uri = uri
        self.hasher = Hasher(checksum)
        self.result: PutResult | None = None
        self._done = False

    def writable(self) -> bool:
        return True

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self._done:
            raise ValueError(f"write after commit/abort: {self.uri}")
        mv = memoryview(b).cast("B")
        if mv.nbytes:
            self._write(mv)
            self.hasher.update(mv)
        return mv.nbytes

    def tell(self) -> int:
        return self.hasher.size

    def commit(self) -> PutResult:
        if self.result is not None:
            return self.result
        if self._done:
            raise ValueError(f"commit after abort: {self.uri}")
        info = self._commit()
        self._done = True
        self.result = PutResult(info=info, checksum=self.hasher.result())
        return self.result

    def abort(self) -> None:
        if not self._done:
            self._done = True
            self._abort()

    def close(self) -> None:
        # Closing without commit (e.g. pyarrow closing its sink) must not publish: commit is explicit.
        super().close()

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if et is None:
            self.commit()
        else:
            self.abort()

    @abstractmethod
    def _write(self, data: memoryview) -> None: ...

    @abstractmethod
    def _commit(self) -> FileInfo: ...

    @abstractmethod
    def _abort(self) -> None: ...


class Storage(ABC):
    """One store. Methods take full URIs of this store's scheme."""

    scheme: str = ""
    # Writers stage into temporary files beside the target (a crash can leave them behind); object
    # stores stage into multipart uploads instead, which are invisible and swept separately.
    writes_temp_files: bool = True

    @abstractmethod
    def list(self, uri: str) -> Iterator[FileInfo]:
        """Direct children of a folder (files and folders), paged lazily. NotFound if absent."""

    def walk(self, uri: str) -> Iterator[FileInfo]:
        """Every file below a folder, recursively, lazily. Backends with flat listings override."""
        stack = [uri]
        while stack:
            current = stack.pop()
            subdirs = []
            for entry in self.list(current):
                if entry.is_dir:
                    subdirs.append(entry.uri)
                else:
                    yield entry
            stack.extend(reversed(subdirs))

    @abstractmethod
    def stat(self, uri: str) -> FileInfo:
        """Size, mtime and native checksum where cheap. NotFound if absent."""

    @abstractmethod
    def open(self, uri: str, offset: int = 0, length: int | None = None) -> BinaryIO:
        """A streaming reader of ``length`` bytes from ``offset`` (to the end when None)."""

    @abstractmethod
    def writer(self, uri: str, checksum: str = DEFAULT_CHECKSUM) -> AtomicWriter:
        """An atomic writer to ``uri`` (overwrites an existing object on commit)."""

    @abstractmethod
    def delete(self, uri: str, recursive: bool = False) -> None:
        """Remove a file (or a folder with recursive=True). Absent is not an error."""

    def exists(self, uri: str) -> bool:
        from migrate.errors import NotFound

        try:
            self.stat(uri)
        except NotFound:
            return False
        return True

    def read_bytes(self, uri: str, offset: int = 0, length: int | None = None) -> bytes:
        with self.open(uri, offset, length) as f:
            return f.read()

    def put(
        self, uri: str, data: bytes | BinaryIO | Iterable[bytes], checksum: str = DEFAULT_CHECKSUM
    ) -> PutResult:
        """Write ``data`` atomically and return its info and content checksum."""
        with self.writer(uri, checksum) as w:
            for chunk in iter_chunks(data):
                w.write(chunk)
        assert w.result is not None
        return w.result

    def checksum(self, uri: str, algorithm: str = DEFAULT_CHECKSUM) -> str:
        """Content checksum computed by streaming the object (comparable across stores)."""
        h = Hasher(algorithm)
        with self.open(uri) as f:
            for chunk in iter_chunks(f):
                h.update(chunk)
        return h.result()

    def close(self) -> None:  # noqa: B027 - optional hook; most backends hold nothing to release
        """Release connections and pools."""


def iter_chunks(data: bytes | BinaryIO | Iterable[bytes], size: int = CHUNK) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        mv = memoryview(data)
        for i in range(0, len(mv), size):
            yield bytes(mv[i : i + size])
        return
    read = getattr(data, "read", None)
    if read is not None:
        while True:
            chunk = read(size)
            if not chunk:
                return
            yield chunk
    else:
        yield from data


def join_uri(base: str, *parts: str) -> str:
    """``base`` + relative ``parts``; never a URI outside ``base``.

    Leading and trailing ``/`` of each part are dropped (an absolute name stays under ``base``); a ``..`` or
    ``.`` segment (a file named ``a/../../etc`` in an object store, a crafted plan) or a NUL byte raises
    UnsafePath instead of naming something outside the prefix (or being normalised into it by a server).
    """
    out = base.rstrip("/")
    for p in parts:
        rel = p.strip("/")
        if "\0" in rel or any(seg in (".", "..") for seg in rel.split("/")):
            from migrate.errors import UnsafePath

            raise UnsafePath(f"{safe_text(p)!r} would leave {safe_text(base)}: names with '.' or '..' segments or "
                             "NUL bytes are not copied", base)
        out = f"{out}/{rel}"
    return out


def safe_text(name: str) -> str:
    """``name`` as printable UTF-8: bytes of a POSIX name that are not UTF-8 (surrogate escapes) as ``\\xNN``."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
