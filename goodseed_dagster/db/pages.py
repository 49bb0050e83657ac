"""core.pages: the crawl manifest, one row per fetched URL; bodies live in the archive under sha256."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import polars as pl
from sqlalchemy import Connection, text

from goodseed_dagster.db.copy import copy_frame
from goodseed_dagster.scraping.models import PageRecord

PAGE_COLUMNS = [
    "url",
    "status",
    "bytes",
    "sha256",
    "content_type",
    "etag",
    "last_modified",
    "not_modified",
    "robots_blocked",
    "fetched_at",
    "elapsed_ms",
    "error",
]


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """A page of a crawl whose body is in the archive."""

    url: str
    sha256: str
    content_type: str | None
    status: int | None


def copy_pages(conn: Connection, crawl_id: int, records: Sequence[PageRecord]) -> int:
    if not records:
        return 0
    frame = pl.DataFrame(
        [{k: v for k, v in asdict(r).items() if k in PAGE_COLUMNS} for r in records],
        schema_overrides={"status": pl.Int64, "fetched_at": pl.Datetime("us", "UTC")},
        infer_schema_length=None,
    ).select(PAGE_COLUMNS)
    return copy_frame(conn, "core.pages", frame.with_columns(crawl_id=pl.lit(crawl_id)))


def previous_pages(conn: Connection, seller: str) -> dict[str, PageRecord]:
    """The newest archived fetch of each URL, for conditional GET (ETag / Last-Modified)."""
    rows = conn.execute(
        text("""SELECT DISTINCT ON (p.url) p.url, p.status, p.fetched_at, p.elapsed_ms, p.bytes, p.sha256,
                       p.content_type, p.etag, p.last_modified
                FROM core.pages p JOIN core.crawls c ON c.id = p.crawl_id
                WHERE c.seller = :seller AND p.sha256 IS NOT NULL
                ORDER BY p.url, p.fetched_at DESC"""),
        {"seller": seller},
    )
    return {r.url: PageRecord(**r._mapping) for r in rows}


def archived_pages(conn: Connection, crawl_id: int) -> list[ArchivedPage]:
    """The pages of a crawl that have a body in the archive, in fetch order."""
    rows = conn.execute(
        text("""SELECT url, sha256, content_type, status FROM core.pages
                WHERE crawl_id = :id AND sha256 IS NOT NULL ORDER BY id"""),
        {"id": crawl_id},
    )
    return [ArchivedPage(**r._mapping) for r in rows]
