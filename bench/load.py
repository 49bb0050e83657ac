"""Load benchmark: the offers + price_history merge versus a bare COPY of the same rows.

    python bench/load.py [--rows 1000000] [--runs 3] [--explain]

1. Offers (not measured): bench/normalize.py's listings (the real catalogue's strings in the market
   shops' styles, several currencies) through normalize_offers, the first --rows offers. Day 2 is
   the same offers with ~10 % of the prices cut by 10 % (the daily case).
2. A fresh embedded PostgreSQL under .goodseed/bench/ (goodseed_dagster.db.embedded), a migrated
   database (goodseed_dagster.db.migrate.upgrade), one seller and its crawls (db.sources).
3. Timed, each in its own transaction, commit included:
   - COPY: goodseed_dagster.db.copy.copy_frame of the rows merge_offers stages (seller, crawl_id and
     the OFFER columns) into an empty, index-free table of that shape (median of --runs, each into a
     new table); as a reference, once into an empty copy of core.offers (its key, indexes, checks);
   - merge, day 1: goodseed_dagster.db.offers.merge_offers(complete=True) into empty core.offers and
     core.price_history: every row inserted, one history row each;
   - merge, day 2: the next day's crawl: every offer updated (last seen, crawl), ~10 % history rows.
   Each statement of the merge is timed (SQLAlchemy cursor events) to show where the time goes.
   --explain adds a day-3 merge (not timed) whose plans auto_explain prints (EXPLAIN ANALYZE).
4. The server is stopped and its data dir removed at the end.

Benchmarks are not tests: it always prints its figures and exits 0; the last line gives the verdict.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from normalize import bench_fx, build_listings, log  # bench/normalize.py (the script's directory)
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from goodseed_dagster.db import embedded
from goodseed_dagster.db.copy import copy_frame, psycopg_connection
from goodseed_dagster.db.engine import _with_driver
from goodseed_dagster.db.migrate import upgrade
from goodseed_dagster.db.offers import merge_offers
from goodseed_dagster.db.sources import start_crawl, sync_sources
from goodseed_dagster.normalize.offers import normalize_offers
from goodseed_dagster.schema import OFFER, PRICE
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.settings import PROJECT_ROOT

SELLER = "benchshop"
DAY1 = datetime(2026, 11, 1, 6, tzinfo=UTC)
ANCHOR_COPY = 260e3  # DESIGN.md "Performance notes": text COPY rows/s
TARGET = 0.7  # merge rows/s over COPY rows/s


# --------------------------------------------------------------------------------------------------
# Rows


def offers_frames(rows: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(day 1, day 2): `rows` normalized offers, then the same with ~10 % of the prices cut by 10 %."""
    listings = build_listings(int(rows * 1.2) + 1000)
    offers = normalize_offers(listings, bench_fx(), "EUR").offers
    if offers.height < rows:
        raise SystemExit(f"only {offers.height:,} offers from {listings.height:,} listings")
    day1 = OFFER.conform(offers.head(rows))
    cut = (pl.int_range(pl.len()) % 10) == 3
    money = ["price", "price_base", "price_per_seed_base"]
    day2 = day1.with_columns(
        [
            pl.when(cut)
            .then((pl.col(c).cast(pl.Float64) * 0.9).round(2))
            .otherwise(pl.col(c).cast(pl.Float64))
            .cast(PRICE)
            .alias(c)
            for c in money
        ]
    )
    return day1, day2


# --------------------------------------------------------------------------------------------------
# Server and database


@contextmanager
def fresh_database(keep: bool) -> Iterator[str]:
    """A migrated database on a new embedded server under .goodseed/bench/; stopped and removed after."""
    pgdata = PROJECT_ROOT / ".goodseed" / "bench" / f"pg-{os.getpid()}"
    shutil.rmtree(pgdata, ignore_errors=True)
    server = _with_driver(embedded.start(pgdata), "psycopg")
    try:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "goodseed_bench"'))
        admin.dispose()
        url = make_url(server).set(database="goodseed_bench").render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        embedded.stop(pgdata)
        if not keep:
            shutil.rmtree(pgdata, ignore_errors=True)


class StatementTimer:
    """Seconds per SQL statement (first line) of what runs on the engine while `active`."""

    def __init__(self, engine: Engine) -> None:
        self.active = False
        self.times: dict[str, float] = {}
        self._start = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._start = time.perf_counter()

    def _after(self, _conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        if self.active:
            key = " ".join(statement.split())[:70]
            self.times[key] = self.times.get(key, 0.0) + time.perf_counter() - self._start


# --------------------------------------------------------------------------------------------------
# Runs


def time_copy(engine: Engine, frame: pl.DataFrame, run: int, *, indexed: bool = False) -> float:
    """Seconds to COPY `frame` into a new empty table, commit included: one of exactly its columns, or
    (indexed) a copy of core.offers with its keys, indexes and checks (foreign keys aside)."""
    table = f"public.copy_target_{run}"
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    with engine.begin() as conn:
        if indexed:
            conn.execute(text(f"CREATE TABLE {table} (LIKE core.offers INCLUDING ALL)"))
        else:
            conn.execute(text(f"CREATE TABLE {table} AS SELECT {cols} FROM core.offers WITH NO DATA"))
    t0 = time.perf_counter()
    with engine.begin() as conn:
        copy_frame(conn, table, frame)
    seconds = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("CHECKPOINT"))
    return seconds


