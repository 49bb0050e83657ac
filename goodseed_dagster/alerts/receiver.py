"""A local alert receiver: records what apprise's `json://` plugin posts, for the tests and the demo.

    with AlertReceiver() as receiver:
        settings = Settings(alert_urls=[receiver.apprise_url])
        ...
        for alert in receiver.alerts(): print(alert.title)

`fail_next(n)` makes the next n posts answer 500, so a test can watch a delivery fail and be retried.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True, slots=True)
class ReceivedAlert:
    path: str
    title: str
    message: str
    type: str  # apprise's notify type: failure, warning, ...

    def field(self, label: str) -> str | None:
        """A `Label: value` line of the body (Seller, Check, Reason, Run, ...)."""
        for line in self.message.splitlines():
            name, sep, value = line.partition(": ")
            if sep and name == label:
                return value
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.owner._take_failure():
            self.send_response(500)
            self.end_headers()
            return
        try:
            payload: dict[str, Any] = json.loads(raw)
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        self.server.owner._record(
            ReceivedAlert(
                self.path,
                str(payload.get("title", "")),
                str(payload.get("message", "")),
                str(payload.get("type", "")),
            )
        )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo's output is its summary
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: AlertReceiver


class AlertReceiver:
    """An HTTP server on 127.0.0.1 (ephemeral port unless given) in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, path: str = "/alerts") -> None:
        self._server = _Server((host, port), _Handler)
        self._server.owner = self
        self._lock = threading.Lock()
        self._received: list[ReceivedAlert] = []
        self._failures = 0
        self.path = path
        self._thread = threading.Thread(target=self._server.serve_forever, name="alert-receiver", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def apprise_url(self) -> str:
        """The apprise URL that posts here (`json://` sends JSON with title, message and type)."""
        return f"json://127.0.0.1:{self.port}{self.path}"

    def start(self) -> AlertReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> AlertReceiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def alerts(self) -> list[ReceivedAlert]:
        """Every alert received so far, oldest first (what the demo's summary lists)."""
        with self._lock:
            return list(self._received)

    def fail_next(self, n: int = 1) -> None:
        """Answer the next `n` posts with 500 (a receiver that is down)."""
        with self._lock:
            self._failures = n

    def _take_failure(self) -> bool:
        with self._lock:
            if self._failures > 0:
                self._failures -= 1
                return True
            return False

    def _record(self, alert: ReceivedAlert) -> None:
        with self._lock:
            self._received.append(alert)


def summary_lines(alerts: list[ReceivedAlert]) -> list[str]:
    """One line per alert for a printed summary: title, then reason."""
    return [f"{a.title} — {a.field('Reason') or a.message.splitlines()[0]}" for a in alerts]
