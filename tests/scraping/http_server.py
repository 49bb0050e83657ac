"""A real HTTP/1.1 (or HTTPS) server on 127.0.0.1 for crawler tests, with scriptable misbehaviour.

http.server in a thread, not an ASGI app: the tests need byte-level control (a Content-Length
that lies, a close-delimited body, a stall before the headers) and the exact arrival time of each
request, measured server-side.
"""

from __future__ import annotations

import itertools
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


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
        self.sni: list[str | None] = []  # the TLS server name of each handshake (serve(tls=...))
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
def serve(
    clock: Callable[[], float] = time.monotonic, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
) -> Iterator[Site]:
    """Run a Site on `host` (a 127.x address), a free port, until the block ends; over TLS with `tls`."""
    site = Site(clock)
    server = _Server((host, 0), _RequestHandler)
    if tls is not None:
        tls.sni_callback = lambda _sock, name, _ctx: site.sni.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
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


def tls_server_context(directory: Path, hostname: str) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate for `hostname` from a throwaway CA, and that CA's PEM file
    (point SSL_CERT_FILE at it and httpx trusts the server, for that hostname only)."""
    now = datetime.now(UTC)

    def issue(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
        )
        if signer is key:  # the CA
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "GoodSeed test CA")])
    ca = issue("GoodSeed test CA", ca_key, ca_name, ca_key)
    leaf = issue(hostname, leaf_key, ca_name, ca_key)
    ca_file, chain, key_file = directory / "ca.pem", directory / "leaf.pem", directory / "leaf.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key_file)
    return context, ca_file


class MappedNetwork(httpcore.AsyncNetworkBackend):
    """The sockets under a crawl's pinned connections (CrawlOptions.connector): an /etc/hosts for addresses.

    Dials `routes[address]` instead of a routed address (a "public" address served by a local test
    server) and any other address as is; `connects` lists every (address, port) asked for, so a test
    sees exactly where the crawler tried to open a socket.
    """

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self.connects: list[tuple[str, int]] = []
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        return await self.inner.connect_tcp(self.routes.get(host, host), port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
