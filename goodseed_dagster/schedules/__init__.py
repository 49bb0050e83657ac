"""Schedules: the daily crawl, one run per seller so a slow or broken seller delays no other."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from goodseed_dagster.jobs import crawl_sellers
from goodseed_dagster.settings import Settings

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def running_schedule(
    name: str, job: dg.JobDefinition | UnresolvedAssetJobDefinition, cron: str, settings: Settings
) -> dg.ScheduleDefinition:
    """A periodic job's schedule: in Settings.timezone, running by default (the product's own operations)."""
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def daily_crawl_sellers(settings: Settings) -> dg.ScheduleDefinition:
    """One run per seller partition at Settings.crawl_cron in Settings.timezone; run_key per day and seller."""

    @dg.schedule(
        name="daily_crawl_sellers",
        job=crawl_sellers,
        cron_schedule=settings.crawl_cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        tick = context.scheduled_execution_time
        day = tick.date().isoformat() if tick else "now"
        return [
            dg.RunRequest(partition_key=s, run_key=f"{day}:{s}", tags={"seller": s, "trigger": "schedule"})
            for s in sorted(context.instance.get_dynamic_partitions("sellers"))
        ]

    return schedule
