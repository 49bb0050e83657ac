"""Alert sensors: a failed run, a failed asset check, a seller gone stale → one apprise alert each per
(kind, seller, day), deduplicated in ops.alerts (goodseed_dagster.alerts holds the plain logic).

Settings (alert URLs, UI link base, freshness limit, timezone) come by closure from `definitions(settings)`;
Postgres is the `pg` resource. Every tick also retries alerts whose delivery failed earlier.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from goodseed_dagster.alerts import store
from goodseed_dagster.alerts.core import (
    Alert,
    Links,
    alert_day,
    check_failure_alert,
    freshness_alert,
    merge_alerts,
    run_failure_alert,
)
from goodseed_dagster.alerts.sender import AlertSender, Delivery
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.settings import Settings

PARTITION_TAG = "dagster/partition"
CHECK_BATCH = 100  # latest failures read per check and tick
FIRST_LOOKBACK = timedelta(hours=24)  # a sensor without a cursor looks this far back, not at all history
OVERLAP = timedelta(minutes=10)  # each tick re-reads this much before its cursor (late-landing evaluations)
FAILED = AssetCheckExecutionRecordStatus.FAILED


def links_for(settings: Settings) -> Links:
    return Links(settings.ui_url or f"http://127.0.0.1:{settings.ui_port}")


def send_all(sender: AlertSender, alerts: list[Alert], log: logging.Logger | None) -> list[Delivery]:
    """Send new alerts, then retry failed ones; log outcomes (titles and errors only: never URLs)."""
    done = [sender.send(a) for a in alerts] + sender.retry_pending()
    for d in done:
        if log is not None and d.outcome != "duplicate":
            message = f"alert {d.alert.kind}/{d.alert.subject}/{d.alert.day}: {d.outcome}"
            (log.warning if d.outcome == "failed" else log.info)(f"{message} {d.error or ''}".rstrip())
    return done


def summary(done: list[Delivery]) -> str:
    counts: dict[str, int] = {}
    for d in done:
        counts[d.outcome] = counts.get(d.outcome, 0) + 1
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing to send"


def run_failure_reason(context: dg.RunFailureSensorContext) -> str:
    """The failed steps' own words (a dg.Failure's description, else the error), else the run's message."""
    reasons = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            reasons.append(f"{event.step_key}: {data.user_failure_data.description}")
        elif data.error is not None:
            reasons.append(f"{event.step_key}: {data.error.message.strip()}")
    return "; ".join(reasons) or context.failure_event.message or "run failed"


def stopped_by_check(context: dg.RunFailureSensorContext) -> bool:
    """The run failed only because a blocking check failed: the check's own alert says why, once."""
    errors = [e.step_failure_data.error for e in context.get_step_failure_events()]
    return bool(errors) and all(
        e is not None and e.cls_name == "DagsterAssetCheckFailedError" for e in errors
    )


def check_reason(description: str | None, metadata: Mapping[str, dg.MetadataValue]) -> str:
    """The check's description; else its `reason` metadata; else its numbers (what the UI would show)."""
    if description:
        return description
    if "reason" in metadata:
        return str(metadata["reason"].value)
    shown = [f"{k}={v.value}" for k, v in metadata.items() if isinstance(v.value, int | float | str | bool)]
    return ", ".join(shown[:8]) or "check failed"


def check_alert(instance: dg.DagsterInstance, entry: dg.EventLogEntry, settings: Settings) -> Alert | None:
    """The alert for one ASSET_CHECK_EVALUATION entry, or None if the check passed."""
    assert entry.dagster_event is not None
    evaluation = entry.dagster_event.asset_check_evaluation_data
    if evaluation.passed:
        return None
    seller = evaluation.partition
    if seller is None and entry.run_id:
        run = instance.get_run_by_id(entry.run_id)
        seller = run.tags.get(PARTITION_TAG) if run is not None else None
    return check_failure_alert(
        asset=evaluation.asset_key.to_user_string(),
        check=evaluation.check_name,
        seller=seller,
        reason=check_reason(evaluation.description, evaluation.metadata),
        severity=evaluation.severity.value,
        run_id=entry.run_id or None,
        day=alert_day(entry.timestamp, settings.timezone),
        links=links_for(settings),
    )


def failed_check_alerts(
    instance: dg.DagsterInstance,
    check_keys: Iterable[dg.AssetCheckKey],
    cursor: str | None,
    settings: Settings,
    now: datetime,
) -> tuple[list[Alert], str]:
    """Alerts for failed check evaluations since the cursor (a timestamp), and the new cursor.

    Reads each check's execution history (the index shard on SQLite too; a storage-id cursor over the
    raw event log is not supported by run-sharded storage). A record turns FAILED in place when its
    evaluation lands, possibly after a newer one: the window overlaps the previous one by OVERLAP and
    ops.alerts drops what was already sent."""
    since = float(cursor) - OVERLAP.total_seconds() if cursor else (now - FIRST_LOOKBACK).timestamp()
    storage, found = instance.event_log_storage, []
    for key in check_keys:
        history = storage.get_asset_check_execution_history(key, limit=CHECK_BATCH, status={FAILED})
        found += [r.event for r in history if r.event is not None and r.event.timestamp >= since]
    found.sort(key=lambda e: e.timestamp)  # oldest first: alerts tell things in the order they broke
    alerts = [a for e in found if (a := check_alert(instance, e, settings))]
    return alerts, str(now.timestamp())


