"""deliver_notifications: drain the outbox (email, webhooks) every 5 minutes, in Settings.timezone.

An op job (it models no data): the core is notify.delivery.deliver; Settings reach it by closure, the
database through the Postgres resource. Overlapping runs are safe (claims use SKIP LOCKED).
"""

import dagster as dg

from goodseed_dagster.notify.delivery import deliver
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.schedules import running_schedule
from goodseed_dagster.settings import Settings

DELIVERY_CRON = "*/5 * * * *"


def deliver_job(settings: Settings) -> dg.JobDefinition:
    @dg.op(out=dg.Out(dg.Nothing))
    def deliver_outbox(context: dg.OpExecutionContext, pg: Postgres) -> dg.Output[None]:
        """Send the due outbox messages: re-checked promises, rate limit per user, retries with backoff."""
        report = deliver(pg.engine, settings).as_dict()
        context.log.info(", ".join(f"{k}: {v}" for k, v in report.items()))
        if report["dead"]:
            context.log.warning(f"{report['dead']} message(s) dead-lettered (app.outbox state 'dead')")
        return dg.Output(None, metadata=dict(report))

    @dg.job(
        name="deliver_notifications",
        description="Send due notifications (app.outbox) by email and webhook.",
        tags={"trigger": "notifications"},
    )
    def deliver_notifications() -> None:
        deliver_outbox()

    return deliver_notifications


def definitions(settings: Settings) -> dg.Definitions:
    """The delivery job and its 5-minute schedule (running by default)."""
    job = deliver_job(settings)
    schedule = running_schedule("every_5m_deliver_notifications", job, DELIVERY_CRON, settings)
    return dg.Definitions(jobs=[job], schedules=[schedule])
