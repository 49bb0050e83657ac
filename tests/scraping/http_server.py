"""A real HTTP/1.1 server on 127.0.0.1 for crawler tests, with scriptable misbehaviour.

http.server in a thread, not an ASGI app: the tests need byte-level control (a Content-Length
that lies, a close-delimited body, a stall before the headers) and the exact arrival time of each
request, measured server-side.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it; `t` is the site's clock when its request line arrived."""

    path: str
    t: float
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    """What to answer: `truncate_to` sends fewer bytes than declared, `stream` omits Content-Length."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate_to: int | None = None
    stream: bool = False


Handler = Callable[[Hit], Reply]


def html(*hrefs: str, text: str = "") -> Reply:
    """A page linking to `hrefs`."""
    links = "".join(f'<a href="{h}">{h}</a>\n' for h in hrefs)
    return Reply(
        body=f"<html><body>{text}\n{links}</body></html>".encode(), headers={"Content-Type": "text/html"}
    )


def sequence(*replies: Reply) -> Handler:
    """Answer with each reply in turn, then keep repeating the last one."""
    it = itertools.chain(replies, itertools.repeat(replies[-1]))
    lock = threading.Lock()

    def handle(_: Hit) -> Reply:
        with lock:
            return next(it)

    return handle


def links_of(page: Any) -> list[str]:
    """The test sites' link extractor: every href, resolved by the crawler."""
    return re.findall(r'href="([^"]+)"', page.body.decode("utf-8", "replace"))


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        hit = Hit(self.path, site.clock(), {k.lower(): v for k, v in self.headers.items()})
        with site.lock:
            site.hits.append(hit)
            handler = site.routes.get(self.path.split("?")[0])
        reply = handler(hit) if handler else Reply(404, b"not found")
        if reply.delay_s:
            time.sleep(reply.delay_s)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.stream:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        body = reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to]
        for start in range(0, len(body), 64 * 1024):
            self.wfile.write(body[start : start + 64 * 1024])
        if reply.truncate_to is not None:
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures anyway
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    site: Site

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or abort a huge body leave broken pipes behind; that is the point.
        pass


class Site:
    """Routes (exact path -> handler) and every request received, in arrival order.

    `clock` stamps each hit: time.monotonic, or a test's virtual clock when the crawler runs on it.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.routes: dict[str, Handler] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.port = 0

    def route(self, path: str, reply: Reply | Handler) -> None:
        self.routes[path] = reply if callable(reply) else sequence(reply)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def paths(self) -> list[str]:
        with self.lock:
            return [h.path for h in self.hits]


@contextmanager
def serve(clock: Callable[[], float] = time.monotonic) -> Iterator[Site]:
    """Run a Site on 127.0.0.1, a free port, until the block ends."""
    site = Site(clock)
    server = _Server(("127.0.0.1", 0), _RequestHandler)
    server.site = site
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class MappedTransport(httpx.AsyncBaseTransport):
    """Connects named hosts to 127.0.0.1 (an /etc/hosts for one client); refuses every other host.

    Lets a test treat the local server as a public seller (source.local=False) and prove that a
    refused redirect sent no packet: any request for an unmapped host lands in `unmapped`.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = set(names)
        self.unmapped: list[str] = []
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host not in self.names:
            self.unmapped.append(str(request.url))
            raise httpx.ConnectError(f"test transport: no route to {request.url.host}", request=request)
        request.url = request.url.copy_with(host="127.0.0.1")  # the Host header keeps the name
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
