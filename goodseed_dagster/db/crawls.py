"""SQL for sellers' sources, crawl manifests (core.crawls / core.pages) and listings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection, text

from goodseed_dagster.db.copy import copy_frame
from goodseed_dagster.scraping.models import OFFER_FACTS, PageRecord, RawOffer, SourceConfig


def config_hash(source: SourceConfig) -> str:
    payload = json.dumps(source.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def sync_sources(conn: Connection, sources: Sequence[SourceConfig]) -> dict[str, int]:
    """Upsert configured sellers; sellers no longer configured are disabled, never deleted (history)."""
    added = changed = 0
    current = {
        r.slug: r.config_hash for r in conn.execute(text("SELECT slug, config_hash FROM core.sources"))
    }
    for s in sources:
        h = config_hash(s)
        added += s.slug not in current
        changed += s.slug in current and current[s.slug] != h
        conn.execute(
            text(
                """INSERT INTO core.sources (slug, name, platform, base_url, config, config_hash, enabled, updated_at)
                   VALUES (:slug, :name, :platform, :base_url, CAST(:config AS jsonb), :hash, :enabled, now())
                   ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, platform = EXCLUDED.platform,
                     base_url = EXCLUDED.base_url, config = EXCLUDED.config, config_hash = EXCLUDED.config_hash,
                     enabled = EXCLUDED.enabled,
                     updated_at = CASE WHEN core.sources.config_hash = EXCLUDED.config_hash
                                       THEN core.sources.updated_at ELSE now() END"""
            ),
            {
                "slug": s.slug,
                "name": s.name,
                "platform": s.platform,
                "base_url": s.base_url,
                "config": json.dumps(s.model_dump(mode="json")),
                "hash": h,
                "enabled": s.enabled,
            },
        )
    gone = conn.execute(
        text(
            "UPDATE core.sources SET enabled = false, updated_at = now() WHERE enabled AND NOT slug = ANY(:slugs)"
        ),
        {"slugs": [s.slug for s in sources]},
    ).rowcount
    return {"added": added, "changed": changed, "disabled": gone, "configured": len(sources)}


def active_sources(conn: Connection) -> dict[str, str]:
    """{slug: config_hash} of enabled sellers (the sensor's wanted set)."""
    rows = conn.execute(text("SELECT slug, config_hash FROM core.sources WHERE enabled ORDER BY slug"))
    return {r.slug: r.config_hash for r in rows}


def load_source(conn: Connection, slug: str) -> SourceConfig:
    row = conn.execute(text("SELECT config FROM core.sources WHERE slug = :slug"), {"slug": slug}).first()
    if row is None:
        raise KeyError(f"seller {slug!r} is not in core.sources; materialize seller_sources first")
    return SourceConfig.model_validate(row.config)


def start_crawl(conn: Connection, seller: str) -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO core.crawls (seller, started_at, status) VALUES (:seller, now(), 'running') RETURNING id"
            ),
            {"seller": seller},
        ).scalar_one()
    )


def finish_crawl(
    conn: Connection, crawl_id: int, *, status: str, stats: dict[str, float], stopped_reason: str | None
) -> None:
    conn.execute(
        text("""UPDATE core.crawls SET finished_at = now(), status = :status, stopped_reason = :reason,
                  pages = :pages, fetched = :fetched, not_modified = :not_modified, failed = :failed,
                  robots_blocked = :robots_blocked, bytes = :bytes, duration_s = :duration_s
                WHERE id = :id"""),
        {
            "id": crawl_id,
            "status": status,
            "reason": stopped_reason,
            **dict.fromkeys(CRAWL_STATS, 0),
            **stats,
        },
    )


CRAWL_STATS = ("pages", "fetched", "not_modified", "failed", "robots_blocked", "bytes", "duration_s")


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


