"""Housekeeping jobs and schedules, run in-process against real Postgres, a real archive (local and S3 via
moto) and a real Dagster instance: cleanup, price_history retention to Parquet, VACUUM, the daily backup."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import dagster as dg
import polars as pl
import pytest
from dagster._core.storage.runs.schema import RunsTable
from pipeline_harness import Pipeline
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from test_backup import dropped, fingerprint

from goodseed_dagster.db.locks import crawl_lock
from goodseed_dagster.db.maintenance import HISTORY_SCHEMA
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.schedules.housekeeping import definitions, jobs
from goodseed_dagster.scraping.archive import LocalObjectStore, S3ObjectStore
from goodseed_dagster.settings import Settings
from goodseed_dagster.stages.backup import restore_backup
from goodseed_dagster.stages.housekeeping import sweep_bodies

__all__ = ["dropped"]  # a fixture of test_backup's, used here
SETTINGS = Settings(timezone="Europe/Amsterdam", crawl_deadline_s=3600, run_retention_days=30, backup_keep=2)
JOBS = {j.name: j for j in jobs(SETTINGS)}


def run(job: str, resources: dict[str, Any], instance: dg.DagsterInstance, **ops: Any) -> dict[str, Any]:
    """Execute a housekeeping job in-process; {op: its output metadata values}."""
    config = {"ops": {op: {"config": c} for op, c in ops.items()}} if ops else None
    result = JOBS[job].execute_in_process(run_config=config, resources=resources, instance=instance)
    assert result.success
    return {
        e.node_name: {k: v.value for k, v in e.step_output_data.metadata.items()}
        for e in result.all_node_events
        if e.is_successful_output
    }


def test_schedules_run_the_jobs_in_the_configured_zone() -> None:
    defs = definitions(SETTINGS)
    resources = dg.Definitions(resources={"pg": Postgres(), "store": ArchiveResource()})  # the core's keys
    dg.Definitions.validate_loadable(dg.Definitions.merge(defs, resources))
    expected = {
        "every_30m_clean_up": ("clean_up", "15,45 * * * *"),
        "weekly_maintain_database": ("maintain_database", "0 4 * * 0"),
        "daily_back_up_database": ("back_up_database", "30 1 * * *"),
    }
    schedules = {s.name: s for s in defs.schedules or [] if isinstance(s, dg.ScheduleDefinition)}
    assert set(schedules) == set(expected)
    for name, (job, cron) in expected.items():
        schedule = schedules[name]
        assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (
            job,
            cron,
            "Europe/Amsterdam",
        )
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
        when = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
        with dg.build_schedule_context(scheduled_execution_time=when) as ctx:
            requests = schedule.evaluate_tick(ctx).run_requests or []
        assert len(requests) == 1 and not requests[0].run_config  # the job's defaults apply
    ops = {j: JOBS[j].run_config["ops"] for j in JOBS}  # type: ignore[index]
    assert ops["clean_up"]["close_stale_crawls"]["config"]["deadline_s"] == 3600
    assert ops["clean_up"]["sweep_archive"]["config"]["grace_s"] == 3600
    assert ops["clean_up"]["prune_runs"]["config"]["retention_days"] == 30
    assert ops["maintain_database"]["archive_price_history"]["config"]["retention_days"] == 730
    assert ops["back_up_database"]["dump_database"]["config"]["keep"] == 2


def _age(path: Path, hours: float) -> None:
    """Make `path` its own file (the test archive hard-links the session's) and `hours` old."""
    shutil.copy2(path, path.with_suffix(".copy"))
    os.replace(path.with_suffix(".copy"), path)
    at = (datetime.now(UTC) - timedelta(hours=hours)).timestamp()
    os.utime(path, (at, at))


def _crawl_row(engine: Engine, seller: str, age: timedelta) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO core.crawls (seller, started_at, status) VALUES (:s, now() - :age, 'running')"
                    " RETURNING id"
                ),
                {"s": seller, "age": age},
            ).scalar_one()
        )


@dg.op
def noop() -> None:
    """A step for the runs that retention deletes."""


