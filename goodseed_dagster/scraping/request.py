"""One GET with retries: full-jitter backoff, Retry-After, a per-attempt deadline and a body-size cap.

No redirect following here (the crawler checks every hop), no robots, no archive: just transport. Every
wait (a rate-limit token, a backoff, a Retry-After) ends early when the crawl stops, and a request that
could not start before the crawl's deadline is not sent.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.pinning import AddressRefused
from goodseed_dagster.scraping.ratelimit import TokenBucket

# 408/429 and every 5xx but 501/505 (which will not change on retry), as Scrapy's RETRY_HTTP_CODES.
RETRY_STATUSES = frozenset({408, 429} | set(range(500, 600)) - {501, 505})


class CrawlStopped(Exception):
    """The crawl was stopped (circuit breaker) while this request waited; not a seller failure."""


class DeadlineReached(CrawlStopped):
    """This request could not start before the crawl's deadline; the crawl must stop."""


class BodyTooLargeError(Exception):
    """The body passed the size cap; the stream was abandoned."""


class BadLocationError(Exception):
    """A redirect whose Location httpx cannot even parse (it builds `next_request` eagerly)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete response: the body is fully read (and decoded) within the caps."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed_ms: float


def retry_after_s(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP-date); None if absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_s(attempt: int, options: CrawlOptions, rng: random.Random | None = None) -> float:
    """Full jitter (AWS architecture blog): spreads retries of many workers instead of syncing them."""
    ceiling = min(options.backoff_max_s, options.backoff_base_s * 2 ** (attempt - 1))
    return (rng or random).uniform(0.0, ceiling)


async def get_once(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], options: CrawlOptions
) -> Reply:
    """One attempt; raises httpx errors, TimeoutError (total deadline), BodyTooLarge- or BadLocationError."""
    request = client.build_request("GET", url, headers=headers, timeout=options.timeout_s)
    started = time.perf_counter()
    # httpx's timeouts are per socket operation; a server dripping a byte a second would never trip
    # them, so the whole attempt also runs under one deadline.
    async with asyncio.timeout(options.timeout_s):
        try:
            response = await client.send(request, stream=True, follow_redirects=False)
        except httpx.InvalidURL as e:
            raise BadLocationError(str(e)) from e
        except httpx.RemoteProtocolError as e:
            if "location header" in str(e):
                raise BadLocationError(str(e)) from e
            raise
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > options.max_body_bytes:
                raise BodyTooLargeError(f"Content-Length {declared} exceeds {options.max_body_bytes} bytes")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > options.max_body_bytes:
                    raise BodyTooLargeError(f"body exceeds {options.max_body_bytes} bytes")
                chunks.append(chunk)
        finally:
            await response.aclose()
    elapsed_ms = (time.perf_counter() - started) * 1000
    return Reply(url, response.status_code, response.headers, b"".join(chunks), elapsed_ms)


async def get_with_retries(
    client: httpx.AsyncClient,
    url: str,
    *,
    seller: str,
    headers: dict[str, str],
    options: CrawlOptions,
    limiter: TokenBucket | None,
    stop: asyncio.Event,
    deadline: float = math.inf,
) -> Reply:
    """GET `url`, retrying transient failures; a non-retryable status is returned, not raised.

    Raises FetchError (retryable=True when retries ran out on a transient failure), CrawlStopped, or
    DeadlineReached when a wait would end past `deadline` (on options.clock). Every attempt takes a
    token from `limiter`, so retries are paced like any other request.
    """
    for attempt in range(1, options.max_attempts + 1):
        await _pause(limiter.reserve() if limiter is not None else None, url, options, stop, deadline)
        wait: float | None = None
        status: int | None = None
        cause: BaseException | None = None
        try:
            reply = await get_once(client, url, headers, options)
        except BodyTooLargeError as e:
            raise _permanent(FetchError(seller, url, str(e))) from e
        except BadLocationError as e:
            raise _permanent(FetchError(seller, url, f"redirect refused: invalid Location ({e})")) from e
        except AddressRefused as e:  # the connection's own check (pinning.py): never retried
            raise _permanent(FetchError(seller, url, f"refused: {e}")) from e
        except (httpx.TimeoutException, TimeoutError) as e:
            reason, cause = f"timeout after {options.timeout_s:g}s", e
        except httpx.TransportError as e:  # connect/read errors, truncated bodies (Content-Length)
            reason, cause = f"{type(e).__name__}: {e}", e
        except httpx.HTTPError as e:  # undecodable content, invalid URL: retrying will not help
            raise _permanent(FetchError(seller, url, f"{type(e).__name__}: {e}")) from e
        else:
            if reply.status not in RETRY_STATUSES:
                return reply
            reason, cause, status = "transient server error", None, reply.status
            asked = retry_after_s(reply.headers.get("retry-after"))
            if asked is not None:
                wait = min(asked, options.retry_after_max_s)
                if limiter is not None:
                    limiter.defer(wait)
        if attempt == options.max_attempts:
            raise FetchError(
                seller, url, f"{reason} (gave up after {attempt} attempts)", status=status
            ) from cause
        await _pause(wait if wait is not None else backoff_s(attempt, options), url, options, stop, deadline)
    raise AssertionError("unreachable")  # the loop always returns or raises


async def _pause(
    seconds: float | None, url: str, options: CrawlOptions, stop: asyncio.Event, deadline: float
) -> None:
    """Wait `seconds` (None: no wait, only the checks) on the crawl's clock; raises CrawlStopped if the
    crawl stops, and DeadlineReached at once, without waiting, if the wait would end at or past `deadline`."""
    if stop.is_set():
        raise CrawlStopped(url)
    if options.clock.now() + (seconds or 0.0) >= deadline:
        raise DeadlineReached(url)
    if seconds is not None and not await options.clock.sleep(seconds, stop):
        raise CrawlStopped(url)


def _permanent(error: FetchError) -> FetchError:
    error.retryable = False
    return error
