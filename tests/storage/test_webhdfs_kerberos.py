"""WebHDFS with ``auth: kerberos`` (the optional ``kerberos`` extra, see docs/security.md).

Without the extra (the default set-up: gssapi needs libkrb5-dev to build), a plan asking for Kerberos fails
before anything is read, naming the endpoint and the install steps. With it, the store's session carries
the ``hdfs`` package's Kerberos authenticator and stops sending ``user.name``; the protocol test server asks
for no SPNEGO, so the files are read as usual (no KDC runs here: a real ticket exchange is not tested).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from migrate.errors import ConfigError
from migrate.plan import check_plan_text, load_plan_text
from migrate.storage.webhdfs import from_uri

pytestmark = pytest.mark.webhdfs

HAS_EXTRA = importlib.util.find_spec("requests_kerberos") is not None


def _plan(url: str, extra: str = "") -> str:
    return f"version: 1\nname: krb\nsources:\n  hdfs: {{kind: webhdfs, url: '{url}', auth: kerberos{extra}}}\n"


def test_plan_options() -> None:
    plan = load_plan_text(_plan("http://nn:9870", ", principal: etl@EXAMPLE.COM"))
    assert plan.location("hdfs", "/data")[1] == {"url": "http://nn:9870", "auth": "kerberos",
                                                 "principal": "etl@EXAMPLE.COM"}
    assert "user is for simple auth" in check_plan_text(_plan("http://nn:9870", ", user: hadoop"))[0].message
    simple = "version: 1\nname: krb\nsources:\n  hdfs: {kind: webhdfs, url: 'http://nn:9870', principal: p}\n"
    assert "only for auth: kerberos" in check_plan_text(simple)[0].message


@pytest.mark.skipif(HAS_EXTRA, reason="the kerberos extra is installed")
def test_without_the_extra_the_error_says_how_to_install_it(webhdfs_server: Any) -> None:
    with pytest.raises(ConfigError) as err:
        from_uri(webhdfs_server.root_uri, url=webhdfs_server.url, auth="kerberos")
    msg = str(err.value)
    assert webhdfs_server.url in msg and "libkrb5-dev" in msg and "migrate[kerberos]" in msg


@pytest.mark.skipif(not HAS_EXTRA, reason="needs the kerberos extra (libkrb5-dev + pip install 'migrate[kerberos]')")
def test_with_the_extra_the_session_negotiates(webhdfs_server: Any, tmp_path: Path) -> None:
    from hdfs.ext.kerberos import _HdfsHTTPKerberosAuth

    (webhdfs_server.local_dir / "krb").mkdir(exist_ok=True)
    (webhdfs_server.local_dir / "krb" / "a.txt").write_bytes(b"hello")
    store = from_uri(webhdfs_server.root_uri, url=webhdfs_server.url, auth="kerberos")
    assert isinstance(store._session.auth, _HdfsHTTPKerberosAuth) and store.user is None
    assert store.read_bytes(f"{webhdfs_server.root_uri}krb/a.txt") == b"hello"
