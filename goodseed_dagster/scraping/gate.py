"""The checked GET of one crawl: redirects followed by hand, every hop passing origin, address and robots.

robots.txt is fetched once per origin (paced like any request; its Crawl-delay slows the limiter, up
to options.max_crawl_delay_s) and each host is resolved and checked once (pinning.AddressBook, which
the crawl's connections also dial), so the checks cost a dict lookup after the first page.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urljoin, urlsplit

import httpx

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.scraping.netguard import origin_refusal
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.pinning import AddressBook
from goodseed_dagster.scraping.ratelimit import TokenBucket
from goodseed_dagster.scraping.request import Reply, get_with_retries
from goodseed_dagster.scraping.robots import RobotsRules
from goodseed_dagster.scraping.urls import normalize_url, origin

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
log = logging.getLogger(__name__)


class Refused(Exception):
    """A URL or redirect hop we will not request; `robots` marks a robots.txt Disallow."""

    def __init__(self, reason: str, *, robots: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.robots = reason, robots


class Gate:
    """One crawl's way out: its pacing, deadline, stop signal, default client, robots and address caches."""

    def __init__(
        self,
        source: SourceConfig,
        options: CrawlOptions,
        limiter: TokenBucket | None,
        stop: asyncio.Event,
    ) -> None:
        self.source, self.options, self.limiter, self.stop = source, options, limiter, stop
        self.origins = source.origins
        self.addresses = AddressBook(options.resolver, check=not source.local)
        self.deadline = options.clock.now() + options.deadline_s  # on the crawl's clock
        self.robots: dict[str, RobotsRules] = {}
        self.robots_locks: dict[str, asyncio.Lock] = {}
        self.capped: list[str] = []  # origins whose robots.txt asked for more than max_crawl_delay_s
        self.client: httpx.AsyncClient  # set by the crawl before its first request

    async def follow(
        self,
        url: str,
        headers: dict[str, str],
        *,
        robots: bool = True,
        client: httpx.AsyncClient | None = None,
    ) -> Reply:
        """GET `url`, following redirects by hand so every hop passes the origin, address and robots checks."""
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
                deadline=self.deadline,
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
        why = origin_refusal(url, self.origins)
        if why is None and self.addresses.check:  # local sources: no address rule, no await
            why = await self.addresses.refusal(urlsplit(url).hostname or "")
        if why is not None:
            raise Refused(f"{prefix}{why} ({url})")
        if robots and not (await self.robots_for(url, client)).can_fetch(url):
            raise Refused(f"{prefix if redirect else ''}robots.txt disallows {url}", robots=True)

    async def robots_for(self, url: str, client: httpx.AsyncClient | None = None) -> RobotsRules:
        """The robots rules of `url`'s origin, fetched once per crawl (paced like any request)."""
        key = origin(url)
        if key in self.robots:
            return self.robots[key]
        async with self.robots_locks.setdefault(key, asyncio.Lock()):
            if key not in self.robots:
                self.robots[key] = rules = await self.fetch_robots(self.robots_url(key), client)
                if self.limiter is not None:
                    self.limiter.slow_to(self.capped_interval(key, rules.min_interval_s))
        return self.robots[key]

    def capped_interval(self, origin_url: str, asked_s: float) -> float:
        """A robots.txt spacing up to max_crawl_delay_s; beyond it (Crawl-delay: 86400 would stall the
        crawl for days) the cap is used, logged and noted in the crawl result."""
        cap = self.options.max_crawl_delay_s
        if asked_s <= cap:
            return asked_s
        note = f"{origin_url} asks {asked_s:g} s between requests, capped at {cap:g} s"
        log.warning("[%s] robots.txt of %s", self.source.slug, note)
        self.capped.append(note)
        return cap

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
