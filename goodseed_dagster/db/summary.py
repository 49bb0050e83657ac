"""What the last pipeline run did: the counts `goodseed demo` prints at the end."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True, slots=True)
class RunSummary:
    sellers_ok: int
    sellers_partial: int
    sellers_failed: int
    pages: int
    pages_not_modified: int
    bytes: int
    offers: int
    strains: int
    strains_sold_by_several: int
    price_history_rows: int
    price_changes: int  # history rows of offers that had an earlier row: real changes, not first sightings
    quarantined: int


def run_summary(conn: Connection, since_crawl_id: int) -> RunSummary:
    """Counts over crawls newer than `since_crawl_id` (this run) and the current catalogue."""
    crawl = conn.execute(
        text("""
        SELECT count(*) FILTER (WHERE status = 'ok') AS sellers_ok,
               count(*) FILTER (WHERE status = 'partial') AS sellers_partial,
               count(*) FILTER (WHERE status = 'failed') AS sellers_failed, coalesce(sum(pages), 0)::bigint AS pages,
               coalesce(sum(not_modified), 0)::bigint AS pages_not_modified, coalesce(sum(bytes), 0)::bigint AS bytes
        FROM core.crawls WHERE id > :since"""),
        {"since": since_crawl_id},
    ).one()
    history = conn.execute(
        text("""
        SELECT count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM core.price_history p
                   WHERE p.seller = h.seller AND p.offer_key = h.offer_key AND p.crawl_id < h.crawl_id)) AS price_changes,
               count(*) AS price_history_rows
        FROM core.price_history h WHERE h.crawl_id > :since"""),
        {"since": since_crawl_id},
    ).one()
    totals = conn.execute(
        text("""
        SELECT (SELECT count(*) FROM core.offers WHERE active) AS offers,
               (SELECT count(*) FROM core.strains) AS strains,
               (SELECT count(*) FROM (SELECT strain_key FROM core.offers WHERE active AND strain_key IS NOT NULL
                                      GROUP BY strain_key HAVING count(DISTINCT seller) > 1) s) AS strains_sold_by_several,
               (SELECT count(*) FROM core.quarantine) AS quarantined""")
    ).one()
    return RunSummary(**crawl._mapping, **history._mapping, **totals._mapping)


def last_crawl_id(conn: Connection) -> int:
    return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM core.crawls")).scalar_one())
