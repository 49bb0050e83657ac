"""Alerts end to end: real Dagster instance, real Postgres (ops.alerts), real apprise posting to a real
HTTP receiver on 127.0.0.1. Each alert goes out once per (kind, seller, day), whatever re-evaluates it."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from goodseed_dagster.alerts import Alert, AlertReceiver, AlertSender, summary_lines
from goodseed_dagster.assets.partitions import sellers
from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.db.sources import sync_sources
from goodseed_dagster.market import MarketServer
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.sensors.alerts import build_sensors
from goodseed_dagster.settings import Settings

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CLOSED_PORT_URL = "json://127.0.0.1:9/alerts"  # discard port: nothing listens, connection refused


@pytest.fixture
def receiver() -> Iterator[AlertReceiver]:
    with AlertReceiver() as r:
        yield r


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


def sensors(receiver: AlertReceiver, now: datetime = NOON) -> dict[str, dg.SensorDefinition]:
    settings = Settings(alert_urls=[SecretStr(receiver.apprise_url)], ui_url="http://dagster.test")
    return {s.name: s for s in build_sensors(settings, clock=lambda: now)}


def alert(seller: str | None, day: date, kind: str = "freshness") -> Alert:
    return Alert(kind, seller, day, f"[{seller}] test", f"Seller: {seller}\nReason: test")  # type: ignore[arg-type]


def rows(pg_url: str) -> list[tuple[str, str, date, str, int]]:
    with engine_for(pg_url).connect() as conn:
        q = "SELECT kind, subject, day, status, attempts FROM ops.alerts ORDER BY kind, subject, day"
        return [tuple(r) for r in conn.execute(text(q))]  # type: ignore[misc]


# --- dedupe and delivery (the plain core) ---


def test_one_alert_per_kind_seller_and_day(fresh_pg_url: str, receiver: AlertReceiver) -> None:
    sender = AlertSender(engine_for(fresh_pg_url), [SecretStr(receiver.apprise_url)])
    today, tomorrow = date(2026, 11, 30), date(2026, 12, 1)

    outcomes = [sender.send(alert("alpha", today)).outcome for _ in range(2)]
    outcomes += [sender.send(alert("alpha", tomorrow)).outcome, sender.send(alert("beta", today)).outcome]
    outcomes.append(sender.send(alert("alpha", today, kind="run_failure")).outcome)

    assert outcomes == ["sent", "duplicate", "sent", "sent", "sent"]
    assert [a.field("Seller") for a in receiver.alerts()] == ["alpha", "alpha", "beta", "alpha"]
    assert all(status == "sent" for *_, status, _ in rows(fresh_pg_url))
    # a restart is a new sender on the same database: still nothing twice
    again = AlertSender(engine_for(fresh_pg_url), [SecretStr(receiver.apprise_url)])
    assert again.send(alert("alpha", today)).outcome == "duplicate"
    assert len(receiver.alerts()) == 4


def test_failed_delivery_is_retried_to_the_failed_url_only(
    fresh_pg_url: str, receiver: AlertReceiver
) -> None:
    """Two URLs; the first answers 500 once: the alert is `failed`, the retry reaches the first URL and not
    the second again; then it is `sent` and nothing is sent any more."""
    first, second = receiver.apprise_url, receiver.apprise_url.replace("/alerts", "/alerts2")
    sender = AlertSender(
        engine_for(fresh_pg_url), [SecretStr(first), SecretStr(second)], backoff=timedelta(0)
    )
    receiver.fail_next(1)

    failed = sender.send(alert("alpha", date(2026, 11, 30)))
    assert failed.outcome == "failed"
    assert failed.error is not None and "#1" in failed.error and str(receiver.port) not in failed.error
    assert [a.path for a in receiver.alerts()] == ["/alerts2"]

    assert [d.outcome for d in sender.retry_pending()] == ["sent"]
    assert [a.path for a in receiver.alerts()] == ["/alerts2", "/alerts"]
    assert sender.retry_pending() == []
    assert sender.send(alert("alpha", date(2026, 11, 30))).outcome == "duplicate"
    assert rows(fresh_pg_url) == [("freshness", "alpha", date(2026, 11, 30), "sent", 2)]


def test_an_unreachable_url_is_retried_up_to_max_attempts(fresh_pg_url: str) -> None:
    sender = AlertSender(
        engine_for(fresh_pg_url), [SecretStr(CLOSED_PORT_URL)], max_attempts=3, backoff=timedelta(0)
    )
    assert sender.send(alert("alpha", date(2026, 11, 30))).outcome == "failed"
    assert [d.outcome for d in sender.retry_pending()] == ["failed"]
    assert [d.outcome for d in sender.retry_pending()] == ["failed"]
    assert sender.retry_pending() == []  # 3 attempts made: it stays failed for a human to read
    assert rows(fresh_pg_url) == [("freshness", "alpha", date(2026, 11, 30), "failed", 3)]
    with engine_for(fresh_pg_url).connect() as conn:
        error: str = conn.execute(text("SELECT last_error FROM ops.alerts")).scalar_one()
    assert "did not accept" in error and "127.0.0.1" not in error  # the URL is never stored


def test_without_urls_alerts_are_recorded_as_skipped(fresh_pg_url: str) -> None:
    sender = AlertSender(engine_for(fresh_pg_url), [])
    assert sender.send(alert("alpha", date(2026, 11, 30))).outcome == "skipped"
    assert sender.retry_pending() == []
    assert rows(fresh_pg_url)[0][3] == "skipped"


# --- the sensors ---


def test_injected_crawl_failure_sends_one_run_failure_alert(
    market: MarketServer, fresh_pg_url: str, receiver: AlertReceiver, tmp_path: Path
) -> None:
    from pipeline_harness import pipeline_on

    shop = market.market.shops[0].slug
    with pipeline_on(market, fresh_pg_url, tmp_path) as p:
        sources = tmp_path / "sources.yaml"  # the shop moved to a port where nothing listens
        sources.write_text(
            sources.read_text().replace(f"{market.url}/s/{shop}/", f"http://127.0.0.1:9/s/{shop}/")
        )
        p.materialize(["seller_sources"])
        p.add_sellers()
        # ~45 s, mostly asleep: the crawl's RetryPolicy tries the step three times before the run fails
        result = p.materialize(["raw_pages"], shop, raise_on_error=False)
        assert not result.success
        sensor = sensors(receiver)["run_failure_alert_sensor"]
        for _ in range(2):  # the daemon re-evaluating (or a second failed run the same day)
            context = dg.build_run_status_sensor_context(
                sensor_name=sensor.name,
                dagster_event=result.get_run_failure_event(),
                dagster_instance=p.instance,
                dagster_run=result.dagster_run,
                resources={"pg": Postgres(url=fresh_pg_url)},
            ).for_run_failure()
            sensor(context)

    [got] = receiver.alerts()
    assert got.field("Seller") == shop and got.type == "failure"
    assert got.field("Run") == f"http://dagster.test/runs/{result.run_id}"
    assert "raw_pages" in (got.field("Reason") or "") and "fetched nothing" in (got.field("Reason") or "")
    assert rows(fresh_pg_url) == [("run_failure", shop, NOON.date(), "sent", 1)]


CHECKS = [
    dg.AssetCheckSpec("listing_count_stable", asset="listings"),
    dg.AssetCheckSpec("fill_rate", asset="listings"),
]


@dg.asset(partitions_def=sellers, check_specs=CHECKS)
def listings(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """A stand-in for the real listings: alpha lost half its listings and its breeders, beta is fine."""
    ok = context.partition_key != "alpha"
    count = dg.AssetCheckResult(
        check_name="listing_count_stable",
        passed=ok,
        description=None if ok else "listings dropped 52% (120 → 58) against crawl 7",
        metadata={"previous": 120, "current": 58 if not ok else 120},
    )
    fill = dg.AssetCheckResult(
        check_name="fill_rate", passed=ok, metadata={"reason": "breeder filled in 41%"}
    )
    return dg.MaterializeResult(check_results=[count, fill])


def test_failed_check_sends_one_alert_with_seller_check_and_reason(
    instance: dg.DagsterInstance, fresh_pg_url: str, receiver: AlertReceiver
) -> None:
    instance.add_dynamic_partitions("sellers", ["alpha", "beta"])
    runs = {s: dg.materialize([listings], partition_key=s, instance=instance) for s in ("alpha", "beta")}
    sensor = sensors(receiver, now=datetime.now(UTC))["check_failure_alert_sensor"]

    defs = dg.Definitions(assets=[listings], sensors=[sensor])

    def tick(cursor: str | None) -> str | None:
        with dg.build_sensor_context(
            instance=instance, resources={"pg": Postgres(url=fresh_pg_url)}, cursor=cursor, definitions=defs
        ) as context:
            sensor(context)
            return context.cursor

    first = tick(None)
    assert first is not None
    tick(first)  # the next tick carries the cursor on
    tick(None)  # a sensor reset: it reads the last day again, ops.alerts keeps it to one alert

    [got] = receiver.alerts()
    assert got.field("Seller") == "alpha"
    assert got.field("Check") == "listings:listing_count_stable"
    assert got.field("Reason") == "listings dropped 52% (120 → 58) against crawl 7"
    assert got.field("Run") == f"http://dagster.test/runs/{runs['alpha'].run_id}"
    # both checks failed in that run: one alert for (alpha, today) that tells both
    assert "Check: listings:fill_rate\nSeverity: ERROR\nReason: breeder filled in 41%" in got.message
    assert summary_lines(receiver.alerts()) == [
        "[alpha] check listing_count_stable on listings failed (+1 more) — "
        "listings dropped 52% (120 → 58) against crawl 7"
    ]


def configure_sellers(pg_url: str) -> None:
    """alpha merged 40 h before NOON (stale), beta 1 h before (fresh), gamma never (configured 3 days
    before), delta stale but disabled."""
    sources = [
        SourceConfig.model_validate({"slug": s, "name": s, "base_url": f"https://{s}.example/"})
        for s in ("alpha", "beta", "gamma")
    ]
    with engine_for(pg_url).begin() as conn:
        sync_sources(conn, sources)
        conn.execute(text("UPDATE core.sources SET updated_at = :t"), {"t": NOON - timedelta(days=3)})
        for seller, hours in (("alpha", 40), ("beta", 1), ("alpha", 50)):
            t = NOON - timedelta(hours=hours)
            conn.execute(
                text("""INSERT INTO core.crawls (seller, started_at, finished_at, status, merged_at)
                        VALUES (:s, :t, :t, 'ok', :t)"""),
                {"s": seller, "t": t},
            )
        conn.execute(
            text("""INSERT INTO core.sources (slug, name, platform, base_url, config, config_hash,
                             enabled, updated_at) VALUES ('delta', 'delta', 'auto', 'https://d.example/',
                             '{}', 'x', false, :t)"""),
            {"t": NOON - timedelta(days=9)},
        )


def test_freshness_alerts_stale_sellers_once_a_day(fresh_pg_url: str, receiver: AlertReceiver) -> None:
    configure_sellers(fresh_pg_url)

    def tick(now: datetime) -> None:
        sensor = sensors(receiver, now)["freshness_alert_sensor"]
        with dg.build_sensor_context(resources={"pg": Postgres(url=fresh_pg_url)}) as context:
            sensor(context)

    tick(NOON)
    tick(NOON + timedelta(hours=2))  # same day: nothing new
    assert sorted(a.field("Seller") or "" for a in receiver.alerts()) == ["alpha", "gamma"]
    reasons = {a.field("Seller"): a.field("Reason") or "" for a in receiver.alerts()}
    assert "40.0 h" in reasons["alpha"] and "limit 36 h" in reasons["alpha"]
    assert "last refresh: never" in reasons["gamma"]
    assert all(a.type == "warning" for a in receiver.alerts())

    tick(NOON + timedelta(days=1))  # next day, still stale: one more each (beta, 25 h old, is fresh)
    assert sorted(a.field("Seller") or "" for a in receiver.alerts()[2:]) == ["alpha", "gamma"]


def test_alert_sensors_are_registered_and_running() -> None:
    from pipeline_harness import DEFS

    for name in ("run_failure_alert_sensor", "check_failure_alert_sensor", "freshness_alert_sensor"):
        assert DEFS.get_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
