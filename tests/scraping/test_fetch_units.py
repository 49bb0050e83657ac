"""The crawler's pure pieces: URL keys, Retry-After, backoff, robots outcomes, pacing (addresses: test_netguard)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from fake_clock import FakeClock

from goodseed_dagster.scraping.options import CrawlOptions, user_agent
from goodseed_dagster.scraping.ratelimit import TokenBucket
from goodseed_dagster.scraping.request import RETRY_STATUSES, backoff_s, retry_after_s
from goodseed_dagster.scraping.robots import RobotsRules
from goodseed_dagster.scraping.urls import normalize_url


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("HTTP://Shop.Example:80/a?b=1#frag", "http://shop.example/a?b=1"),
        ("https://shop.example:443", "https://shop.example/"),
        ("https://user:pw@shop.example:8443/x#y", "https://shop.example:8443/x"),
        ("http://[::1]:8080/p", "http://[::1]:8080/p"),
        ("mailto:orders@shop.example", None),
        ("javascript:void(0)", None),
        ("http://shop.example:99999/", None),
        ("/relative", None),
    ],
)
def test_normalize_url(raw: str, key: str | None) -> None:
    assert normalize_url(raw) == key


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
    assert retry_after_s("120") == 120.0
    assert retry_after_s("Thu, 26 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_s("Thu, 26 Nov 2026 11:00:00 GMT", now=now) == 0.0  # in the past: go now
    assert retry_after_s("soon") is None and retry_after_s(None) is None and retry_after_s("-5") is None


def test_backoff_is_full_jitter_and_capped() -> None:
    options = CrawlOptions(backoff_base_s=0.5, backoff_max_s=4.0)
    rng = random.Random(7)
    assert all(0 <= backoff_s(1, options, rng) <= 0.5 for _ in range(200))
    assert all(0 <= backoff_s(10, options, rng) <= 4.0 for _ in range(200))
    assert max(backoff_s(10, options, rng) for _ in range(200)) > 2.0  # jitter spans the range
    # uniform(0, min(cap, base * 2**(attempt-1))): the same seed gives the same waits
    expected = random.Random(3)
    replay = random.Random(3)
    for attempt in (1, 2, 3, 4, 5, 6):
        ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
        assert backoff_s(attempt, options, replay) == expected.uniform(0.0, ceiling)


def test_retry_statuses() -> None:
    assert {408, 429, 500, 502, 503, 504} <= RETRY_STATUSES
    assert not {200, 304, 400, 403, 404, 501} & RETRY_STATUSES


def test_robots_outcomes_follow_rfc_9309() -> None:
    body = b"User-agent: GoodSeedBot\nDisallow: /cart\nCrawl-delay: 2\n\nUser-agent: *\nDisallow: /\n"
    ours = RobotsRules.from_status(200, body, "GoodSeedBot")
    assert ours.can_fetch("https://s.example/seeds") and not ours.can_fetch("https://s.example/cart/1")
    assert ours.min_interval_s == 2.0
    assert not RobotsRules.from_status(200, body, "OtherBot").can_fetch("https://s.example/seeds")
    assert RobotsRules.from_status(404, b"", "GoodSeedBot").can_fetch("https://s.example/anything")
    down = RobotsRules.from_status(503, b"", "GoodSeedBot")
    assert down.unreachable and not down.can_fetch("https://s.example/")
    assert RobotsRules.from_status(None, b"", "GoodSeedBot", error="ConnectError").reason == (
        "robots.txt unreachable (ConnectError): disallow all"
    )


def test_token_bucket_spaces_concurrent_callers() -> None:
    clock = FakeClock()
    bucket = TokenBucket.per_minute(600.0, clock=clock)  # 0.1 s

    async def burst() -> list[float]:
        stamps: list[float] = []

        async def one() -> None:
            assert await bucket.acquire()
            stamps.append(clock.now())

        await asyncio.gather(*(one() for _ in range(5)))
        return sorted(stamps)

    assert asyncio.run(burst()) == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert clock.slept == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])  # one reservation each, no token shared


def test_token_bucket_waits_only_when_callers_come_too_fast() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, clock=clock)
    assert bucket.reserve() == 0.0
    clock.t = 5.0  # idle for a while: no debt, no saved-up tokens beyond the burst
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == 1.0
    burst = TokenBucket(1.0, burst=3, clock=clock)
    assert [burst.reserve() for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]


def test_token_bucket_crawl_delay_only_slows_down_and_retry_after_holds_everyone() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0.1, clock=clock)
    assert bucket.reserve() == 0.0  # robots.txt
    bucket.slow_to(0.5)  # its Crawl-delay
    assert bucket.reserve() == pytest.approx(0.5)  # the slot promised after robots.txt moved too
    bucket.slow_to(0.2)  # never faster
    assert bucket.interval_s == 0.5
    clock.t = 10.0
    bucket.defer(3.0)  # a Retry-After: 3 from one worker
    assert bucket.reserve() == pytest.approx(3.0)
    assert bucket.reserve() == pytest.approx(3.5)


def test_a_stopped_crawl_stops_waiting_for_a_token() -> None:
    bucket = TokenBucket(60.0)  # the real clock: a stop must cut a long wait short

    async def stopped_while_waiting() -> bool:
        stop = asyncio.Event()
        assert await bucket.acquire(stop)  # the first token is free
        waiting = asyncio.create_task(bucket.acquire(stop))
        await asyncio.sleep(0)
        stop.set()
        return await asyncio.wait_for(waiting, timeout=30)

    assert asyncio.run(stopped_while_waiting()) is False


def test_user_agent_names_the_bot_and_contact() -> None:
    assert user_agent().startswith("GoodSeedBot/") and user_agent().endswith(
        "(+https://goodseed.example/bot)"
    )
    assert user_agent("https://example.org/crawler").endswith("(+https://example.org/crawler)")
