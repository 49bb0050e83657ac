"""The checked GET of one crawl: redirects followed by hand, every hop passing host, address and robots.

robots.txt is fetched once per origin (paced like any request; its Crawl-delay slows the limiter) and
each host's address is checked once, so the checks cost a dict lookup after the first page.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin, urlsplit

import httpx

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.scraping.netguard import address_refusal, host_refusal, system_resolver
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.ratelimit import TokenBucket
from goodseed_dagster.scraping.request import Reply, get_with_retries
from goodseed_dagster.scraping.robots import RobotsRules
from goodseed_dagster.scraping.urls import normalize_url, origin

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class Refused(Exception):
    """A URL or redirect hop we will not request; `robots` marks a robots.txt Disallow."""

    def __init__(self, reason: str, *, robots: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.robots = reason, robots


class Gate:
    """One crawl's way out: its pacing, stop signal, default client and the robots and address caches."""

    def __init__(
        self,
        source: SourceConfig,
        options: CrawlOptions,
        limiter: TokenBucket | None,
        stop: asyncio.Event,
    ) -> None:
        self.source, self.options, self.limiter, self.stop = source, options, limiter, stop
        self.hosts = source.hosts
        self.resolver = options.resolver or system_resolver
        self.robots: dict[str, RobotsRules] = {}
        self.robots_locks: dict[str, asyncio.Lock] = {}
        self.address_checks: dict[str, str | None] = {}
        self.client: httpx.AsyncClient  # set by the crawl before its first request

    async def follow(
        self,
        url: str,
        headers: dict[str, str],
        *,
        robots: bool = True,
        client: httpx.AsyncClient | None = None,
    ) -> Reply:
        """GET `url`, following redirects by hand so every hop passes the host, address and robots checks."""
        target = url
        for hop in range(self.options.max_redirects + 1):
            await self.check(target, redirect=hop > 0, robots=robots, client=client)
            reply = await get_with_retries(
                client or self.client,
                target,
                seller=self.source.slug,
                headers={"User-Agent": self.options.user_agent, **(headers if hop == 0 else {})},
                options=self.options,
                limiter=self.limiter,
                stop=self.stop,
            )
            location = reply.headers.get("location")
            if reply.status not in REDIRECT_STATUSES or not location:
                return reply
            following = normalize_url(urljoin(target, location))
            if following is None:
                raise Refused(f"redirect refused: not an http(s) URL: {location!r}")
            target = following
        raise Refused(f"redirect refused: more than {self.options.max_redirects} redirects")

    async def check(
        self, url: str, *, redirect: bool, robots: bool, client: httpx.AsyncClient | None = None
    ) -> None:
        prefix = "redirect refused: " if redirect else "refused: "
        why = host_refusal(url, self.hosts)
        if why is None and not self.source.local:
            why = await self.address_refusal(url)
        if why is not None:
            raise Refused(f"{prefix}{why} ({url})")
        if robots and not (await self.robots_for(url, client)).can_fetch(url):
            raise Refused(f"{prefix if redirect else ''}robots.txt disallows {url}", robots=True)

    async def address_refusal(self, url: str) -> str | None:
        host = urlsplit(url).hostname or ""
        if host not in self.address_checks:
            self.address_checks[host] = await address_refusal(url, self.resolver)
        return self.address_checks[host]

    async def robots_for(self, url: str, client: httpx.AsyncClient | None = None) -> RobotsRules:
        """The robots rules of `url`'s origin, fetched once per crawl (paced like any request)."""
        key = origin(url)
        if key in self.robots:
            return self.robots[key]
        async with self.robots_locks.setdefault(key, asyncio.Lock()):
            if key not in self.robots:
                self.robots[key] = rules = await self.fetch_robots(self.robots_url(key), client)
                if self.limiter is not None:
                    self.limiter.slow_to(rules.min_interval_s)
        return self.robots[key]

    def robots_url(self, origin_url: str) -> str:
        """/robots.txt at the origin, unless the source names its own (a shop under a path prefix)."""
        if self.source.robots_url and origin(self.source.base_url) == origin_url:
            return self.source.url(self.source.robots_url)
        return origin_url + "/robots.txt"

    async def fetch_robots(self, url: str, client: httpx.AsyncClient | None = None) -> RobotsRules:
        agent = self.options.robots_agent
        try:
            reply = await self.follow(url, {}, robots=False, client=client)
        except Refused as e:  # RFC 9309: a robots.txt we may not follow counts as unavailable
            return RobotsRules(agent, allow_all=True, reason=f"robots.txt {e.reason}: allow all")
        except FetchError as e:
            return RobotsRules.from_status(e.status, b"", agent, error=e.reason)
        return RobotsRules.from_status(reply.status, reply.body, agent)
