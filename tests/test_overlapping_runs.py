"""Runs of one seller that overlap, or come late, leave core.listings, core.offers and core.price_history
consistent (issue #14): two loads at once used to double the listings (then every offer was quarantined as
a duplicate and deactivated); an old crawl merged after a new one moved prices back; a crawl row whose
process was killed stayed `running` forever."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from seller_runs import add_seller, assert_history_agrees, count, load, new_crawl, offer
from sqlalchemy import Engine, text

from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.db.locks import CrawlRunning, crawl_lock
from goodseed_dagster.db.sources import close_stale_crawls, sync_sources
from goodseed_dagster.market import MarketServer
from goodseed_dagster.scraping.archive import LocalObjectStore
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.stages.crawl import crawl_seller
from goodseed_dagster.stages.errors import CrawlInProgress, CrawlSuperseded
from goodseed_dagster.stages.offers import publish_offers

SELLER = "shop"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
LISTINGS = "SELECT count(*) FROM core.listings WHERE seller = :s"


@pytest.fixture
def engine(fresh_pg_url: str) -> Engine:
    engine = engine_for(fresh_pg_url)
    add_seller(engine, SELLER)
    return engine


def _waiting_on_locks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("""SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'""")
            ).scalar_one()
        )


def _overlapping(engine: Engine, lock_rows: str, runs: Sequence[Callable[[], object]]) -> None:
    """Start `runs` together while a transaction holds the rows `lock_rows` selects, so each run stops inside
    its write transaction; release them only once all of them wait, so their writes really overlap."""
    errors: list[BaseException] = []

    def run(f: Callable[[], object]) -> None:
        try:
            f()
        except BaseException as e:  # reported by the test thread
            errors.append(e)

    with engine.begin() as blocker:
        blocker.execute(text(lock_rows), {"s": SELLER})
        threads = [threading.Thread(target=run, args=(f,)) for f in runs]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while _waiting_on_locks(engine) < len(runs):
            assert time.monotonic() < deadline, "the runs never reached their writes"
            time.sleep(0.05)
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_two_overlapping_listings_loads_then_offers_stay_consistent(engine: Engine) -> None:
    """The listings asset and `goodseed reparse` of the same crawl at once: one set of rows, not two."""
    offers = [offer(f"https://shop.example/p{i}", Decimal(10 + i)) for i in range(20)]
    load(engine, SELLER, new_crawl(engine, SELLER, started_at=T0), offers)
    newest = new_crawl(engine, SELLER, started_at=T0 + timedelta(days=1))
    both = [lambda: load(engine, SELLER, newest, offers)] * 2
    _overlapping(engine, "SELECT 1 FROM core.listings WHERE seller = :s FOR UPDATE", both)
    assert count(engine, LISTINGS, SELLER) == 20

    published = publish_offers(engine, SELLER, "EUR")
    assert (published.merged.offers, published.quarantined, published.merged.deactivated) == (20, 0, 0)
    assert all(active for _, _, active in assert_history_agrees(engine, SELLER).values())


def test_two_overlapping_offers_merges_leave_one_history_row_per_change(engine: Engine) -> None:
    crawl = new_crawl(engine, SELLER, started_at=T0)
    load(engine, SELLER, crawl, [offer(f"https://shop.example/p{i}", Decimal(10 + i)) for i in range(20)])
    publish_offers(engine, SELLER, "EUR")
    newer = new_crawl(engine, SELLER, started_at=T0 + timedelta(days=1))
    load(engine, SELLER, newer, [offer(f"https://shop.example/p{i}", Decimal(5 + i)) for i in range(20)])
    both = [lambda: publish_offers(engine, SELLER, "EUR")] * 2
    _overlapping(engine, "SELECT 1 FROM core.offers WHERE seller = :s FOR UPDATE", both)

    history = assert_history_agrees(engine, SELLER)
    assert {price for price, _, _ in history.values()} == {Decimal(5 + i) for i in range(20)}
    assert count(engine, "SELECT count(*) FROM core.price_history WHERE seller = :s", SELLER) == 40


