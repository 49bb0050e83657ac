"""What runs when: the daily crawl schedule and the automation conditions, evaluated as the daemon would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from dagster._core.events import StepMaterializationData
from dagster._core.storage.tags import PRIORITY_TAG
from pipeline_harness import DEFS

from goodseed_dagster.automation import CRAWL_RETRY, OWNERS
from goodseed_dagster.definitions import build_defs
from goodseed_dagster.schedules import daily_crawl_sellers
from goodseed_dagster.settings import Settings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DOWNSTREAM = {"strain_catalogue", "stg_core__offers", "fct_offer_current", "dim_strain"}


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("sellers", ["alpha", "beta"])
        yield inst


GRAPH = DEFS.get_repository_def().asset_graph
ASSET_KEYS = GRAPH.get_all_asset_keys()


def requested(result: dg.EvaluateAutomationConditionsResult) -> set[str]:
    return {key.to_user_string() for key in ASSET_KEYS if result.get_num_requested(key)}


def materialized(instance: dg.DagsterInstance, key: str, partition: str | None = None) -> None:
    """A materialization of `key`, its checks passing (as a dbt build's tests do)."""
    instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))
    for check in GRAPH.get(dg.AssetKey(key)).check_keys:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=check.asset_key, check_name=check.name, passed=True, partition=partition
            )
        )


def ran(instance: dg.DagsterInstance, keys: set[str]) -> None:
    """One run of `keys`, as automation launches a tick's requests: each materialized, its checks passing.
    (The run matters: a dependency updated by the target's own run does not trigger the target again.)"""
    selection = frozenset(dg.AssetKey.from_user_string(k) for k in keys)
    run = instance.create_run_for_job(DEFS.resolve_implicit_global_asset_job_def(), asset_selection=selection)
    for key in selection:
        event = dg.DagsterEvent(
            dg.DagsterEventType.ASSET_MATERIALIZATION.value,
            run.job_name,
            event_specific_data=StepMaterializationData(dg.AssetMaterialization(key)),
        )
        instance.report_dagster_event(event, run.run_id)
        for check in GRAPH.get(key).check_keys:
            evaluation = dg.AssetCheckEvaluation(asset_key=key, check_name=check.name, passed=True)
            instance.report_dagster_event(
                dg.DagsterEvent(dg.DagsterEventType.ASSET_CHECK_EVALUATION.value, run.job_name,
                                event_specific_data=evaluation),
                run.run_id,
            )  # fmt: skip


def settle(
    instance: dg.DagsterInstance, cursor: dg.AssetDaemonCursor | None
) -> tuple[list[set[str]], dg.AssetDaemonCursor]:
    """Ticks until nothing more is requested, each tick's requests materialized in one run: what ran, tick by
    tick."""
    ticks: list[set[str]] = []
    for _ in range(6):
        result = dg.evaluate_automation_conditions(DEFS, instance, evaluation_time=NOW, cursor=cursor)
        cursor = result.cursor
        if not requested(result):
            return ticks, cursor
        ticks.append(requested(result))
        ran(instance, ticks[-1])
    raise AssertionError(f"automation never settles: {ticks}")


def check_failed(instance: dg.DagsterInstance, asset: str, check: str) -> None:
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(asset_key=dg.AssetKey(asset), check_name=check, passed=False, blocking=True)
    )


def test_daily_crawl_at_the_configured_time_and_zone_one_run_per_seller_keyed_by_day(
    instance: dg.DagsterInstance,
) -> None:
    schedule = daily_crawl_sellers(Settings(crawl_cron="30 3 * * *", timezone="Europe/Madrid"))
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 3 * * *", "Europe/Madrid")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    tick_time = datetime(2026, 11, 30, 2, 30, tzinfo=UTC)  # 03:30 in Madrid
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=tick_time, repository_def=DEFS.get_repository_def()
    )
    tick = schedule.evaluate_tick(context)
    runs = tick.run_requests or []
    assert [(r.partition_key, r.run_key, r.tags["seller"], r.tags["trigger"]) for r in runs] == [
        ("alpha", "2026-11-30:alpha", "alpha", "schedule"),
        ("beta", "2026-11-30:beta", "beta", "schedule"),
    ]
    assert not any(PRIORITY_TAG in r.tags for r in runs)  # behind automation's rebuilds in the queue
    again = schedule.evaluate_tick(context)  # a re-evaluated tick asks for the same run keys: deduped
    assert [r.run_key for r in again.run_requests or []] == [r.run_key for r in tick.run_requests or []]


def test_the_default_crawl_is_at_two_in_the_morning() -> None:
    repo = build_defs(Settings()).get_repository_def()
    schedule = repo.get_schedule_def("daily_crawl_sellers")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 2 * * *",
        "UTC",
        "crawl_sellers",
    )


def test_the_automation_sensor_runs_by_default_over_every_asset() -> None:
    repo = DEFS.get_repository_def()
    sensor = repo.get_sensor_def("automation")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    graph = repo.asset_graph
    keys = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    conditions = {k.to_user_string(): graph.get(k).automation_condition for k in keys}
    # the crawl steps and the weekly export are their schedules'; everything after the crawl is automated
    assert {k for k, c in conditions.items() if c is None} == {
        "raw_pages",
        "listings",
        "offers",
        "marts_parquet_export",
        "weekly_digest",
    }
    assert all(graph.get(k).owners == OWNERS for k in keys)
    # the queue starts its runs before the crawls queued at the cron (theirs have no priority tag: 0)
    assert int(sensor.run_tags[PRIORITY_TAG]) > 0


