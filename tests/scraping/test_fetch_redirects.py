"""Redirects: followed by hand, only within the seller's origins and never to non-public addresses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from http_server import MappedNetwork, Reply, Site, html, links_of, serve

from goodseed_dagster.scraping.archive import LocalObjectStore
from goodseed_dagster.scraping.fetch import CrawlResult, crawl_sync
from goodseed_dagster.scraping.models import PageRecord, SourceConfig
from goodseed_dagster.scraping.options import CrawlOptions

PUBLIC_IP = "93.184.216.34"  # what the test resolver says the "public" shop names resolve to
NAMES = {"shop.test": [PUBLIC_IP], "cdn.test": [PUBLIC_IP], "internal.test": ["10.0.0.1"]}


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, headers={"Location": location})


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        s.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /private/\n"))
        s.route("/target", html(text="landed"))
        yield s


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path)


def record(result: CrawlResult, url: str) -> PageRecord:
    return next(r for r in result.pages if r.url == url)


def test_redirects_within_the_seller_are_followed(site: Site, store: LocalObjectStore) -> None:
    site.route("/old", redirect("/target", 301))
    site.route("/loop", redirect("/loop"))
    site.route("/sneaky", redirect("/private/x"))
    site.route("/away", redirect("http://elsewhere.test/x"))
    site.route("/js", redirect("javascript:alert(1)"))
    source = SourceConfig(
        slug="redirects",
        name="Redirects",
        base_url=site.url("/"),
        entry_points=["/old", "/loop", "/sneaky", "/away", "/js"],
        requests_per_minute=6000.0,
        local=True,
    )
    result = crawl_sync(source, store=store, links=links_of)

    old = record(result, site.url("/old"))
    assert old.status == 200 and old.sha256 and b"landed" in store.get(old.sha256)
    assert site.paths().count("/target") == 1  # the redirect target is not fetched again on its own

    loop = record(result, site.url("/loop"))
    assert loop.error == "redirect refused: more than 5 redirects"
    assert site.paths().count("/loop") == 6

    sneaky = record(result, site.url("/sneaky"))
    assert (
        sneaky.robots_blocked
        and sneaky.error == f"redirect refused: robots.txt disallows {site.url('/private/x')}"
    )
    away = record(result, site.url("/away"))
    assert (
        away.error
        == "redirect refused: host 'elsewhere.test' not in the seller's hosts (http://elsewhere.test/x)"
    )
    assert (record(result, site.url("/js")).error or "").startswith("redirect refused: ")
    assert "/private/x" not in site.paths()


def test_public_seller_never_reaches_private_addresses(site: Site, store: LocalObjectStore) -> None:
    """A non-local seller (the local server posing as shop.test) redirecting into our network.

    Every private target is also an allowed origin, so only the address check stands between the
    redirect and the request; the crawl's sockets go through MappedNetwork, which lists every address
    dialled, so seeing only the public one proves no packet went to 127.0.0.1, ::1 or 10.0.0.1.
    """
    port = site.port
    site.route("/to-loopback", redirect(f"http://127.0.0.1:{port}/target"))
    site.route("/to-private", redirect("http://10.0.0.1/target"))
    site.route("/to-internal", redirect(f"http://internal.test:{port}/target"))
    site.route("/to-v6-loopback", redirect(f"http://[::1]:{port}/target"))
    site.route("/to-decimal", redirect(f"http://2130706433:{port}/target"))
    site.route("/to-cdn", redirect(f"http://cdn.test:{port}/target"))

    async def resolver(host: str) -> list[str]:
        return NAMES[host]

    source = SourceConfig(
        slug="public",
        name="Public shop",
        base_url=f"http://shop.test:{port}/",
        entry_points=[
            "/to-loopback",
            "/to-private",
            "/to-internal",
            "/to-v6-loopback",
            "/to-decimal",
            "/to-cdn",
        ],
        allowed_hosts=[
            f"127.0.0.1:{port}",
            "10.0.0.1",
            f"internal.test:{port}",
            f"[::1]:{port}",
            f"2130706433:{port}",
            f"cdn.test:{port}",
        ],
        requests_per_minute=6000.0,
    )
    network = MappedNetwork({PUBLIC_IP: "127.0.0.1"})
    options = CrawlOptions(resolver=resolver, connector=network)
    result = crawl_sync(source, store=store, links=links_of, options=options)

    base = f"http://shop.test:{port}"
    assert record(result, f"{base}/to-loopback").error == (
        f"redirect refused: 127.0.0.1 is a non-public address (http://127.0.0.1:{port}/target)"
    )
    assert record(result, f"{base}/to-private").error == (
        "redirect refused: 10.0.0.1 is a non-public address (http://10.0.0.1/target)"
    )
    assert record(result, f"{base}/to-internal").error == (
        f"redirect refused: internal.test resolves to non-public address 10.0.0.1 (http://internal.test:{port}/target)"
    )
    assert (record(result, f"{base}/to-v6-loopback").error or "").startswith(
        "redirect refused: ::1 is a non-public"
    )
    assert record(result, f"{base}/to-decimal").error == (
        f"redirect refused: 2130706433 is a non-public address (http://2130706433:{port}/target)"
    )
    cdn = record(result, f"{base}/to-cdn")
    assert cdn.status == 200 and cdn.error is None  # an allowed public host is fine, robots and all
    assert {address for address, _ in network.connects} == {PUBLIC_IP}
    assert site.paths().count("/target") == 1 and site.paths().count("/robots.txt") == 2


def test_redirects_keep_the_sellers_port_and_scheme(site: Site, store: LocalObjectStore) -> None:
    """The seller's own host on another port (another service on the same machine) is another origin."""
    with serve() as other:
        other.route("/target", html(text="another service"))
        site.route("/to-other-port", redirect(other.url("/target")))
        site.route("/to-https", redirect(site.url("/target").replace("http:", "https:")))
        source = SourceConfig(
            slug="ports",
            name="Ports",
            base_url=site.url("/"),
            entry_points=["/to-other-port", "/to-https"],
            requests_per_minute=6000.0,
            local=True,  # even a local seller keeps its origins
        )
        result = crawl_sync(source, store=store, links=links_of)
    assert record(result, site.url("/to-other-port")).error == (
        f"redirect refused: origin http://127.0.0.1:{other.port} not among the seller's origins "
        f"({other.url('/target')})"
    )
    assert record(result, site.url("/to-https")).error == (
        f"redirect refused: origin https://127.0.0.1:{site.port} not among the seller's origins "
        f"(https://127.0.0.1:{site.port}/target)"
    )
    assert other.paths() == [] and "/target" not in site.paths()
