"""robots.txt rules for one host, parsed with Protego (Scrapy's parser: wildcards, Allow, Crawl-delay).

How a robots.txt fetch outcome becomes rules follows RFC 9309 §2.3.1: a 2xx is parsed, a 4xx means
"no rules" (allow all), and a 5xx or network failure means "assume complete disallow".
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least the first 500 KiB, ignore the rest


@dataclass(frozen=True)
class RobotsRules:
    """What one host allows `agent` to fetch; `reason` says where the rules came from."""

    agent: str
    parser: Protego | None = None
    allow_all: bool = True
    reason: str = "no robots.txt"

    @classmethod
    def parse(cls, body: bytes, agent: str) -> RobotsRules:
        text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        return cls(agent, Protego.parse(text), reason="robots.txt")

    @classmethod
    def from_status(
        cls, status: int | None, body: bytes, agent: str, error: str | None = None
    ) -> RobotsRules:
        """Rules for a robots.txt fetch that ended with `status` (None: no HTTP response at all)."""
        if status is not None and 200 <= status < 300:
            return cls.parse(body, agent)
        if status is not None and 400 <= status < 500:
            return cls(agent, allow_all=True, reason=f"robots.txt HTTP {status}: allow all")
        what = f"HTTP {status}" if status is not None else (error or "unreachable")
        return cls(agent, allow_all=False, reason=f"robots.txt unreachable ({what}): disallow all")

    @property
    def unreachable(self) -> bool:
        return self.parser is None and not self.allow_all

    def can_fetch(self, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return bool(self.parser.can_fetch(url, self.agent))

    @property
    def min_interval_s(self) -> float:
        """The spacing the host asks for: Crawl-delay, or Request-rate (n/seconds) if stricter."""
        if self.parser is None:
            return 0.0
        delay = float(self.parser.crawl_delay(self.agent) or 0.0)
        rate = self.parser.request_rate(self.agent)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        return delay