def test_cleanup_closes_stale_crawls_sweeps_orphans_and_prunes_runs(crawled: Pipeline) -> None:
    engine, store = crawled.engine, LocalObjectStore(crawled.workdir / "archive")
    seller = crawled.slugs[0]
    stale, fresh = (
        _crawl_row(engine, seller, timedelta(hours=3)),
        _crawl_row(engine, seller, timedelta(minutes=5)),
    )
    with engine.connect() as conn:
        referenced: str = conn.execute(
            text("SELECT sha256 FROM core.pages WHERE sha256 IS NOT NULL LIMIT 1")
        ).scalar_one()
    _age(store.path(referenced), hours=5)
    old_orphan, new_orphan = (
        store.put(b"<html>a failed crawl's page</html>"),
        store.put(b"<html>just fetched</html>"),
    )
    _age(store.path(old_orphan), hours=2)
    before = len(store.keys("pages/"))

    job = dg.GraphDefinition(name="noop_graph", node_defs=[noop]).to_job(name="noop_job")
    old_run, recent_run = (job.execute_in_process(instance=crawled.instance).run_id for _ in range(2))
    with crawled.instance.run_storage.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(
            RunsTable.update()
            .where(RunsTable.c.run_id == old_run)
            .values(create_timestamp=datetime.now(UTC).replace(tzinfo=None) - timedelta(days=31))
        )

    meta = run("clean_up", crawled.resources, crawled.instance)

    assert meta["close_stale_crawls"] == {"stale_crawls_closed": 1}
    assert meta["sweep_archive"]["orphan_bodies_deleted"] == 1 and "skipped" not in meta["sweep_archive"]
    assert not store.exists(old_orphan) and store.exists(new_orphan) and store.exists(referenced)
    assert len(store.keys("pages/")) == before - 1
    with engine.connect() as conn:
        status: dict[int, str] = dict(
            conn.execute(
                text("SELECT id, status FROM core.crawls WHERE id IN (:a, :b)"), {"a": stale, "b": fresh}
            ).all()
        )
    assert status == {stale: "failed", fresh: "running"}
    assert meta["prune_runs"]["runs_deleted"] == 1
    assert crawled.instance.get_run_by_id(old_run) is None
    assert crawled.instance.get_run_by_id(recent_run) is not None


def test_sweep_waits_while_a_crawl_is_live(crawled: Pipeline) -> None:
    """A live crawl may reuse a stored body it will reference only at its end: nothing is deleted meanwhile."""
    store = LocalObjectStore(crawled.workdir / "archive")
    orphan = store.put(b"<html>orphan</html>")
    later = datetime.now(UTC) + timedelta(hours=3)
    with crawl_lock(crawled.engine, crawled.slugs[1]):
        out = sweep_bodies(crawled.engine, store, grace=timedelta(hours=1), now=later, limit=100)
    assert (out.deleted, out.skipped) == (0, "a crawl is running") and store.exists(orphan)
    out = sweep_bodies(crawled.engine, store, grace=timedelta(hours=1), now=later, limit=100)
    assert out.deleted == 1 and not store.exists(orphan)


def test_cleanup_sweeps_an_s3_archive(crawled: Pipeline, request: pytest.FixtureRequest) -> None:
    endpoint = request.getfixturevalue("moto_endpoint")
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="goodseed-raw")
    store = S3ObjectStore(s3, "goodseed-raw", "prod/")
    local = LocalObjectStore(crawled.workdir / "archive")
    with crawled.engine.connect() as conn:
        shas: list[str] = list(
            conn.execute(
                text("SELECT DISTINCT sha256 FROM core.pages WHERE sha256 IS NOT NULL LIMIT 3")
            ).scalars()
        )
    for sha in shas:
        store.put(local.get(sha))
    orphan = store.put(b"<html>orphan in s3</html>")
    s3.put_object(Bucket="goodseed-raw", Key="prod/pages/notes.txt", Body=b"not a body")  # never touched
    resources = crawled.resources | {
        "store": ArchiveResource(s3_bucket="goodseed-raw", s3_prefix="prod/", s3_endpoint_url=endpoint)
    }
    meta = run("clean_up", resources, crawled.instance, sweep_archive={"grace_s": 0})
    assert meta["sweep_archive"]["orphan_bodies_deleted"] == 1
    assert not store.exists(orphan) and all(store.exists(s) for s in shas)
    assert "pages/notes.txt" in store.keys("pages/")


def _history(engine: Engine, where: str = "true") -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT {', '.join(HISTORY_SCHEMA)} FROM core.price_history WHERE {where} ORDER BY id")
        )
        return pl.DataFrame([tuple(r) for r in rows], schema=HISTORY_SCHEMA, orient="row")


