"""Local receivers for the tests and the demo: a real SMTP server (aiosmtpd) and a webhook receiver that
checks signatures. Both listen on 127.0.0.1 on a free port and record what arrives.

SmtpSink knobs: `fail_next(n)` answers 554 to the next n messages, `fail_for` refuses some recipients,
`down()`/`up()` close and reopen the port (connection refused in between), `on_accept` runs before the
250 reply (a test can hold the sender there).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from goodseed_dagster.notify.signing import verify_signature


@dataclass
class Received:
    """One accepted message."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        sink = self.sink
        with sink.lock:
            if sink.failures_left > 0:
                sink.failures_left -= 1
                return "554 5.7.1 refused by the test sink"
            if sink.fail_for & {str(r) for r in envelope.rcpt_tos}:
                return "550 5.1.1 mailbox refused by the test sink"
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        msg = email.message_from_bytes(data, policy=email.policy.default)
        received = Received(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], msg)
        with sink.lock:
            sink.messages.append(received)
        if sink.on_accept is not None:
            sink.on_accept(received)
        return "250 OK"


class _FreePortController(Controller):
    """aiosmtpd's Controller connects to `port` to start the server: learn the real port of port 0 first."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpSink:
    """A real SMTP server in a thread; `messages` holds what it accepted."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Received] = field(default_factory=list)
    fail_for: set[str] = field(default_factory=set)
    failures_left: int = 0
    on_accept: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    def start(self) -> SmtpSink:
        self._controller = _FreePortController(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def down(self) -> None:
        """Close the port: connections are refused until `up()` (same port)."""
        self.stop()

    def up(self) -> None:
        if self._controller is None:
            self.start()

    def fail_next(self, n: int) -> None:
        with self.lock:
            self.failures_left = n

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Delivery:
    """One webhook POST as received, and whether its signature checked out."""

    valid: bool
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """A stdlib HTTP server in a thread: verifies X-GoodSeed-Signature with `secret`, answers 204 to a valid
    delivery and 401 to an invalid one, and records both."""

    def __init__(self, secret: str, max_age_s: float = 300, host: str = "127.0.0.1") -> None:
        self.secret, self.max_age_s = secret, max_age_s
        self.deliveries: list[Delivery] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = verify_signature(
                    receiver.secret, self.headers.get("X-GoodSeed-Timestamp", ""), body,
                    self.headers.get("X-GoodSeed-Signature", ""), max_age_s=receiver.max_age_s,
                )  # fmt: skip
                receiver.deliveries.append(Delivery(valid, dict(self.headers.items()), body))
                self.send_response(204 if valid else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    @property
    def valid(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.valid]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
