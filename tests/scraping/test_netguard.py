"""The network edge: which addresses and origins a crawl may reach, and that a connection goes only to
the address that was checked (no DNS rebinding), with Host, SNI and the certificate check kept."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_server import MappedNetwork, Reply, Site, html, links_of, serve, tls_server_context
from pydantic import ValidationError

from goodseed_dagster.scraping.archive import LocalObjectStore
from goodseed_dagster.scraping.fetch import CrawlResult, crawl, crawl_sync
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.scraping.netguard import (
    is_forbidden_ip,
    literal_ip,
    origin_refusal,
    seller_origins,
)
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.pinning import AddressBook, AddressRefused, PinnedTransport

PUBLIC = "93.184.216.34"  # the "public" address the test resolvers answer; MappedNetwork serves it locally
PRIVATE = "127.0.0.2"  # where a rebinding resolver points later: a listening socket there must stay silent


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata (link-local)
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "100.100.100.200",  # a cloud metadata address inside 100.64.0.0/10
        "0.0.0.0",
        "0.1.2.3",
        "192.0.0.8",
        "198.18.0.1",
        "224.0.0.1",  # multicast is_global in Python 3.11
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fe80::1",
        "fe80::1%eth0",  # zone id
        "fd00:ec2::254",  # cloud metadata over IPv6 (unique local)
        "fec0::1",  # deprecated site-local, is_global in Python 3.11
        "ff02::1",
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::a00:1",  # IPv4-compatible (deprecated)
        "2002:c0a8:101::1",  # 6to4 wrapping 192.168.1.1
        "2002:a9fe:a9fe::",  # 6to4 wrapping 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 wrapping 169.254.169.254
        "64:ff9b:1::5db8:d822",  # local-use NAT64: our own translator, whatever it wraps
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001:db8::1",
    ],
)
def test_non_public_addresses_are_forbidden(ip: str) -> None:
    assert is_forbidden_ip(ipaddress.ip_address(ip))


@pytest.mark.parametrize(
    "ip",
    [
        PUBLIC,
        "8.8.8.8",
        "2606:2800:220:1:248:1893:25c8:1946",
        f"::ffff:{PUBLIC}",  # judged by the IPv4 address it carries
        "2002:5db8:d822::1",
        "64:ff9b::5db8:d822",
    ],
)
def test_public_addresses_are_allowed(ip: str) -> None:
    assert not is_forbidden_ip(ipaddress.ip_address(ip))


@pytest.mark.parametrize(
    ("host", "ip"),
    [
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f000001", "127.0.0.1"),  # hex
        ("017700000001", "127.0.0.1"),  # octal
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),  # short
        ("127.0.0.1.", "127.0.0.1"),  # trailing dot
        ("0", "0.0.0.0"),
        ("1572395042", PUBLIC),
        ("[::1]", "::1"),
        ("fe80::1%25eth0", "fe80::1%25eth0"),  # a zone id as it appears in a URL
    ],
)
def test_odd_spellings_are_read_as_the_address_they_reach(host: str, ip: str) -> None:
    assert literal_ip(host) == ipaddress.ip_address(ip)


@pytest.mark.parametrize("host", ["shop.example", "cafe.be", "add.cab", "1.2.3.4.5", "0x.example", ""])
def test_names_are_not_addresses(host: str) -> None:
    assert literal_ip(host) is None


def never_resolve(host: str) -> Any:
    raise AssertionError(f"{host} looked up by name")


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "127.0.0.1.", "[::ffff:7f00:1]", "fe80::1%25eth0", "0"],
)
def test_spelled_addresses_are_refused_without_a_lookup(host: str) -> None:
    book = AddressBook(never_resolve)
    assert asyncio.run(book.refusal(host)) == f"{host} is a non-public address"


def test_the_book_resolves_each_host_once_and_checks_every_answer() -> None:
    calls: list[str] = []
    names = {"ok.test": [PUBLIC], "mixed.test": [PUBLIC, "10.1.2.3"], "meta.test": ["169.254.169.254"]}

    async def resolver(host: str) -> list[str]:
        calls.append(host)
        await asyncio.sleep(0)
        if host not in names:
            raise OSError("Name or service not known")
        return names[host]

    async def go() -> list[Any]:
        book = AddressBook(resolver)
        first = await asyncio.gather(*(book.addresses("ok.test") for _ in range(5)))  # one lookup, shared
        refusals = [await book.refusal(h) for h in ("ok.test", "mixed.test", "meta.test", "gone.test")]
        with pytest.raises(AddressRefused, match=r"resolves to non-public address 10\.1\.2\.3"):
            await book.addresses("mixed.test")
        local = AddressBook(resolver, check=False)  # a local source: resolved, not checked
        return [first, refusals, await local.refusal("meta.test"), await local.addresses("meta.test")]

    first, refusals, local_refusal, local_addresses = asyncio.run(go())
    assert first == [(PUBLIC,)] * 5
    assert refusals == [
        None,
        "mixed.test resolves to non-public address 10.1.2.3",
        "meta.test resolves to non-public address 169.254.169.254",
        "cannot resolve gone.test: Name or service not known",
    ]
    assert local_refusal is None and local_addresses == ("169.254.169.254",)
    assert sorted(calls) == ["gone.test", "meta.test", "meta.test", "mixed.test", "ok.test"]  # once per book


def test_the_book_is_bounded() -> None:
    calls: list[str] = []

    async def resolver(host: str) -> list[str]:
        calls.append(host)
        return [PUBLIC]

    async def go() -> None:
        book = AddressBook(resolver, max_hosts=2)
        for host in ("a.test", "b.test", "c.test", "a.test"):
            await book.addresses(host)
        assert len(book._answers) <= 2

    asyncio.run(go())
    assert calls == ["a.test", "b.test", "c.test", "a.test"]  # a.test was forgotten, then looked up again


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://shop.test/x", None),
        ("http://SHOP.test:80/x", None),
        ("https://shop.test/x", None),  # the upgrade of an http origin on port 80
        ("http://shop.test:8080/x", "origin http://shop.test:8080 not among the seller's origins"),
        ("https://shop.test:8443/x", "origin https://shop.test:8443 not among the seller's origins"),
        ("https://cdn.test/x", None),  # allowed host without a port: the base's scheme... and its upgrade
        ("http://cdn.test/x", None),
        ("http://cdn.test:81/x", "origin http://cdn.test:81 not among the seller's origins"),
        ("http://img.test:8080/a.png", None),  # an allowed host with its port
        ("http://img.test/a.png", "origin http://img.test:80 not among the seller's origins"),
        ("https://api.test:8443/v1", None),  # an allowed origin with its scheme
        ("http://api.test:8443/v1", "origin http://api.test:8443 not among the seller's origins"),
        ("http://[::1]:9000/", None),
        ("http://evil.test/", "host 'evil.test' not in the seller's hosts"),
        ("ftp://shop.test/x", "scheme 'ftp' not allowed"),
    ],
)
def test_origins_keep_scheme_host_and_port(url: str, why: str | None) -> None:
    origins = seller_origins(
        "http://shop.test/", ["cdn.test", "img.test:8080", "https://api.test:8443", "[::1]:9000"]
    )
    assert origin_refusal(url, origins) == why


def test_https_sellers_never_downgrade() -> None:
    origins = SourceConfig(slug="s", name="S", base_url="https://shop.test/").origins
    assert origins == frozenset({("https", "shop.test", 443)})
    assert origin_refusal("http://shop.test/x", origins) == (
        "origin http://shop.test:80 not among the seller's origins"
    )


@pytest.mark.parametrize("entry", ["shop.test:99999", "ftp://shop.test", "http://", ":80"])
def test_bad_allowed_hosts_are_config_errors(entry: str) -> None:
    with pytest.raises(ValidationError, match="allowed_hosts"):
        SourceConfig(slug="s", name="S", base_url="https://shop.test/", allowed_hosts=[entry])


# -- pinned connections ----------------------------------------------------------------------------


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        s.route("/robots.txt", Reply(404))
        s.route("/", html("/a", "/b", text="home"))
        s.route("/a", html(text="A"))
        s.route("/b", html(text="B"))
        yield s


@pytest.fixture
def private_listener(site: Site) -> Iterator[socket.socket]:
    """A socket listening where the rebinding answer points (same port): any connection shows up here."""
    sock = socket.socket()
    sock.bind((PRIVATE, site.port))
    sock.listen()
    sock.setblocking(False)
    yield sock
    sock.close()


def no_connection(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return True
    return False


def rebinding_resolver(calls: list[str]) -> Any:
    """Answers PUBLIC the first time each name is asked, PRIVATE ever after."""

    async def resolve(host: str) -> list[str]:
        calls.append(host)
        return [PUBLIC] if calls.count(host) == 1 else [PRIVATE]

    return resolve


def public_source(site: Site, scheme: str = "http", **kw: Any) -> SourceConfig:
    settings: dict[str, Any] = {"requests_per_minute": 6000.0, "concurrency": 1, "entry_points": [""]}
    return SourceConfig(
        slug="public", name="Public shop", base_url=f"{scheme}://shop.test:{site.port}/", **(settings | kw)
    )


def test_a_crawl_connects_only_to_the_address_it_checked(
    site: Site, private_listener: socket.socket, tmp_path: Path
) -> None:
    """Rebinding: the name answers a public address to the first look-up and a private one after it.
    The crawl looks up once, dials that checked address (one kept-alive connection for every page),
    and the server still sees the seller's name in the Host header."""
    calls: list[str] = []
    network = MappedNetwork({PUBLIC: "127.0.0.1"})
    options = CrawlOptions(resolver=rebinding_resolver(calls), connector=network)
    result = crawl_sync(
        public_source(site), store=LocalObjectStore(tmp_path), links=links_of, options=options
    )
    assert result.fetched == 3 and result.failed == 0
    assert calls == ["shop.test"]
    assert network.connects == [(PUBLIC, site.port)]
    assert no_connection(private_listener)
    assert {h.headers["host"] for h in site.hits} == {f"shop.test:{site.port}"}


