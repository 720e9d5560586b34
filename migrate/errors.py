"""One root exception type; subclasses say whether a retry can help.

``TransientError``: the same call may succeed later (throttling, a reset connection, a 503).
``TerminalError``: retrying cannot help (bad input, wrong credentials, a missing file).
Every message names the thing at fault (file, line, key, row, endpoint) and never a secret.
"""

from __future__ import annotations


class MigrateError(Exception):
    """Root of every error this package raises on purpose."""


class TransientError(MigrateError):
    """A failure that a retry with backoff may cure."""


class TerminalError(MigrateError):
    """A failure that retrying cannot cure."""


class PlanError(TerminalError):
    """A migration plan is malformed; ``problems`` lists every finding with its location."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class ConfigError(TerminalError):
    """Settings or credentials are missing or wrong."""


class StorageError(MigrateError):
    """A storage operation failed; ``uri`` names the object."""

    def __init__(self, message: str, uri: str | None = None) -> None:
        super().__init__(message)
        self.uri = uri


class NotFound(StorageError, TerminalError):
    """The object or folder does not exist."""


class AuthError(StorageError, TerminalError):
    """The store refused our credentials or permissions."""


class EndpointUnreachable(StorageError, TransientError):
    """The store's endpoint did not answer (refused, timed out, DNS)."""


class TlsError(StorageError, TerminalError):
    """The endpoint's TLS certificate is not trusted (or the handshake failed for good): names the endpoint
    and the CA bundle in use."""


class TransientStorageError(StorageError, TransientError):
    """Throttling, 5xx or a dropped connection: retry with backoff."""


class UnsafePath(StorageError, TerminalError):
    """A name that would leave the folder it is joined to ('..' or '.' segments, a NUL byte) or that is not
    text (a POSIX file name that is not UTF-8): refused before anything is read or written."""


class IntegrityError(StorageError, TerminalError):
    """Bytes read or written do not match what was expected (size, checksum, changed source)."""


class LedgerError(TerminalError):
    """The run ledger (SQLite in the state dir) cannot be read or written; names its path and what to do."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class FormatError(TerminalError):
    """A data file cannot be read as its declared format; names the file and offset/line."""


class UnsupportedError(TerminalError):
    """A construct, codec or option this version cannot handle; says which."""


class OutputError(TerminalError):
    """An output file or folder (inventory, report, schema, translation) cannot be written; names the path."""