def utc_now() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]
RUNNING = dg.DefaultSensorStatus.RUNNING


def run_failure_sensor(settings: Settings, clock: Clock = utc_now) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alert_sensor", default_status=RUNNING, minimum_interval_seconds=30
    )
    def run_failure_alert_sensor(context: dg.RunFailureSensorContext, pg: Postgres) -> None:
        """One alert per (seller, day) when a run fails: seller from its partition, reason from its steps."""
        run = context.dagster_run
        if stopped_by_check(context):
            return
        record = context.instance.get_run_record_by_id(run.run_id)
        ended = record.end_time if record is not None and record.end_time else clock().timestamp()
        alert = run_failure_alert(
            job=run.job_name,
            run_id=run.run_id,
            seller=run.tags.get(PARTITION_TAG),
            reason=run_failure_reason(context),
            day=alert_day(ended, settings.timezone),
            links=links_for(settings),
        )
        send_all(AlertSender(pg.engine, settings.alert_urls), [alert], context.log)

    return run_failure_alert_sensor


def check_failure_sensor(settings: Settings, clock: Clock = utc_now) -> dg.SensorDefinition:
    @dg.sensor(name="check_failure_alert_sensor", default_status=RUNNING, minimum_interval_seconds=30)
    def check_failure_alert_sensor(context: dg.SensorEvaluationContext, pg: Postgres) -> dg.SkipReason:
        """One alert per (seller, day) when asset checks fail: seller, check, reason and run link."""
        if context.repository_def is None:
            return dg.SkipReason("no definitions to read asset checks from")
        checks = context.repository_def.asset_graph.asset_check_keys
        alerts, cursor = failed_check_alerts(context.instance, checks, context.cursor, settings, clock())
        done = send_all(AlertSender(pg.engine, settings.alert_urls), merge_alerts(alerts), context.log)
        context.update_cursor(cursor)
        return dg.SkipReason(f"check alerts: {summary(done)}")

    return check_failure_alert_sensor


def freshness_sensor(settings: Settings, clock: Clock = utc_now) -> dg.SensorDefinition:
    @dg.sensor(name="freshness_alert_sensor", default_status=RUNNING, minimum_interval_seconds=600)
    def freshness_alert_sensor(context: dg.SensorEvaluationContext, pg: Postgres) -> dg.SkipReason:
        """One alert per (seller, day) while a seller's offers are older than `freshness_hours`."""
        now = clock()
        try:
            with pg.begin() as conn:
                stale = store.stale_sellers(conn, now - timedelta(hours=settings.freshness_hours))
        except Exception as e:
            return dg.SkipReason(f"cannot read core.crawls: {type(e).__name__}")
        alerts = [
            freshness_alert(
                seller=s.seller,
                refreshed_at=s.refreshed_at,
                since=s.since,
                hours=settings.freshness_hours,
                now=now,
                timezone=settings.timezone,
                links=links_for(settings),
            )
            for s in stale
        ]
        done = send_all(AlertSender(pg.engine, settings.alert_urls), alerts, context.log)
        return dg.SkipReason(f"{len(stale)} stale seller(s); {summary(done)}")

    return freshness_alert_sensor


def build_sensors(settings: Settings, clock: Clock = utc_now) -> list[dg.SensorDefinition]:
    """The three alert sensors, closing over `settings` (URLs are SecretStr: never shown, never logged);
    `clock` lets a test move the day."""
    return [
        factory(settings, clock) for factory in (run_failure_sensor, check_failure_sensor, freshness_sensor)
    ]


def definitions(settings: Settings) -> dg.Definitions:
    """The alert sensors (the `pg` resource comes from the core Definitions)."""
    return dg.Definitions(sensors=build_sensors(settings))


def evaluate_alerts_now(
    settings: Settings,
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    pg: Postgres,
    runs: Iterable[dg.ExecuteInProcessResult],
) -> None:
    """One evaluation of the alert sensors in this process, over `runs` (in-process results) and the
    instance's check history: what the daemon does, for a pipeline run without one (`goodseed demo`).
    ops.alerts keeps it to one alert per (kind, seller, day) when the daemon evaluates them again."""
    sensors = {s.name: s for s in build_sensors(settings)}
    for result in runs:
        if result.success:
            continue
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert_sensor",
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            resources={"pg": pg},
        ).for_run_failure()
        sensors["run_failure_alert_sensor"](context)
    for name in ("check_failure_alert_sensor", "freshness_alert_sensor"):
        with dg.build_sensor_context(instance=instance, resources={"pg": pg}, definitions=defs) as ctx:
            sensors[name](ctx)