def test_the_connection_checks_its_own_answer(
    site: Site, private_listener: socket.socket, tmp_path: Path
) -> None:
    """A transport with a book of its own (not the crawl's) resolves again when it connects: that
    second answer is private, so the socket is never opened and the request is refused."""
    calls: list[str] = []
    resolver = rebinding_resolver(calls)
    network = MappedNetwork({PUBLIC: "127.0.0.1"})
    own_book = AddressBook(resolver)
    limits = httpx.Limits(max_connections=1)
    transport = PinnedTransport(
        own_book, ssl_context=httpx.create_ssl_context(), limits=limits, connector=network
    )

    async def go() -> CrawlResult:
        async with httpx.AsyncClient(transport=transport) as client:
            return await crawl(
                public_source(site),
                store=LocalObjectStore(tmp_path),
                links=links_of,
                client=client,
                options=CrawlOptions(resolver=resolver),
            )

    result = asyncio.run(go())  # robots.txt is the first request: refused, it counts as unreachable
    assert f"refused: shop.test resolves to non-public address {PRIVATE}" in (result.stopped_reason or "")
    assert calls == ["shop.test", "shop.test"]  # the Gate's look-up, then the connection's
    assert network.connects == [] and site.hits == []
    assert no_connection(private_listener)


@pytest.mark.parametrize(("cert_for", "fetched"), [("shop.test", True), ("other.test", False)])
def test_tls_keeps_sni_and_verifies_the_hostname(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cert_for: str, fetched: bool
) -> None:
    """Dialling the pinned address, the TLS handshake still names shop.test (SNI) and the certificate
    must be valid for shop.test: one issued for another name fails the crawl."""
    context, ca_file = tls_server_context(tmp_path, cert_for)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with serve(tls=context) as site:
        site.route("/robots.txt", Reply(404))
        site.route("/", html(text="secure"))
        network = MappedNetwork({PUBLIC: "127.0.0.1"})

        async def resolver(host: str) -> list[str]:
            return [PUBLIC]

        options = CrawlOptions(resolver=resolver, connector=network, max_attempts=1, retry_rounds=0)
        source = public_source(site, scheme="https")
        result = crawl_sync(
            source, store=LocalObjectStore(tmp_path / "archive"), links=links_of, options=options
        )
    assert site.sni and set(site.sni) == {"shop.test"}
    assert {address for address, _ in network.connects} == {PUBLIC}
    if fetched:
        assert result.fetched == 1 and site.paths() == ["/robots.txt", "/"]
    else:
        assert result.fetched == 0 and site.paths() == []
        assert "CERTIFICATE_VERIFY_FAILED" in (result.stopped_reason or "")