def copy_pages(conn: Connection, crawl_id: int, records: Sequence[PageRecord]) -> int:
    if not records:
        return 0
    rows = [{k: v for k, v in asdict(r).items() if k in PAGE_COLUMNS} for r in records]
    frame = pl.DataFrame(
        rows,
        schema_overrides={"status": pl.Int64, "fetched_at": pl.Datetime("us", "UTC")},
        infer_schema_length=None,
    ).select(PAGE_COLUMNS)
    return copy_frame(conn, "core.pages", frame.with_columns(crawl_id=pl.lit(crawl_id)))


def get_crawl(conn: Connection, crawl_id: int) -> dict[str, object]:
    row = conn.execute(text("SELECT * FROM core.crawls WHERE id = :id"), {"id": crawl_id}).one()
    return dict(row._mapping)


def latest_crawl(conn: Connection, seller: str) -> dict[str, object] | None:
    """The seller's newest finished crawl."""
    row = conn.execute(
        text("""SELECT * FROM core.crawls WHERE seller = :seller AND status <> 'running'
                ORDER BY id DESC LIMIT 1"""),
        {"seller": seller},
    ).first()
    return dict(row._mapping) if row else None


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


def archived_pages(conn: Connection, crawl_id: int) -> list[dict[str, object]]:
    """The pages of a crawl that have a body in the archive, in fetch order."""
    rows = conn.execute(
        text("""SELECT url, sha256, content_type, status FROM core.pages
                WHERE crawl_id = :id AND sha256 IS NOT NULL ORDER BY id"""),
        {"id": crawl_id},
    )
    return [dict(r._mapping) for r in rows]


LISTING_COLUMNS = ["page_url", "url", "product_id", *OFFER_FACTS, "regular_price", "variant", "adapter"]


def listings_frame(page_offers: Sequence[tuple[str, RawOffer]]) -> pl.DataFrame:
    rows = [
        {"page_url": page_url, **{k: v for k, v in asdict(o).items() if k in LISTING_COLUMNS}}
        for page_url, o in page_offers
    ]
    schema: dict[str, pl.DataType] = {c: pl.String() for c in LISTING_COLUMNS} | {
        "pack_size": pl.Int64(),
        "price": pl.Decimal(14, 4),
        "regular_price": pl.Decimal(14, 4),
        "in_stock": pl.Boolean(),
    }
    return pl.DataFrame(rows, schema=schema)


def replace_listings(conn: Connection, seller: str, crawl_id: int, frame: pl.DataFrame) -> int:
    """The seller's listings become exactly this crawl's extraction (re-parsing is idempotent)."""
    conn.execute(text("DELETE FROM core.listings WHERE seller = :seller"), {"seller": seller})
    conn.execute(
        text("UPDATE core.crawls SET extracted_at = clock_timestamp() WHERE id = :id"), {"id": crawl_id}
    )
    return copy_frame(
        conn, "core.listings", frame.with_columns(seller=pl.lit(seller), crawl_id=pl.lit(crawl_id))
    )


def read_listings(conn: Connection, seller: str) -> tuple[int | None, pl.DataFrame]:
    """(crawl id, listings) of the crawl most recently extracted for the seller; (None, empty) if none was."""
    crawl_id = conn.execute(
        text("""SELECT id FROM core.crawls WHERE seller = :seller AND extracted_at IS NOT NULL
                ORDER BY extracted_at DESC LIMIT 1"""),
        {"seller": seller},
    ).scalar()
    schema = {c: pl.String for c in LISTING_COLUMNS}
    if crawl_id is None:
        return None, pl.DataFrame(schema=schema)
    rows = conn.execute(
        text(
            f"SELECT {', '.join(LISTING_COLUMNS)} FROM core.listings WHERE seller = :seller AND crawl_id = :id"
        ),
        {"seller": seller, "id": crawl_id},
    ).all()
    frame = (
        pl.DataFrame([dict(r._mapping) for r in rows], infer_schema_length=None)
        if rows
        else pl.DataFrame(schema=schema)
    )
    return int(crawl_id), frame


def now_utc() -> datetime:
    return datetime.now(UTC)
