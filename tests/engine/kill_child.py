"""Child process of the kill test: run one dataset of a plan file with the engine, print the report."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace

from migrate.engine import run_dataset
from migrate.plan import load_plan
from tests.engine.helpers import reader_options

if __name__ == "__main__":
    plan = load_plan(sys.argv[1])
    opts = reader_options(split_bytes=int(os.environ.get("KILL_SPLIT_BYTES", 4 << 20)), use_processes=True,
                          iceberg_commit_files=5)
    rg = int(os.environ.get("KILL_ROW_GROUP_ROWS", 0))
    if rg:  # small row groups: output streams out while the range is read (multipart parts in flight)
        opts = replace(opts, writer=replace(opts.writer, row_group_rows=rg))
    rep = run_dataset(plan, "events", concurrency=2, options=opts)
    print(json.dumps(rep.to_dict()))
