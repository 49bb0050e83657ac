"""Schedules: the daily refresh, one run per seller so a slow or broken seller delays no other."""

import dagster as dg

from goodseed_dagster.jobs import crawl_sellers, refresh_catalogue


@dg.schedule(job=crawl_sellers, cron_schedule="0 4 * * *", execution_timezone="UTC")
def daily_crawl_sellers(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """One run per seller partition; run_key makes a re-evaluated tick idempotent."""
    day = context.scheduled_execution_time.date().isoformat() if context.scheduled_execution_time else "now"
    return [
        dg.RunRequest(partition_key=s, run_key=f"{day}:{s}")
        for s in context.instance.get_dynamic_partitions("sellers")
    ]


daily_refresh_catalogue = dg.ScheduleDefinition(
    name="daily_refresh_catalogue",
    job=refresh_catalogue,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    description="After the seller crawls: FX rates and the strain catalogue.",
)
