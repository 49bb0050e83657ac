"""Jobs for tests/test_run_launcher.py, loaded as a code location; the launcher's fork server preloads this
module, so `IMPORTED_IN` is the pid of the process that imported it."""

import json
import os
import time
from pathlib import Path

import dagster as dg

IMPORTED_IN = os.getpid()


class Out(dg.Config):
    path: str


@dg.op
def where_am_i(config: Out) -> None:
    Path(config.path).write_text(
        json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "imported_in": IMPORTED_IN})
    )


@dg.op
def wait_for_stop(config: Out) -> None:
    """Says it started, then waits (up to a minute) for an interrupt."""
    Path(config.path).write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)


@dg.job
def report_process() -> None:
    where_am_i()


@dg.job
def wait() -> None:
    wait_for_stop()


defs = dg.Definitions(jobs=[report_process, wait], executor=dg.in_process_executor)
