"""The circuit breaker and the retry-round hold, without a crawl: which failures count, which wait."""

from __future__ import annotations

from datetime import UTC, datetime

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping.failures import Breaker, HeldBack
from goodseed_dagster.scraping.models import PageRecord


def error(url: str, *, retryable: bool = True) -> FetchError:
    e = FetchError("s", url, "boom", status=503 if retryable else 404)
    e.retryable = retryable
    return e


def test_breaker_trips_on_consecutive_transient_failures_only() -> None:
    breaker = Breaker(threshold=3)
    assert breaker.failed(error("https://a/1")) is None
    assert breaker.failed(error("https://a/2")) is None
    assert breaker.failed(error("https://a/3", retryable=False)) is None  # a permanent failure resets the run
    assert breaker.failed(error("https://a/4")) is None
    breaker.answered()  # so does an answer
    assert breaker.failed(error("https://a/5")) is None
    assert breaker.failed(error("https://a/6")) is None
    reason = breaker.failed(error("https://a/7"))
    assert reason is not None and "3 consecutive failed requests" in reason and "https://a/7" in reason


def test_held_back_only_transient_failures_while_rounds_remain() -> None:
    record = PageRecord(url="https://a/1", status=503, fetched_at=datetime.now(UTC), elapsed_ms=0.0)
    held = HeldBack(holding=True)
    assert not held.hold("https://a/1", record)  # not marked transient: recorded now
    held.transient.add("https://a/1")
    assert held.hold("https://a/1", record)
    assert not held.hold("https://a/1", record)  # held once per transient failure
    assert held.take() == [("https://a/1", record)] and held.take() == []
    held.transient.add("https://a/2")
    held.holding = False  # the last round records its failures for good
    assert not held.hold("https://a/2", record)
