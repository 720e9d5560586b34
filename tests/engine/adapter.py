"""A reader for the "source changed while read" test: the real reader, plus a write to the file the
first time it is opened (named in the marker file $MIGRATE_TEST_MUTATE_ONCE points to)."""

from __future__ import annotations

import os
import time
from typing import Any

from migrate.formats import open_batches


def open_batches_mutating(store: Any, uri: str, fmt: Any, schema: Any, **kw: Any) -> Any:
    marker = os.environ.get("MIGRATE_TEST_MUTATE_ONCE")
    stream = open_batches(store, uri, fmt, schema, **kw)
    if marker and os.path.exists(marker):
        with open(marker) as m:
            path = m.read().strip()
        if uri.endswith(path):
            os.remove(marker)
            with open(path, "a") as f:
                f.write("999999,late,1.0,2024-01-01,2024-01-01 00:00:00,true\n")
            st = os.stat(path)
            os.utime(path, (st.st_atime, time.time() + 2))
    return stream
