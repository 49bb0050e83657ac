"""Housekeeping: cleanup every 30 minutes, weekly database maintenance and the daily backup, as op jobs (they
model no data) with their schedules, in Settings.timezone. Defaults come from Settings as each job's default
run config, so the launchpad shows them and a manual run may change them."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from pydantic import Field

from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.schedules import running_schedule
from goodseed_dagster.settings import Settings
from goodseed_dagster.stages.backup import backup_database, blob_store
from goodseed_dagster.stages.crawl import close_stale
from goodseed_dagster.stages.housekeeping import move_history, sweep_bodies, swept_store, vacuum_core

# off the hour and half hour: the sweep briefly holds every crawl lock, and crawls start on the hour
CLEANUP_CRON = "15,45 * * * *"
MAINTENANCE_CRON = "0 4 * * 0"  # Sunday 04:00, after the night's crawls
BACKUP_CRON = "30 1 * * *"  # before the 02:00 crawl: the dump holds a whole day, and no crawl competes
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


class StaleCrawlConfig(dg.Config):
    deadline_s: float = Field(
        description="A crawl `running` longer than this, with no live process, is closed."
    )


class SweepConfig(dg.Config):
    grace_s: float = Field(description="Only bodies older than this (the crawl deadline) may be deleted.")
    max_bodies: int = Field(default=5000, gt=0, description="Most bodies deleted per run.")


class RunRetentionConfig(dg.Config):
    retention_days: int = Field(gt=0, description="Finished Dagster runs older than this are deleted.")
    max_runs: int = Field(default=1000, gt=0, description="Most runs deleted per run.")


class HistoryRetentionConfig(dg.Config):
    retention_days: int = Field(gt=0, description="price_history rows older than this move to Parquet.")


class BackupConfig(dg.Config):
    keep: int = Field(gt=0, description="Backups of the database kept in the archive store.")


def _done(context: dg.OpExecutionContext, metadata: dict[str, Any]) -> dg.Output[None]:
    context.log.info(", ".join(f"{k}: {v}" for k, v in metadata.items()))
    return dg.Output(None, metadata=metadata)


@dg.op(out=dg.Out(dg.Nothing))
def close_stale_crawls(
    context: dg.OpExecutionContext, config: StaleCrawlConfig, pg: Postgres
) -> dg.Output[None]:
    """Close as failed the crawls still `running` past the deadline whose process is gone."""
    closed = close_stale(pg.engine, timedelta(seconds=config.deadline_s))
    return _done(context, {"stale_crawls_closed": closed})


@dg.op(ins={"after": dg.In(dg.Nothing)}, out=dg.Out(dg.Nothing))
def sweep_archive(
    context: dg.OpExecutionContext, config: SweepConfig, pg: Postgres, store: ArchiveResource
) -> dg.Output[None]:
    """Delete archived bodies no core.pages row references (failed crawls' bodies, deleted crawls')."""
    out = sweep_bodies(
        pg.engine,
        swept_store(store.get_store()),
        grace=timedelta(seconds=config.grace_s),
        now=datetime.now(UTC),
        limit=config.max_bodies,
    )
    meta: dict[str, Any] = {"old_bodies": out.old_bodies, "orphan_bodies_deleted": out.deleted}
    return _done(context, meta | ({"skipped": out.skipped} if out.skipped else {}))


@dg.op(out=dg.Out(dg.Nothing))
def prune_runs(context: dg.OpExecutionContext, config: RunRetentionConfig) -> dg.Output[None]:
    """Delete finished Dagster runs (and their event logs) older than the retention period."""
    before = datetime.now(UTC) - timedelta(days=config.retention_days)
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(statuses=FINISHED, created_before=before), limit=config.max_runs
    )
    for record in records:
        context.instance.delete_run(record.dagster_run.run_id)
    return _done(context, {"runs_deleted": len(records), "created_before": before.isoformat()})


@dg.op(out=dg.Out(dg.Nothing))
def archive_price_history(
    context: dg.OpExecutionContext, config: HistoryRetentionConfig, pg: Postgres, store: ArchiveResource
) -> dg.Output[None]:
    """Move price_history rows past retention to price_history/<yyyy-mm>.parquet in the archive store."""
    cutoff = datetime.now(UTC) - timedelta(days=config.retention_days)
    out = move_history(pg.engine, blob_store(store.get_store()), cutoff=cutoff)
    return _done(
        context,
        {
            "cutoff": cutoff.isoformat(),
            "rows_moved": out.rows_moved,
            "files": dg.MetadataValue.json(list(out.files)),
            "rows_in_files": out.rows_in_files,
            "store": store.location,
        },
    )


@dg.op(ins={"after": dg.In(dg.Nothing)}, out=dg.Out(dg.Nothing))
def vacuum_analyze_core(context: dg.OpExecutionContext, pg: Postgres) -> dg.Output[None]:
    """VACUUM ANALYZE of the core tables: reclaims deleted rows' space, refreshes planner statistics."""
    start = time.monotonic()
    tables = vacuum_core(pg.engine)
    return _done(context, {"tables": len(tables), "duration_s": round(time.monotonic() - start, 3)})


