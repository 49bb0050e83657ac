"""core.sources and core.crawls: which sellers exist, and one row per crawl of each."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from goodseed_dagster.db.locks import CRAWL_LOCK_FREE
from goodseed_dagster.scraping.models import SourceConfig

CRAWL_STATS = ("pages", "fetched", "not_modified", "failed", "robots_blocked", "bytes", "duration_s")


@dataclass(frozen=True, slots=True)
class SourceSync:
    configured: int
    added: int
    changed: int
    disabled: int


@dataclass(frozen=True, slots=True)
class Crawl:
    """One row of core.crawls."""

    id: int
    seller: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # running | ok | partial | failed
    stopped_reason: str | None
    extracted_at: datetime | None
    merged_at: datetime | None  # when its offers were last merged into core.offers

    @property
    def complete(self) -> bool:
        """Every page was reached: only then may offers missing from it be retired."""
        return self.status == "ok"

    def older_than(self, other: Crawl) -> bool:
        """Observed before `other` (crawls of one seller start in id order; the id breaks a tie)."""
        return (self.started_at, self.id) < (other.started_at, other.id)


def config_hash(source: SourceConfig) -> str:
    payload = json.dumps(source.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


_UPSERT_SOURCE = text("""
INSERT INTO core.sources (slug, name, platform, base_url, config, config_hash, enabled, updated_at)
VALUES (:slug, :name, :platform, :base_url, CAST(:config AS jsonb), :hash, :enabled, now())
ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, platform = EXCLUDED.platform,
  base_url = EXCLUDED.base_url, config = EXCLUDED.config, config_hash = EXCLUDED.config_hash,
  enabled = EXCLUDED.enabled,
  updated_at = CASE WHEN core.sources.config_hash = EXCLUDED.config_hash
                    THEN core.sources.updated_at ELSE now() END""")


def sync_sources(conn: Connection, sources: Sequence[SourceConfig]) -> SourceSync:
    """Upsert configured sellers; sellers no longer configured are disabled, never deleted (history)."""
    current = {
        r.slug: r.config_hash for r in conn.execute(text("SELECT slug, config_hash FROM core.sources"))
    }
    added = changed = 0
    for s in sources:
        h = config_hash(s)
        added += s.slug not in current
        changed += s.slug in current and current[s.slug] != h
        conn.execute(
            _UPSERT_SOURCE,
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
    disabled = conn.execute(
        text(
            "UPDATE core.sources SET enabled = false, updated_at = now() WHERE enabled AND NOT slug = ANY(:s)"
        ),
        {"s": [s.slug for s in sources]},
    ).rowcount
    return SourceSync(configured=len(sources), added=added, changed=changed, disabled=disabled)


def active_sources(conn: Connection) -> dict[str, str]:
    """{slug: config_hash} of enabled sellers (the sensor's wanted set)."""
    rows = conn.execute(text("SELECT slug, config_hash FROM core.sources WHERE enabled ORDER BY slug"))
    return {r.slug: r.config_hash for r in rows}


def load_source(conn: Connection, slug: str) -> SourceConfig:
    row = conn.execute(text("SELECT config FROM core.sources WHERE slug = :slug"), {"slug": slug}).first()
    if row is None:
        raise LookupError(f"seller {slug!r} is not in core.sources; materialize seller_sources first")
    return SourceConfig.model_validate(row.config)


def start_crawl(conn: Connection, seller: str) -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO core.crawls (seller, started_at, status) VALUES (:s, now(), 'running') RETURNING id"
            ),
            {"s": seller},
        ).scalar_one()
    )


def finish_crawl(
    conn: Connection, crawl_id: int, *, status: str, stats: Mapping[str, float], stopped_reason: str | None
) -> None:
    """Close the crawl row with its outcome; `stats` holds CRAWL_STATS (missing ones count 0)."""
    sets = ", ".join(f"{c} = :{c}" for c in CRAWL_STATS)
    conn.execute(
        text(f"""UPDATE core.crawls SET finished_at = now(), status = :status, stopped_reason = :reason, {sets}
                 WHERE id = :id"""),
        {
            "id": crawl_id,
            "status": status,
            "reason": stopped_reason,
            **dict.fromkeys(CRAWL_STATS, 0),
            **stats,
        },
    )


_CRAWL_COLUMNS = "id, seller, started_at, finished_at, status, stopped_reason, extracted_at, merged_at"


def _newest_crawl(conn: Connection, seller: str, where: str, order: str = "id DESC") -> Crawl | None:
    row = conn.execute(
        text(
            f"SELECT {_CRAWL_COLUMNS} FROM core.crawls WHERE seller = :seller AND {where} ORDER BY {order} LIMIT 1"
        ),
        {"seller": seller},
    ).first()
    return Crawl(**row._mapping) if row else None


def latest_crawl(conn: Connection, seller: str) -> Crawl | None:
    """The seller's newest crawl that fetched something (ok or partial; a failed one archived nothing)."""
    return _newest_crawl(conn, seller, "status IN ('ok', 'partial')")


def last_extracted_crawl(conn: Connection, seller: str) -> Crawl | None:
    """The crawl whose listings are the seller's current ones (the one most recently extracted)."""
    return _newest_crawl(conn, seller, "extracted_at IS NOT NULL", "extracted_at DESC")


def mark_extracted(conn: Connection, crawl_id: int) -> None:
    conn.execute(
        text("UPDATE core.crawls SET extracted_at = clock_timestamp() WHERE id = :id"), {"id": crawl_id}
    )


def last_merged_crawl(conn: Connection, seller: str) -> Crawl | None:
    """The newest crawl whose offers were merged into core.offers: what the seller's offers show now."""
    return _newest_crawl(conn, seller, "merged_at IS NOT NULL", "started_at DESC, id DESC")


def mark_merged(conn: Connection, crawl_id: int) -> None:
    conn.execute(
        text("UPDATE core.crawls SET merged_at = clock_timestamp() WHERE id = :id"), {"id": crawl_id}
    )


_ABANDON = """UPDATE core.crawls SET status = 'failed', finished_at = now(),
                stopped_reason = 'abandoned: the process running it ended without closing it'
              WHERE status = 'running' AND {where}"""


def close_abandoned_crawls(conn: Connection, seller: str) -> int:
    """Close the seller's `running` crawls as failed. Call it holding the seller's crawl lock (db.locks): then
    no live process is crawling the seller, so every such row was left by a dead one."""
    return conn.execute(text(_ABANDON.format(where="seller = :seller")), {"seller": seller}).rowcount


def close_stale_crawls(conn: Connection, older_than: timedelta) -> int:
    """Close as failed every crawl `running` for longer than `older_than` whose seller no live process is
    crawling (its crawl lock is free): the cleanup schedule's call. Returns how many were closed."""
    where = f"started_at < now() - :age AND {CRAWL_LOCK_FREE}"
    return conn.execute(text(_ABANDON.format(where=where)), {"age": older_than}).rowcount