def time_merge(
    engine: Engine, timer: StatementTimer, crawl_id: int, at: datetime, frame: pl.DataFrame
) -> tuple[float, Any, dict[str, float]]:
    timer.times, timer.active = {}, True
    t0 = time.perf_counter()
    with engine.begin() as conn:
        counts = merge_offers(conn, SELLER, crawl_id, at, frame, complete=True)
    seconds = time.perf_counter() - t0
    timer.active = False
    with engine.begin() as conn:
        conn.execute(text("CHECKPOINT"))
    return seconds, counts, dict(timer.times)


def explain_merge(engine: Engine, crawl_id: int, at: datetime, frame: pl.DataFrame) -> None:
    """One more merge with auto_explain printing each statement's EXPLAIN ANALYZE (as notices)."""
    with engine.begin() as conn:
        raw = psycopg_connection(conn)
        raw.add_notice_handler(lambda diag: print(diag.message_primary or "", flush=True))
        for setting in (
            "LOAD 'auto_explain'",
            "SET LOCAL auto_explain.log_min_duration = 0",
            "SET LOCAL auto_explain.log_analyze = on",
            "SET LOCAL auto_explain.log_buffers = on",
            "SET LOCAL auto_explain.log_triggers = on",
            "SET LOCAL auto_explain.log_level = notice",
        ):
            conn.execute(text(setting))
        merge_offers(conn, SELLER, crawl_id, at, frame, complete=True)


def setup_seller(conn: Connection, crawls: int) -> list[int]:
    sync_sources(conn, [SourceConfig(slug=SELLER, name="Bench Shop", base_url="https://bench.example/")])
    return [start_crawl(conn, SELLER) for _ in range(crawls)]


def staged(frame: pl.DataFrame, crawl_id: int) -> pl.DataFrame:
    """The frame merge_offers COPYs into its staging table."""
    return frame.with_columns(seller=pl.lit(SELLER), crawl_id=pl.lit(crawl_id)).select(
        "seller", "crawl_id", *OFFER.names
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="offers to merge")
    ap.add_argument("--runs", type=int, default=3, help="COPY runs (the median is the baseline)")
    ap.add_argument("--explain", action="store_true", help="print the merge's plans (auto_explain)")
    ap.add_argument("--keep", action="store_true", help="keep the data dir after stopping the server")
    args = ap.parse_args()
    log(f"{os.cpu_count()} cores; load {os.getloadavg()}")
    log(f"building {args.rows:,} offers (listings through normalize_offers) ...")
    day1, day2 = offers_frames(args.rows)
    log(
        f"  {day1.height:,} offers; day 2 changes {day1.filter(pl.col('price') != day2['price']).height:,} prices"
    )
    log("starting a fresh embedded PostgreSQL under .goodseed/bench/ ...")
    with fresh_database(args.keep) as url:
        engine = create_engine(url)
        timer = StatementTimer(engine)
        with engine.begin() as conn:
            crawl1, crawl2, crawl3 = setup_seller(conn, 3)
        copies = []
        for i in range(args.runs):
            log(f"COPY {day1.height:,} rows into an empty table (run {i + 1}/{args.runs}) ...")
            copies.append(time_copy(engine, staged(day1, crawl1), i))
            log(f"  {copies[-1]:.2f}s = {day1.height / copies[-1]:,.0f} rows/s")
        copy_s = sorted(copies)[len(copies) // 2]
        log("reference: COPY into an empty copy of core.offers (its primary key, indexes and checks) ...")
        seen = staged(day1, crawl1).with_columns(first_seen_at=DAY1, last_seen_at=DAY1, active=True)
        indexed_s = time_copy(engine, seen, args.runs, indexed=True)
        log(f"  {indexed_s:.2f}s = {day1.height / indexed_s:,.0f} rows/s")
        merges = []
        for name, crawl, at, frame in (
            ("day 1 (all new)", crawl1, DAY1, day1),
            ("day 2 (~10% prices changed)", crawl2, DAY1 + timedelta(days=1), day2),
        ):
            log(f"merge {name} ...")
            seconds, counts, stmts = time_merge(engine, timer, crawl, at, frame)
            log(f"  {seconds:.2f}s = {frame.height / seconds:,.0f} rows/s; {counts}")
            merges.append((name, seconds, counts, stmts))
        if args.explain:
            log("merge day 3 (= day 1's prices back) with auto_explain:")
            explain_merge(engine, crawl3, DAY1 + timedelta(days=2), day1)
        engine.dispose()
    report(day1.height, copy_s, indexed_s, merges)


def report(
    rows: int, copy_s: float, indexed_s: float, merges: list[tuple[str, float, Any, dict[str, float]]]
) -> None:
    copy_rate = rows / copy_s
    print("\n== load: figures ==")
    print(
        f"COPY into an empty table: {copy_rate:>10,.0f} rows/s ({copy_s:.2f}s; DESIGN anchor, text COPY: "
        f"{ANCHOR_COPY:,.0f})"
    )
    print(
        f"  reference, COPY into an empty copy of core.offers (keys, indexes, checks): {rows / indexed_s:,.0f} "
        f"rows/s = {copy_s / indexed_s:.2f}x the COPY"
    )
    ok = True
    for name, seconds, counts, stmts in merges:
        rate = rows / seconds
        ok = ok and rate / copy_rate >= TARGET
        print(
            f"merge {name:<28} {rate:>10,.0f} rows/s ({seconds:.2f}s) = {rate / copy_rate:.2f}x the COPY; "
            f"{counts.new_offers:,} new, {counts.price_changes:,} history rows"
        )
        other = seconds - sum(stmts.values())
        for stmt, s in sorted(stmts.items(), key=lambda kv: -kv[1])[:6]:
            print(f"    {s:6.2f}s  {stmt}")
        print(f"    {other:6.2f}s  (staging COPY, frame to CSV, commit)")
    print(f"target (merge >= {TARGET}x the COPY, both days): {'MET' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main()
