"""One code server for the webserver and the daemon of a single host (`make demo`, bench/refresh.py).

With `python_module` in the workspace each of them spawns a code server of its own, and the daemon replaces
its own every minute (Dagster refreshes a daemon's workspace every 60 s, starting a new server process): a
full load of the code location, ~4.5 CPU-seconds a minute on 2 cores, taken from the runs. As in deploy/
(docker compose, Helm), both connect to one `dagster code-server start` instead, through a workspace file
written next to the instance.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

LOCATION = "goodseed"
MODULE = "goodseed_dagster.definitions"


def free_port() -> int:
    """A port nothing listens on now (the demo's code server, tests, benchmarks)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(port: int) -> list[str]:
    return [
        str(Path(sys.executable).parent / "dagster"),
        *("code-server", "start", "-m", MODULE, "--location-name", LOCATION),
        *("-h", "127.0.0.1", "-p", str(port)),
    ]


def workspace(directory: Path, port: int) -> Path:
    """workspace.yaml for the webserver and the daemon: the location served on `port`."""
    path = directory / "workspace.yaml"
    server = {"host": "127.0.0.1", "port": port, "location_name": LOCATION}
    path.write_text(yaml.safe_dump({"load_from": [{"grpc_server": server}]}))
    return path


def wait_until_serving(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 180.0) -> None:
    """Until the server answers with the code location loaded: a daemon that starts before it would find no
    schedules until its next workspace refresh, a minute later."""
    from dagster._grpc.client import DagsterGrpcClient

    client = DagsterGrpcClient(port=port, host="127.0.0.1")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the code server exited with status {proc.returncode}; see its log")
        try:
            if client.list_repositories():
                return
        except Exception:  # not listening yet, or still loading the definitions
            time.sleep(0.5)
    raise RuntimeError(f"the code server did not serve {MODULE} on port {port} within {timeout_s:.0f} s")
