"""Notification batches: after every marts rebuild, the rules turn marts × watchlists into outbox rows.

Thin wrappers over goodseed_dagster.notify (batches, weekly): the asset runs when its marts have updated
(declarative automation, like the marts themselves); the weekly digest and team report run on Mondays.
Delivery (draining the outbox) is a separate job: these assets only queue.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from goodseed_dagster import automation
from goodseed_dagster.assets._meta import md_preview, md_table
from goodseed_dagster.notify.batches import run_batch
from goodseed_dagster.notify.weekly import run_weekly
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.schedules import running_schedule
from goodseed_dagster.settings import Settings

WEEKLY_CRON = "0 7 * * 1"  # Mondays 07:00 in Settings.timezone
ALERT_MARTS = ["price_drops", "fct_offer_current", "strain_search", "fct_price_daily"]


@dg.asset(
    group_name="notifications",
    kinds={"postgres"},
    deps=[dg.AssetKey(m) for m in ALERT_MARTS],
    automation_condition=automation.after_upstream(),
    owners=automation.OWNERS,
)
def notification_batches(context: dg.AssetExecutionContext, pg: Postgres) -> dg.MaterializeResult:
    """New alerts (target price, real drop, back in stock, new strain, new seller) → one outbox row per user
    per channel; alerts already raised for the same state are not raised again."""
    result = run_batch(pg.engine, context.run_id)
    context.log.info(
        f"{result.candidates} alerts hold, {result.new_alerts} new; {result.messages} messages for "
        f"{result.users_reached} users"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": result.messages,
            "new_alerts": result.new_alerts,
            "alerts_holding": result.candidates,
            "users_reached": result.users_reached,
            "messages": result.messages,
            "alerts_by_rule": md_table(result.by_rule or {"(none)": 0}, ("rule", "new alerts")),
            "preview": md_preview(result.preview),
        }
    )


def weekly_digest_asset(settings: Settings) -> dg.AssetsDefinition:
    @dg.asset(
        name="weekly_digest",
        group_name="notifications",
        kinds={"postgres"},
        deps=[*(dg.AssetKey(m) for m in ALERT_MARTS), dg.AssetKey("seller_health")],
        owners=automation.OWNERS,
    )
    def weekly_digest(context: dg.AssetExecutionContext, pg: Postgres) -> dg.MaterializeResult:
        """Each user's digest of their watched strains, and the data team's report of the week (to team_email)."""
        today = datetime.now(ZoneInfo(settings.timezone)).date()
        result = run_weekly(pg.engine, today, settings.team_email)
        report = result.report or {}
        return dg.MaterializeResult(
            metadata={
                "week": result.week,
                "digests": result.digests,
                "digest_items": result.digest_items,
                "report_queued": result.report is not None,
                "report": md_table(
                    {k: str(v)[:200] for k, v in report.items()}
                    or {"(none)": "already queued or no team_email"},
                    ("section", "value"),
                ),
            }
        )

    return weekly_digest


def definitions(settings: Settings) -> dg.Definitions:
    """The batch asset (automation after the marts), the weekly digest asset, its job and Monday schedule."""
    weekly = weekly_digest_asset(settings)
    job = dg.define_asset_job("weekly_digest_job", selection=[weekly], tags={"trigger": "weekly_digest"})
    schedule = running_schedule("weekly_digest_schedule", job, WEEKLY_CRON, settings)
    return dg.Definitions(assets=[notification_batches, weekly], jobs=[job], schedules=[schedule])