def test_crawl_steps_retry_with_backoff_and_jitter() -> None:
    nodes = DEFS.get_repository_def().asset_graph
    for key in ("raw_pages", "listings", "offers"):
        policy = nodes.get(dg.AssetKey(key)).assets_def.op.retry_policy
        assert policy == CRAWL_RETRY
    assert CRAWL_RETRY.backoff == dg.Backoff.EXPONENTIAL and CRAWL_RETRY.jitter == dg.Jitter.PLUS_MINUS
    assert CRAWL_RETRY.max_retries > 0 and CRAWL_RETRY.delay


def test_a_new_deployment_builds_everything_once_but_the_crawl(instance: dg.DagsterInstance) -> None:
    ticks, cursor = settle(instance, None)
    built = [key for tick in ticks for key in tick]
    assert len(built) == len(set(built)), f"each built once: {ticks}"
    assert set(built) >= DOWNSTREAM | {"seller_sources", "fx_rates"}
    assert not set(built) & {"raw_pages", "listings", "offers"}, "crawls are the schedule's"
    again = dg.evaluate_automation_conditions(DEFS, instance, evaluation_time=NOW, cursor=cursor)
    assert requested(again) == set()


def test_a_seller_update_rebuilds_catalogue_and_marts_once(instance: dg.DagsterInstance) -> None:
    _, quiet = settle(instance, None)
    materialized(instance, "offers", "alpha")  # beta never published: it does not hold alpha back
    ticks, _ = settle(instance, quiet)
    ran = [key for tick in ticks for key in tick]
    assert set(ran) >= DOWNSTREAM and len(ran) == len(set(ran)), f"each rebuilt once: {ticks}"
    assert not set(ran) & {"raw_pages", "listings", "offers", "seller_sources", "fx_rates"}
    # one run: the catalogue (which links offers to strains), the staging views after it, the marts after
    # them (the staging tests are blocking checks inside that run)
    assert len(ticks) == 1 and ticks[0] >= DOWNSTREAM
    offers_view = GRAPH.get(dg.AssetKey("stg_core__offers"))
    assert dg.AssetKey("strain_catalogue") in offers_view.parent_keys


def test_sources_and_fx_refresh_on_the_crawl_cron(instance: dg.DagsterInstance) -> None:
    _, cursor = settle(instance, None)
    day = dg.evaluate_automation_conditions(DEFS, instance, evaluation_time=NOW, cursor=cursor)
    assert requested(day) == set()
    next_night = NOW.replace(hour=2, minute=1) + timedelta(days=1)
    night = dg.evaluate_automation_conditions(DEFS, instance, evaluation_time=next_night, cursor=day.cursor)
    assert {"seller_sources", "fx_rates"} <= requested(night)


def test_a_failed_blocking_check_stops_what_depends_on_it(instance: dg.DagsterInstance) -> None:
    _, cursor = settle(instance, None)
    materialized(instance, "offers", "alpha")
    tick = dg.evaluate_automation_conditions(DEFS, instance, evaluation_time=NOW, cursor=cursor)
    assert "stg_core__offers" in requested(tick)
    materialized(instance, "stg_core__offers")
    check = min(GRAPH.get(dg.AssetKey("stg_core__offers")).check_keys)  # a dbt test: blocking
    check_failed(instance, "stg_core__offers", check.name)
    ticks, _ = settle(instance, tick.cursor)
    ran = {key for t in ticks for key in t}
    assert "fct_offer_current" not in ran and "best_price_per_strain" not in ran
    assert "strain_catalogue" in ran or "strain_catalogue" in requested(tick)  # not downstream of the check


def test_a_dependency_rebuilt_by_another_run_is_not_lost_to_the_targets_own_update(
    instance: dg.DagsterInstance,
) -> None:
    """Two runs end before the next tick: one built the notification batches with part of the marts, the other
    rebuilt a mart the batches read. The batches' own update must not swallow that mart's: they rebuild."""
    _, cursor = settle(instance, None)
    ran(instance, {"notification_batches", "price_drops"})
    ran(instance, {"fct_offer_current"})
    tick = dg.evaluate_automation_conditions(DEFS, instance, evaluation_time=NOW, cursor=cursor)
    assert "notification_batches" in requested(tick)
    ran(instance, requested(tick))  # and once rebuilt, nothing more
    again = dg.evaluate_automation_conditions(DEFS, instance, evaluation_time=NOW, cursor=tick.cursor)
    assert requested(again) == set()


def test_the_cron_runs_dbt_tests_with_the_models_it_rebuilds(instance: dg.DagsterInstance) -> None:
    """At the crawl's cron, sources and FX refresh and the dbt models after them rebuild in one run, with
    seller_sources' own check: the models' dbt tests must be in that run too, or the marts land untested and
    every blocking-check gate after them stays shut."""
    _, cursor = settle(instance, None)
    next_night = NOW.replace(hour=2, minute=1) + timedelta(days=1)
    night = dg.evaluate_automation_conditions(DEFS, instance, evaluation_time=next_night, cursor=cursor)
    rebuilt = {k for k in ASSET_KEYS if night.get_num_requested(k) and GRAPH.get(k).group_name == "marts"}
    assert rebuilt, "the cron rebuilds marts"
    checks = {s.key for s in night._requested_subsets if not s.is_empty}  # the result counts assets only
    for key in rebuilt:
        assert GRAPH.get(key).check_keys <= checks, key
