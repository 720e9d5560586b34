"""Dead endpoints and wrong credentials give clear errors, quickly, on every networked backend."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import pytest

from migrate.errors import AuthError, EndpointUnreachable
from migrate.storage import open_storage

SECRET = "wrong-secret-value-123"


def dead_port() -> int:
    # Bind then close: nothing listens there afterwards, so connections are refused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_fails_fast(exc_type: type[Exception], uri: str, options: dict[str, Any], limit: float = 15.0) -> str:
    start = time.monotonic()
    with pytest.raises(exc_type) as err:
        store = open_storage(uri, **options)
        store.stat(uri)
    elapsed = time.monotonic() - start
    assert elapsed < limit, f"took {elapsed:.1f}s"
    message = str(err.value)
    assert SECRET not in message
    return message


@pytest.mark.webhdfs
def test_webhdfs_unreachable() -> None:
    port = dead_port()
    msg = assert_fails_fast(EndpointUnreachable, f"webhdfs://127.0.0.1:{port}/data/x", {"user": "u"})
    assert f"127.0.0.1:{port}" in msg


@pytest.mark.s3
def test_s3_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEAD_KEY", "k")
    monkeypatch.setenv("DEAD_SECRET", SECRET)
    port = dead_port()
    opts = {"endpoint_url": f"http://127.0.0.1:{port}", "access_key_id_env": "DEAD_KEY",
            "secret_access_key_env": "DEAD_SECRET", "region": "us-east-1"}
    msg = assert_fails_fast(EndpointUnreachable, "s3://bucket/x", opts)
    assert f"127.0.0.1:{port}" in msg


@pytest.mark.juicefs
def test_jfs_gateway_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEAD_KEY", "k")
    monkeypatch.setenv("DEAD_SECRET", SECRET)
    port = dead_port()
    opts = {"endpoint_url": f"http://127.0.0.1:{port}", "access_key_id_env": "DEAD_KEY",
            "secret_access_key_env": "DEAD_SECRET"}
    assert_fails_fast(EndpointUnreachable, "jfs://vol/x", opts)


@pytest.mark.webhdfs
def test_webhdfs_wrong_user(webhdfs_auth_server: Any) -> None:
    opts = dict(webhdfs_auth_server.options, user="intruder")
    msg = assert_fails_fast(AuthError, webhdfs_auth_server.root_uri + "x", opts)
    assert "intruder" in msg


@pytest.mark.s3
def test_s3_wrong_secret(seaweedfs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = seaweedfs.root_uri("authcheck")
    opts = dict(seaweedfs.options)
    monkeypatch.setenv("WRONG_SECRET", SECRET)
    opts["secret_access_key_env"] = "WRONG_SECRET"
    msg = assert_fails_fast(AuthError, root + "/x", opts)
    assert "WRONG_SECRET" in msg or "credentials" in msg.lower()


@pytest.mark.juicefs
def test_jfs_gateway_wrong_secret(juicefs_gateway: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    opts = dict(juicefs_gateway.options)
    monkeypatch.setenv("WRONG_SECRET", SECRET)
    opts["secret_access_key_env"] = "WRONG_SECRET"
    assert_fails_fast(AuthError, juicefs_gateway.root_uri + "x", opts)


@pytest.mark.s3
def test_rotated_credentials_take_effect_without_restart(seaweedfs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = seaweedfs.root_uri("rotation")
    opts = dict(seaweedfs.options, secret_access_key_env="ROTATING_SECRET")
    good = os.environ[seaweedfs.options["secret_access_key_env"]]
    monkeypatch.setenv("ROTATING_SECRET", SECRET)
    with pytest.raises(AuthError):
        open_storage(root + "/x", **opts).put(root + "/x", b"1")
    monkeypatch.setenv("ROTATING_SECRET", good)  # fixed: the same process now succeeds
    open_storage(root + "/x", **opts).put(root + "/x", b"1")
    assert open_storage(root + "/x", **opts).read_bytes(root + "/x") == b"1"
