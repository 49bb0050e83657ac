"""Resolve once, check, connect there: the address rule applied to the address a connection really uses.

httpx resolves a name again when it connects, so a check made on the URL alone is outrun by DNS
rebinding (a name answering a public address to the check and 169.254.169.254 to the connection).
Here each host is resolved once per crawl into an AddressBook, every answer is checked with
netguard's rules, and the crawl's connections are opened by a network backend under httpcore that
dials one of those checked addresses. Everything above the socket stays the URL's: the Host header,
TLS SNI and the certificate check for the hostname (httpcore takes those from the URL's origin).
Only new connections pass here: a kept-alive connection costs nothing extra per request.

A crawl lasts at most its deadline (options.py), so a pinned answer outliving a DNS change only
delays the change to the next crawl.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from goodseed_dagster.scraping.netguard import Resolver, is_forbidden_ip, literal_ip, system_resolver

MAX_HOSTS = 1024  # answers remembered per crawl (a seller has a handful of hosts) before starting over


class AddressRefused(Exception):
    """A connection to `host` was refused where the socket would have opened (the message says why)."""


class AddressBook:
    """Each host's checked addresses, looked up once per crawl; the Gate's check and the connection
    read the same answer. With `check=False` (local sources) names are still resolved once but any
    address is allowed."""

    def __init__(
        self, resolver: Resolver | None = None, *, check: bool = True, max_hosts: int = MAX_HOSTS
    ) -> None:
        self.resolver, self.check, self.max_hosts = resolver or system_resolver, check, max_hosts
        # host -> its addresses, or why it is refused; a task so concurrent first callers share one lookup
        self._answers: dict[str, asyncio.Future[tuple[str, ...] | str]] = {}

    async def refusal(self, host: str) -> str | None:
        """Why `host` must not be requested, or None (always None when checks are off)."""
        if not self.check:
            return None
        answer = await self._lookup(host)
        return answer if isinstance(answer, str) else None

    async def addresses(self, host: str) -> tuple[str, ...]:
        """The addresses a connection to `host` may use, in the resolver's order; raises AddressRefused."""
        answer = await self._lookup(host)
        if isinstance(answer, str):
            raise AddressRefused(answer)
        return answer

    async def _lookup(self, host: str) -> tuple[str, ...] | str:
        answer = self._answers.get(host)
        if answer is None:
            if len(self._answers) >= self.max_hosts:
                self._answers.clear()
            answer = self._answers[host] = asyncio.ensure_future(self._resolve(host))
        return await asyncio.shield(answer)  # a cancelled caller must not cancel the shared lookup

    async def _resolve(self, host: str) -> tuple[str, ...] | str:
        ip = literal_ip(host)  # any spelling of an IP is judged as that IP, never looked up as a name
        if ip is not None:
            return f"{host} is a non-public address" if self.check and is_forbidden_ip(ip) else (str(ip),)
        try:
            found = await self.resolver(host)
        except (OSError, UnicodeError) as e:  # UnicodeError: a name the IDNA codec rejects
            return f"cannot resolve {host}: {e}"
        if not found:
            return f"cannot resolve {host}: no addresses"
        addresses: list[str] = []
        for addr in found:
            resolved = literal_ip(addr)
            if resolved is None or (self.check and is_forbidden_ip(resolved)):
                return f"{host} resolves to non-public address {addr}"
            addresses.append(str(resolved))
        return tuple(addresses)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, dialling the AddressBook's checked addresses instead of the name.

    `inner` opens the sockets (anyio by default; tests route public addresses to local servers).
    """

    def __init__(self, book: AddressBook, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.book, self.inner = book, inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in await self.book.addresses(host):  # in order, as a resolver's answers are tried
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as e:
                failure = e
        raise failure or httpcore.ConnectError(f"no address for {host}")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (pooling, HTTP/1.1, TLS), its sockets opened by a PinnedBackend.

    No proxy from the environment: a proxy would resolve the name itself, past the check.
    """

    def __init__(
        self,
        book: AddressBook,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        connector: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx has no public hook for the network backend: the pool it built is replaced by the same
        # pool on ours (httpcore's public constructor; test_netguard fails if httpx stops using _pool).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(book, connector),
        )
