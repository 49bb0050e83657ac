"""The crawler's knobs, each with a default (as Scrapy's default_settings), and its User-Agent."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import httpcore

from goodseed_dagster.scraping.netguard import Resolver
from goodseed_dagster.scraping.ratelimit import SYSTEM_CLOCK, Clock

BOT_NAME = "GoodSeedBot"
BOT_CONTACT_URL = "https://goodseed.example/bot"
MiB = 1024 * 1024


def _package_version() -> str:
    try:
        return version("goodseed-dagster")
    except PackageNotFoundError:
        return "0.0.0"


def user_agent(contact_url: str = BOT_CONTACT_URL) -> str:
    """`GoodSeedBot/<version> (+<contact>)`: sellers can look us up and robots.txt can name us."""
    return f"{BOT_NAME}/{_package_version()} (+{contact_url})"


@dataclass(frozen=True)
class CrawlOptions:
    """Per-crawl settings that are not part of a seller's config (the seller sets rate and concurrency)."""

    max_attempts: int = 4  # per request, first try included
    retry_rounds: int = 2  # pages that failed transiently are tried again after the rest of the crawl
    timeout_s: float = 30.0  # total per attempt: connect + headers + whole body
    max_body_bytes: int = 5 * MiB  # decoded; larger bodies are aborted mid-stream
    max_redirects: int = 5
    breaker_threshold: int = 5  # consecutive failed requests (after retries) that stop the crawl
    backoff_base_s: float = 0.5  # full jitter: uniform(0, min(backoff_max_s, base * 2**(attempt-1)))
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0  # a seller's Retry-After is honoured up to this
    max_crawl_delay_s: float = 60.0  # robots.txt Crawl-delay / Request-rate honoured up to this, then capped
    deadline_s: float = 2 * 3600.0  # a crawl still running after this stops as partial ("deadline ...")
    progress_every: int = 100  # pages between progress callbacks (one more at the end)
    parse_concurrency: int = 2  # links() calls in flight at once
    parse_batch: int = 16  # at most this many queued pages go to one links() call
    parse_executor: Executor | None = None  # None: the loop's default thread pool; a process pool fits
    user_agent: str = field(default_factory=user_agent)
    robots_agent: str = BOT_NAME  # the token matched against robots.txt User-agent lines
    resolver: Resolver | None = None  # None: the system resolver (tests inject a name map)
    connector: httpcore.AsyncNetworkBackend | None = None  # opens sockets; None: anyio (tests map addresses)
    clock: Clock = SYSTEM_CLOCK  # pacing, Retry-After and backoff waits (tests inject virtual time)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.breaker_threshold < 1 or self.max_redirects < 0:
            raise ValueError("max_attempts and breaker_threshold must be >= 1, max_redirects >= 0")
        if self.timeout_s <= 0 or self.max_body_bytes <= 0 or self.progress_every < 1:
            raise ValueError("timeout_s, max_body_bytes and progress_every must be positive")
        if self.max_crawl_delay_s <= 0 or self.deadline_s <= 0:
            raise ValueError("max_crawl_delay_s and deadline_s must be positive")
        if self.parse_concurrency < 1:
            raise ValueError("parse_concurrency must be >= 1")
