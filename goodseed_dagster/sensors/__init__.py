"""Sensors: seller partitions follow core.sources."""

import dagster as dg

from goodseed_dagster.assets.partitions import sellers
from goodseed_dagster.db.sources import active_sources
from goodseed_dagster.jobs import crawl_sellers
from goodseed_dagster.resources.postgres import Postgres


def source_changes(wanted: dict[str, str], existing: set[str]) -> tuple[list[str], list[str]]:
    """(new, gone) partition keys: a pure function, tested alone."""
    return sorted(set(wanted) - existing), sorted(existing - set(wanted))


@dg.sensor(target=crawl_sellers, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING)
def seller_sources_sensor(
    context: dg.SensorEvaluationContext, pg: Postgres
) -> dg.SensorResult | dg.SkipReason:
    """Adds a partition (and a first crawl) for each new enabled seller; removes partitions of disabled ones."""
    try:
        with pg.begin() as conn:
            wanted = active_sources(conn)
    except Exception as e:
        return dg.SkipReason(f"cannot read core.sources: {type(e).__name__}: {e}")
    new, gone = source_changes(wanted, set(context.instance.get_dynamic_partitions("sellers")))
    if not (new or gone):
        return dg.SkipReason("no seller changes")
    return dg.SensorResult(
        dynamic_partitions_requests=[sellers.build_add_request(new), sellers.build_delete_request(gone)],
        run_requests=[
            dg.RunRequest(partition_key=s, run_key=f"{s}:{wanted[s]}", tags={"seller": s, "trigger": "new_seller"})
            for s in new
        ],
    )
