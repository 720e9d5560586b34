"""Storage backends chosen by URI scheme.

``open_storage(uri, **options)`` returns the backend for a URI. Options are backend settings
(endpoints, users, part sizes, names of credential env vars), never literal secrets.
Optional backends import lazily so a missing dependency names the package to install.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from typing import Any

from migrate.errors import ConfigError, UnsupportedError
from migrate.storage.base import AtomicWriter, FileInfo, PutResult, Storage

__all__ = ["AtomicWriter", "FileInfo", "PutResult", "Storage", "open_storage", "scheme_of"]

# scheme -> "module:factory"; the factory takes (uri, **options) and returns a Storage.
BACKENDS: dict[str, str] = {
    "file": "migrate.storage.local:LocalStorage",
    "webhdfs": "migrate.storage.webhdfs:from_uri",
    "hdfs": "migrate.storage.webhdfs:from_uri",
    "s3": "migrate.storage.s3:from_uri",
    "s3a": "migrate.storage.s3:from_uri",
    "jfs": "migrate.storage.jfs:from_uri",
}

_cache: dict[tuple[str, str, str], Storage] = {}
_lock = threading.Lock()


def scheme_of(uri: str) -> str:
    head, sep, _ = uri.partition("://")
    return head.lower() if sep and "/" not in head else "file"


def _factory(scheme: str) -> Any:
    target = BACKENDS.get(scheme)
    if target is None:
        raise UnsupportedError(f"no storage backend for scheme {scheme!r} (known: {', '.join(sorted(BACKENDS))})")
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise ConfigError(
            f"the {scheme}:// backend needs a missing package ({exc.name}); pip install 'migrate'"
        ) from exc


def _credential_fingerprint(options: dict[str, Any]) -> str:
    """A digest of the values behind ``*_env`` options: rotated credentials get a fresh client,
    and no secret is kept in the cache key itself."""
    names = sorted(v for k, v in options.items() if k.endswith("_env") and isinstance(v, str))
    if not names:
        return ""
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + b"=" + os.environ.get(name, "").encode() + b"\0")
    return h.hexdigest()


def open_storage(uri: str, **options: Any) -> Storage:
    """The (cached) backend for ``uri``; one instance per scheme, authority, options and credentials."""
    scheme = scheme_of(uri)
    authority = uri.split("://", 1)[1].split("/", 1)[0] if "://" in uri else ""
    key = (scheme, authority, repr(sorted(options.items())) + _credential_fingerprint(options))
    with _lock:
        store = _cache.get(key)
        if store is None:
            factory = _factory(scheme)
            store = factory() if scheme == "file" else factory(uri, **options)
            _cache[key] = store
        return store
