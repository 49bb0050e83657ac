"""Housekeeping cores (no Dagster): archived bodies no manifest row references swept away, VACUUM ANALYZE of
the core tables, and price_history past retention moved to Parquet in the archive store."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

import polars as pl
from sqlalchemy import Engine

from goodseed_dagster.db.maintenance import (
    HISTORY_SCHEMA,
    delete_history,
    lock_every_crawl,
    movable_history,
    movable_months,
    unreferenced,
    vacuum_analyze,
)
from goodseed_dagster.scraping.archive import BlobStore, ObjectStore, object_key

PAGES_PREFIX = "pages/"
HISTORY_PREFIX = "price_history/"


@runtime_checkable
class SweptStore(BlobStore, Protocol):
    """An archive store that can list its keys with their age (both archive backends can)."""

    def modified(self, prefix: str) -> Iterator[tuple[str, datetime]]: ...


def swept_store(store: ObjectStore) -> SweptStore:
    if not isinstance(store, SweptStore):
        raise TypeError(f"{type(store).__name__} cannot be swept (no keys/modified/delete)")
    return store


@dataclass(frozen=True, slots=True)
class BodySweep:
    old_bodies: int  # bodies older than the grace period (the only ones looked at)
    deleted: int  # of those, bodies no core.pages row references, deleted
    skipped: str | None  # why nothing was deleted this time, if so


def _sha(key: str) -> str | None:
    """The sha256 of a `pages/ab/cd/<sha>.gz` key; None for anything else kept under pages/."""
    sha = key.rsplit("/", 1)[-1].removesuffix(".gz")
    try:
        return sha if key == object_key(sha) else None
    except ValueError:
        return None


def sweep_bodies(
    engine: Engine, store: SweptStore, *, grace: timedelta, now: datetime, limit: int
) -> BodySweep:
    """Delete up to `limit` archived bodies no core.pages row references and older than `grace` (the crawl
    deadline: a running crawl archives bodies before it writes their manifest rows).

    A crawl also reuses a stored body without rewriting it, so age alone is not enough: the deletion runs
    holding every seller's crawl lock (no crawl runs meanwhile; the references are re-read under them), and
    is skipped while any crawl is live.
    """
    old = [sha for key, at in store.modified(PAGES_PREFIX) if at < now - grace and (sha := _sha(key))]
    if not old:
        return BodySweep(0, 0, None)
    with engine.begin() as conn:
        if not lock_every_crawl(conn):
            return BodySweep(len(old), 0, "a crawl is running")
        orphans = unreferenced(conn, old)[:limit]
        for sha in orphans:  # under the locks: no crawl can reference one now
            store.delete(object_key(sha))
    return BodySweep(len(old), len(orphans), None)


@dataclass(frozen=True, slots=True)
class HistoryMove:
    files: tuple[str, ...]  # store keys written (one Parquet file per UTC month)
    rows_moved: int  # rows written and then deleted from core.price_history
    rows_in_files: int  # rows the written files hold now (earlier runs' included)


def history_key(month: str) -> str:
    return f"{HISTORY_PREFIX}{month}.parquet"


def _read(store: BlobStore, key: str, tmp: Path) -> pl.DataFrame:
    """The Parquet file `key` of the store, or an empty frame if there is none yet."""
    if key not in store.keys(key):
        return pl.DataFrame(schema=HISTORY_SCHEMA)
    path = tmp / f"read-{key.replace('/', '_')}"
    store.get_file(key, path)
    return pl.read_parquet(path)


def _store_month(store: BlobStore, key: str, rows: pl.DataFrame, tmp: Path) -> int:
    """Merge `rows` into the month's file by id (a re-run after a crash between write and delete adds no
    duplicate), write it, read the stored copy back and check every row is in it; the rows it holds."""
    merged = pl.concat([_read(store, key, tmp), rows]).unique(subset="id", keep="last").sort("id")
    local = tmp / "write.parquet"
    merged.write_parquet(local, compression="zstd", statistics=True)
    store.put_file(key, local)
    stored = _read(store, key, tmp)
    missing = rows.join(stored, on=rows.columns, how="anti", nulls_equal=True)
    if stored.height != merged.height or not missing.is_empty():
        raise RuntimeError(
            f"{key}: stored copy lacks {missing.height} of {rows.height} rows; nothing deleted"
        )
    return stored.height


def move_history(engine: Engine, store: BlobStore, *, cutoff: datetime) -> HistoryMove:
    """Move price_history rows older than `cutoff` to `price_history/<yyyy-mm>.parquet`, month by month:
    write and verify the file first, then delete exactly the rows written. Each offer keeps its newest row
    before the cutoff (its state at the cutoff: a change-only history needs it), so its latest row stays."""
    files: list[str] = []
    moved = held = 0
    with engine.connect() as conn:
        months = movable_months(conn, cutoff)
    with tempfile.TemporaryDirectory(prefix="goodseed-history-") as tmp:
        for month in months:
            with engine.connect() as conn:
                rows = movable_history(conn, cutoff, month)
            if rows.is_empty():
                continue
            key = history_key(month)
            held += _store_month(store, key, rows, Path(tmp))
            with engine.begin() as conn:
                moved += delete_history(conn, rows["id"].to_list(), cutoff)
            files.append(key)
    return HistoryMove(files=tuple(files), rows_moved=moved, rows_in_files=held)


def vacuum_core(engine: Engine) -> list[str]:
    """VACUUM ANALYZE of every core table (after retention deleted rows: their space is reused)."""
    return vacuum_analyze(engine)