def test_an_older_crawl_is_refused_not_merged_over_a_newer_one(engine: Engine) -> None:
    old, new = (new_crawl(engine, SELLER, started_at=T0 + timedelta(days=d)) for d in (0, 1))
    day0 = [offer("https://shop.example/a", Decimal(10)), offer("https://shop.example/b", Decimal(20))]
    day1 = [offer("https://shop.example/a", Decimal(9))]  # a got cheaper, b was delisted
    for crawl, offers in ((old, day0), (new, day1)):
        load(engine, SELLER, crawl, offers)
        publish_offers(engine, SELLER, "EUR")
    current = assert_history_agrees(engine, SELLER)
    assert current == {"https://shop.example/a#5": (Decimal(9), True, True), "https://shop.example/b#5": (
        Decimal(20), True, False)}  # fmt: skip

    load(engine, SELLER, old, day0)  # `goodseed reparse --crawl <old>`
    with pytest.raises(CrawlSuperseded, match=f"crawl {old} is older than crawl {new}.*goodseed reparse"):
        publish_offers(engine, SELLER, "EUR")
    assert assert_history_agrees(engine, SELLER) == current  # no price moved back, b stays retired

    load(engine, SELLER, new, day1)  # reparsing the newest crawl makes it current again
    again = publish_offers(engine, SELLER, "EUR")
    assert again.merged.price_changes == 0 and assert_history_agrees(engine, SELLER) == current


_HOLD_A_CRAWL = """
import sys, time
from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.db.locks import crawl_lock
from goodseed_dagster.db.sources import start_crawl
engine = engine_for(sys.argv[1])
with crawl_lock(engine, sys.argv[2]):
    with engine.begin() as conn:
        crawl_id = start_crawl(conn, sys.argv[2])
    print(crawl_id, flush=True)
    time.sleep(600)
"""


def _crawl_status(engine: Engine, crawl_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, stopped_reason FROM core.crawls WHERE id = :id"), {"id": crawl_id}
        ).one()
    return row.status, row.stopped_reason


def test_a_crawl_killed_with_sigkill_is_closed_by_the_cleanup_and_a_live_one_is_not(
    fresh_pg_url: str, engine: Engine
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLD_A_CRAWL, fresh_pg_url, SELLER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        crawl_id = int(child.stdout.readline())
        with pytest.raises(CrawlRunning), crawl_lock(engine, SELLER):
            pass
        with engine.begin() as conn:
            assert close_stale_crawls(conn, timedelta(0)) == 0  # alive: however old, left alone
        assert _crawl_status(engine, crawl_id) == ("running", None)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 30  # the server ends the dead client's session, and its lock, shortly
    while True:
        with engine.begin() as conn:
            if close_stale_crawls(conn, timedelta(0)) == 1:
                break
        assert time.monotonic() < deadline, "the killed process's crawl lock was never released"
        time.sleep(0.1)
    status, reason = _crawl_status(engine, crawl_id)
    assert status == "failed" and reason is not None and reason.startswith("abandoned")
    with engine.begin() as conn:
        assert close_stale_crawls(conn, timedelta(hours=1)) == 0


def test_the_next_crawl_closes_abandoned_rows_and_a_second_crawl_is_refused(
    fresh_pg_url: str, market: MarketServer, tmp_path: Path
) -> None:
    engine = engine_for(fresh_pg_url)
    source = SourceConfig(**market.market.source_configs(market.url)[0])
    with engine.begin() as conn:
        sync_sources(conn, [source])
    abandoned = new_crawl(engine, source.slug, status="running")
    store = LocalObjectStore(tmp_path)

    with crawl_lock(engine, source.slug), pytest.raises(CrawlInProgress):
        crawl_seller(engine, store, source.slug, polite=False)  # someone else is crawling it
    assert _crawl_status(engine, abandoned)[0] == "running"

    out = crawl_seller(engine, store, source.slug, polite=False)
    assert out.abandoned == 1 and out.result.status == "ok"
    assert _crawl_status(engine, abandoned)[0] == "failed"
