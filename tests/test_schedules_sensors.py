"""seller_sources_sensor, evaluated as the daemon would: a real Postgres behind seller_sources_sensor,
a Dagster instance holding the `sellers` partitions. (The schedule: test_automation.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
from sqlalchemy import text

from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.db.sources import config_hash, sync_sources
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.sensors import seller_sources_sensor

DEAD_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"


def seller(slug: str, **config: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"slug": slug, "name": slug.title(), "base_url": f"https://{slug}.example/"} | config
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


def configure(pg_url: str, *sources: SourceConfig) -> None:
    """What seller_sources does with sources.yaml: upsert these, disable every other seller."""
    with engine_for(pg_url).begin() as conn:
        sync_sources(conn, list(sources))


def evaluate_sensor(instance: dg.DagsterInstance, pg_url: str) -> dg.SensorResult | dg.SkipReason:
    with dg.build_sensor_context(instance=instance, resources={"pg": Postgres(url=pg_url)}) as context:
        result = seller_sources_sensor(context)
    assert isinstance(result, dg.SensorResult | dg.SkipReason)
    return result


def apply(instance: dg.DagsterInstance, result: dg.SensorResult) -> None:
    """What the daemon does with a tick's partition requests."""
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)


def partitions(instance: dg.DagsterInstance) -> list[str]:
    return sorted(instance.get_dynamic_partitions("sellers"))


def test_sensor_adds_new_sellers_with_a_first_crawl_and_removes_gone_ones(
    instance: dg.DagsterInstance, fresh_pg_url: str
) -> None:
    alpha, beta = seller("alpha"), seller("beta")
    configure(fresh_pg_url, alpha, beta)
    instance.add_dynamic_partitions("sellers", ["beta", "retired"])

    result = evaluate_sensor(instance, fresh_pg_url)
    assert isinstance(result, dg.SensorResult)
    requests = [
        (type(r).__name__, sorted(r.partition_keys)) for r in result.dynamic_partitions_requests or []
    ]
    assert requests == [
        ("AddDynamicPartitionsRequest", ["alpha"]),
        ("DeleteDynamicPartitionsRequest", ["retired"]),
    ]
    # a first crawl for the new seller only; its run_key names the config it was started for
    assert [(r.partition_key, r.run_key, r.job_name) for r in result.run_requests or []] == [
        ("alpha", f"alpha:{config_hash(alpha)}", None)  # None: the sensor's target, crawl_sellers
    ]
    apply(instance, result)
    assert partitions(instance) == ["alpha", "beta"]


def test_sensor_skips_when_nothing_changed(instance: dg.DagsterInstance, fresh_pg_url: str) -> None:
    configure(fresh_pg_url, seller("alpha"))
    apply(instance, _changes(evaluate_sensor(instance, fresh_pg_url)))
    again = evaluate_sensor(instance, fresh_pg_url)
    assert isinstance(again, dg.SkipReason) and again.skip_message == "no seller changes"
    # a changed config of a known seller is no partition change either: the next daily crawl uses it
    configure(fresh_pg_url, seller("alpha", requests_per_minute=10.0))
    assert isinstance(evaluate_sensor(instance, fresh_pg_url), dg.SkipReason)


def test_a_disabled_seller_loses_its_partition_and_a_reenabled_one_crawls_with_its_new_config(
    instance: dg.DagsterInstance, fresh_pg_url: str
) -> None:
    configure(fresh_pg_url, seller("alpha"), seller("beta"))
    apply(instance, _changes(evaluate_sensor(instance, fresh_pg_url)))

    configure(fresh_pg_url, seller("alpha"))  # beta dropped from sources.yaml: disabled, kept for history
    gone = _changes(evaluate_sensor(instance, fresh_pg_url))
    assert [sorted(r.partition_keys) for r in gone.dynamic_partitions_requests or []] == [[], ["beta"]]
    assert list(gone.run_requests or []) == []
    apply(instance, gone)

    beta = seller("beta", requests_per_minute=30.0)
    configure(fresh_pg_url, seller("alpha"), beta)
    back = _changes(evaluate_sensor(instance, fresh_pg_url))
    assert [r.run_key for r in back.run_requests or []] == [f"beta:{config_hash(beta)}"]
    assert config_hash(beta) != config_hash(seller("beta"))  # so the daemon does not dedupe it away


def test_sensor_skips_with_the_reason_when_the_database_cannot_be_read(
    instance: dg.DagsterInstance, fresh_pg_url: str
) -> None:
    instance.add_dynamic_partitions("sellers", ["alpha"])
    down = evaluate_sensor(instance, DEAD_DATABASE)
    assert isinstance(down, dg.SkipReason)
    assert (down.skip_message or "").startswith("cannot read core.sources: OperationalError")
    with engine_for(fresh_pg_url).begin() as conn:
        conn.execute(text("DROP TABLE core.sources CASCADE"))
    broken = evaluate_sensor(instance, fresh_pg_url)
    assert isinstance(broken, dg.SkipReason) and "cannot read core.sources" in (broken.skip_message or "")
    assert partitions(instance) == ["alpha"], "an unreadable database is not 'every seller is gone'"


def _changes(result: dg.SensorResult | dg.SkipReason) -> dg.SensorResult:
    assert isinstance(result, dg.SensorResult), result
    return result
