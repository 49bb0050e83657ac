"""What one fetch becomes: its PageRecord (the core.pages row) and, when a body is usable, its Page."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from goodseed_dagster.scraping.models import Page, PageRecord
from goodseed_dagster.scraping.request import Reply


def conditional_headers(prev: PageRecord | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since, only when the archive holds the body a 304 would reuse."""
    headers: dict[str, str] = {}
    if prev is None or not prev.sha256:
        return headers
    if prev.etag:
        headers["If-None-Match"] = prev.etag
    if prev.last_modified:
        headers["If-Modified-Since"] = prev.last_modified
    return headers


def answered_record(url: str, fetched_at: datetime, reply: Reply) -> PageRecord:
    """The record of a reply with its own body (not a 304); a non-2xx status is its error."""
    record = PageRecord(
        url=url,
        status=reply.status,
        fetched_at=fetched_at,
        elapsed_ms=reply.elapsed_ms,
        bytes=len(reply.body),
        content_type=reply.headers.get("content-type"),
        etag=reply.headers.get("etag"),
        last_modified=reply.headers.get("last-modified"),
    )
    if not 200 <= reply.status < 300:
        record.error = f"HTTP {reply.status}"
    return record


def answered_page(reply: Reply, record: PageRecord) -> Page:
    return Page(reply.url, reply.body, record.content_type, reply.status, headers=reply.headers)


def not_modified(
    url: str, fetched_at: datetime, reply: Reply, prev: PageRecord, body: bytes
) -> tuple[PageRecord, Page]:
    """A 304: the archived body of `prev` stands for the page, under the validators the seller sent now."""
    record = PageRecord(
        url=url,
        status=304,
        fetched_at=fetched_at,
        elapsed_ms=reply.elapsed_ms,
        bytes=len(body),
        sha256=prev.sha256,
        content_type=prev.content_type,
        etag=reply.headers.get("etag") or prev.etag,
        last_modified=reply.headers.get("last-modified") or prev.last_modified,
        not_modified=True,
    )
    # The extractors see the archived 2xx body as it was first served (prev may itself be a 304 row).
    status = prev.status if prev.status is not None and 200 <= prev.status < 300 else 200
    return record, Page(reply.url, body, prev.content_type, status, headers=reply.headers)


def unanswered_record(
    url: str,
    fetched_at: datetime | None = None,
    started: float | None = None,
    *,
    status: int | None = None,
    error: str | None = None,
    robots_blocked: bool = False,
) -> PageRecord:
    """The record of a URL with no usable answer: refused, blocked by robots, failed, or never fetched."""
    elapsed_ms = (time.monotonic() - started) * 1000 if started is not None else 0.0
    return PageRecord(
        url=url,
        status=status,
        fetched_at=fetched_at or datetime.now(UTC),
        elapsed_ms=elapsed_ms,
        error=error,
        robots_blocked=robots_blocked,
    )