def _seed_history(engine: Engine) -> tuple[list[int], list[int]]:
    """Three offers' histories reaching past retention (730 days); (ids to move, old ids to keep)."""
    with engine.begin() as conn:
        offers = conn.execute(text("SELECT seller, offer_key FROM core.offers ORDER BY 1, 2 LIMIT 3")).all()

        def add(offer: Any, days: int, crawl: int) -> int:
            return int(
                conn.execute(
                    text(
                        "INSERT INTO core.price_history (seller, offer_key, crawl_id, observed_at, price, currency,"
                        " price_base, in_stock) VALUES (:s, :o, :c, now() - make_interval(days => :d), 9.5 + :d / 100.0,"
                        " 'EUR', 9.5, :d % 2 = 0) RETURNING id"
                    ),
                    {"s": offer.seller, "o": offer.offer_key, "c": crawl, "d": days},
                ).scalar_one()
            )

        a = [
            add(offers[0], d, -d) for d in (800, 760, 740)
        ]  # and its current row: 740 is its state at the cutoff
        conn.execute(text("DELETE FROM core.price_history WHERE offer_key = :o"), {"o": offers[1].offer_key})
        b = [add(offers[1], d, -d) for d in (900, 800)]  # 800 is its latest row: it stays
        conn.execute(
            text(
                "UPDATE core.price_history SET observed_at = now() - interval '1000 days' WHERE offer_key = :o"
            ),
            {"o": offers[2].offer_key},
        )
        c = int(
            conn.execute(
                text("SELECT id FROM core.price_history WHERE offer_key = :o"), {"o": offers[2].offer_key}
            ).scalar_one()
        )
    return [a[0], a[1], b[0]], [a[2], b[1], c]


def test_retention_moves_old_price_history_to_parquet(crawled: Pipeline) -> None:
    engine = crawled.engine
    move, keep = _seed_history(engine)
    expected = _history(engine, f"id IN ({', '.join(map(str, move))})")
    total = _history(engine).height

    meta = run("maintain_database", crawled.resources, crawled.instance)["archive_price_history"]
    files = [crawled.workdir / "archive" / k for k in meta["files"]]
    assert meta["rows_moved"] == 3 and all(f.is_file() for f in files)
    assert pl.concat(pl.read_parquet(f) for f in files).sort("id").equals(expected)  # identical content
    left = _history(engine)
    assert left.height == total - 3 and set(keep) <= set(left["id"]) and not set(move) & set(left["id"])

    again = run("maintain_database", crawled.resources, crawled.instance)
    assert again["archive_price_history"]["rows_moved"] == 0 and again["vacuum_analyze_core"]["tables"] >= 8
    with engine.begin() as conn:  # a crash after the write, before the delete: the rows are back
        cols = ", ".join(HISTORY_SCHEMA)
        values = ", ".join(f":{c}" for c in HISTORY_SCHEMA)
        conn.execute(text(f"INSERT INTO core.price_history ({cols}) VALUES ({values})"), expected.to_dicts())
    assert (
        run("maintain_database", crawled.resources, crawled.instance)["archive_price_history"]["rows_moved"]
        == 3
    )
    assert pl.concat(pl.read_parquet(f) for f in files).sort("id").equals(expected)  # no duplicate


def test_backup_job_writes_restorable_dumps_and_keeps_n(
    fresh_pg_url: str, tmp_path: Path, dropped: list[str]
) -> None:
    resources = {"pg": Postgres(url=fresh_pg_url), "store": ArchiveResource(root=str(tmp_path / "archive"))}
    with dg.instance_for_test() as instance:
        metas = [run("back_up_database", resources, instance)["dump_database"] for _ in range(3)]
    database = make_url(fresh_pg_url).database
    store = LocalObjectStore(tmp_path / "archive")
    assert store.keys(f"backups/{database}/") == [metas[1]["file"], metas[2]["file"]]  # keep = 2
    assert metas[2]["size_bytes"] == (tmp_path / "archive" / metas[2]["file"]).stat().st_size > 0
    assert metas[2]["duration_s"] > 0 and metas[2]["backups_deleted"] == 1
    restored = restore_backup(fresh_pg_url, metas[2]["file"], store)
    dropped.append(str(make_url(restored).database))
    assert fingerprint(restored) == fingerprint(fresh_pg_url)