@dg.op(out=dg.Out(dg.Nothing))
def dump_database(
    context: dg.OpExecutionContext, config: BackupConfig, pg: Postgres, store: ArchiveResource
) -> dg.Output[None]:
    """pg_dump (custom format) of the GoodSeed database into the archive store's backups/, newest N kept."""
    start = time.monotonic()
    url = pg.engine.url.render_as_string(hide_password=False)  # to pg_dump's environment only, never logged
    out = backup_database(url, blob_store(store.get_store()), keep=config.keep)
    return _done(
        context,
        {
            "file": out.key,
            "location": out.location,
            "size_bytes": out.size_bytes,
            "duration_s": round(time.monotonic() - start, 3),
            "backups_deleted": len(out.deleted),
        },
    )


@dg.graph
def clean_up_graph() -> None:
    sweep_archive(close_stale_crawls())
    prune_runs()


@dg.graph
def maintain_database_graph() -> None:
    vacuum_analyze_core(archive_price_history())


@dg.graph
def back_up_database_graph() -> None:
    dump_database()


def jobs(settings: Settings) -> list[dg.JobDefinition]:
    """The three jobs, their defaults from `settings`; in-process (light steps: no process per step)."""
    deadline = settings.crawl_deadline_s
    configs: dict[str, tuple[dg.GraphDefinition, dg.RunConfig, str]] = {
        "clean_up": (
            clean_up_graph,
            dg.RunConfig(
                ops={
                    "close_stale_crawls": StaleCrawlConfig(deadline_s=deadline),
                    "sweep_archive": SweepConfig(grace_s=deadline),
                    "prune_runs": RunRetentionConfig(retention_days=settings.run_retention_days),
                }
            ),
            "Close stale crawls, delete unreferenced archived bodies and old Dagster runs.",
        ),
        "maintain_database": (
            maintain_database_graph,
            dg.RunConfig(
                ops={
                    "archive_price_history": HistoryRetentionConfig(
                        retention_days=settings.price_history_retention_days
                    )
                }
            ),
            "Move old price_history to Parquet in the archive store, then VACUUM ANALYZE the core tables.",
        ),
        "back_up_database": (
            back_up_database_graph,
            dg.RunConfig(ops={"dump_database": BackupConfig(keep=settings.backup_keep)}),
            "pg_dump of the GoodSeed database into the archive store, keeping the newest backups.",
        ),
    }
    return [
        graph.to_job(
            name=name,
            description=doc,
            config=config,
            tags={"trigger": "housekeeping"},
        )
        for name, (graph, config, doc) in configs.items()
    ]


def definitions(settings: Settings) -> dg.Definitions:
    """The housekeeping jobs and their schedules (running by default: the product's own operations)."""
    clean_up, maintain_database, back_up_database = jobs(settings)
    schedules = [
        running_schedule(name, job, cron, settings)
        for name, job, cron in (
            ("every_30m_clean_up", clean_up, CLEANUP_CRON),
            ("weekly_maintain_database", maintain_database, MAINTENANCE_CRON),
            ("daily_back_up_database", back_up_database, BACKUP_CRON),
        )
    ]
    return dg.Definitions(jobs=[clean_up, maintain_database, back_up_database], schedules=schedules)
