"""SQL of the housekeeping jobs: which archived bodies no manifest row references, the crawl locks a sweep
of them holds, VACUUM ANALYZE of the core tables, and the price_history rows retention may move out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Engine, text

from goodseed_dagster.db.copy import copy_frame
from goodseed_dagster.db.locks import CRAWL_LOCK_FREE
from goodseed_dagster.schema import PRICE

HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "seller": pl.String(),
    "offer_key": pl.String(),
    "crawl_id": pl.Int64(),
    "observed_at": pl.Datetime("us", "UTC"),
    "price": PRICE,
    "currency": pl.String(),
    "price_base": PRICE,
    "in_stock": pl.Boolean(),
}
_HISTORY_COLS = ", ".join(HISTORY_SCHEMA)


def lock_every_crawl(conn: Connection) -> bool:
    """Take every seller's crawl lock until the transaction ends; False (and nothing held after rollback)
    if a live crawl holds one. Holding them all, no crawl runs or starts, so none can be about to reference
    an archived body it found already stored (the archive's put() skips bodies it has)."""
    conn.execute(text("LOCK TABLE core.sources IN SHARE MODE"))  # no new seller appears meanwhile
    busy: int = conn.execute(
        text(
            f"SELECT count(*) FILTER (WHERE NOT {CRAWL_LOCK_FREE}) FROM (SELECT slug AS seller FROM core.sources) s"
        )
    ).scalar_one()
    return int(busy) == 0


def unreferenced(conn: Connection, shas: Iterable[str]) -> list[str]:
    """The sha256s among `shas` that no core.pages row names, sorted: one set-based anti-join (COPY into a
    temp table), not a lookup per body."""
    frame = pl.DataFrame({"sha256": sorted(set(shas))}, schema={"sha256": pl.String()})
    if frame.is_empty():
        return []
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.sweep_bodies"))
    conn.execute(text("CREATE TEMP TABLE sweep_bodies (sha256 text PRIMARY KEY) ON COMMIT DROP"))
    copy_frame(conn, "sweep_bodies", frame)
    conn.execute(text("ANALYZE sweep_bodies"))
    rows = conn.execute(
        text(
            "SELECT b.sha256 FROM sweep_bodies b WHERE NOT EXISTS"
            " (SELECT 1 FROM core.pages p WHERE p.sha256 = b.sha256) ORDER BY 1"
        )
    )
    return list(rows.scalars())


def core_tables(conn: Connection) -> list[str]:
    """Every table of schema core, quoted, in name order."""
    return list(
        conn.execute(
            text(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = 'core' ORDER BY 1"
            )
        ).scalars()
    )


def vacuum_analyze(engine: Engine) -> list[str]:
    """VACUUM ANALYZE each core table (VACUUM cannot run in a transaction: an autocommit connection); the
    tables done."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        tables = core_tables(conn)
        for table in tables:
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))
    return tables


# A row may move out when a newer row of its offer is also older than the cutoff: the newest row before the
# cutoff stays, because in a change-only history it is the offer's state from then until its next change
# (and, when nothing changed since, its current state). So the kept history still answers "what was the
# price at any time after the cutoff" on its own.
_MOVABLE = """
SELECT {cols} FROM (
  SELECT h.*, row_number() OVER (PARTITION BY seller, offer_key ORDER BY observed_at DESC, id DESC) AS newer
  FROM core.price_history h WHERE observed_at < :cutoff
) x WHERE newer > 1 {where}"""

_MONTH = "to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM')"


def movable_months(conn: Connection, cutoff: datetime) -> list[str]:
    """The UTC months (`yyyy-mm`) holding price_history rows retention may move out, oldest first."""
    sql = _MOVABLE.format(cols=f"DISTINCT {_MONTH} AS month", where="") + " ORDER BY 1"
    return list(conn.execute(text(sql), {"cutoff": cutoff}).scalars())


def movable_history(conn: Connection, cutoff: datetime, month: str) -> pl.DataFrame:
    """The movable rows of one UTC month, in id order, typed as HISTORY_SCHEMA."""
    sql = _MOVABLE.format(cols=_HISTORY_COLS, where=f"AND {_MONTH} = :month") + " ORDER BY id"
    rows = conn.execute(text(sql), {"cutoff": cutoff, "month": month}).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=HISTORY_SCHEMA, orient="row")


def delete_history(conn: Connection, ids: list[int], cutoff: datetime) -> int:
    """Delete exactly these rows, each only while a newer row of its offer before the cutoff remains (an
    offer's latest state is never deleted, whatever the caller passed); how many went."""
    if not ids:
        return 0
    return conn.execute(
        text(
            "DELETE FROM core.price_history h WHERE h.id = ANY(:ids) AND EXISTS (SELECT 1 FROM core.price_history n"
            " WHERE n.seller = h.seller AND n.offer_key = h.offer_key AND n.observed_at < :cutoff"
            " AND (n.observed_at, n.id) > (h.observed_at, h.id) AND NOT n.id = ANY(:ids))"
        ),
        {"ids": ids, "cutoff": cutoff},
    ).rowcount
