"""scrape_requests_sensor: POST /v1/admin/scrape-requests rows become crawl_sellers runs.

Each pending request is one RunRequest with run_key = the request's id, so a request launches exactly once
even when a tick is evaluated again (Dagster drops a run_key it has seen). A request for a seller unknown to
core.sources, or disabled, is rejected with its reason; one for an enabled seller whose partition the
seller_sources_sensor has not added yet stays pending for a later tick. The run's id is not known while the
sensor evaluates: the run carries the request id as a tag instead (`goodseed/scrape_request`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import dagster as dg
from sqlalchemy import Connection, text

from goodseed_dagster.jobs import crawl_sellers
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.settings import Settings

BATCH = 100
PENDING = text("""
SELECT r.id::text AS id, r.seller, s.enabled
FROM app.scrape_requests r LEFT JOIN core.sources s ON s.slug = r.seller
WHERE r.status = 'pending' ORDER BY r.requested_at, r.id LIMIT :n FOR UPDATE OF r SKIP LOCKED""")
MARK = text("""
UPDATE app.scrape_requests SET status = :status, reason = :reason, handled_at = now()
WHERE id = CAST(:id AS uuid) AND status = 'pending'""")


@dataclass(frozen=True)
class Decision:
    id: str
    seller: str
    status: str  # launched | rejected | pending (wait for the partition)
    reason: str | None = None


def decide(pending: Iterable[Mapping[str, object]], partitions: set[str]) -> list[Decision]:
    """What to do with each pending row (id, seller, enabled: None when core.sources lacks the seller)."""
    out = []
    for row in pending:
        rid, seller, enabled = str(row["id"]), str(row["seller"]), row["enabled"]
        if enabled is None:
            out.append(Decision(rid, seller, "rejected", f"unknown seller {seller!r}"))
        elif not enabled:
            out.append(Decision(rid, seller, "rejected", f"seller {seller!r} is disabled"))
        else:
            out.append(Decision(rid, seller, "launched" if seller in partitions else "pending"))
    return out


def _apply(conn: Connection, decisions: list[Decision]) -> None:
    for d in decisions:
        if d.status != "pending":
            conn.execute(MARK, {"status": d.status, "reason": d.reason, "id": d.id})


@dg.sensor(target=crawl_sellers, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def scrape_requests_sensor(
    context: dg.SensorEvaluationContext, pg: Postgres
) -> dg.SensorResult | dg.SkipReason:
    """One crawl_sellers run per pending scrape request (run_key = request id); bad sellers rejected."""
    partitions = set(context.instance.get_dynamic_partitions("sellers"))
    try:
        with pg.begin() as conn:
            decisions = decide([dict(r) for r in conn.execute(PENDING, {"n": BATCH}).mappings()], partitions)
            _apply(conn, decisions)
    except Exception as e:  # a failed read is a skip with its reason, not "no requests"
        return dg.SkipReason(f"cannot read app.scrape_requests: {type(e).__name__}: {e}")
    for d in decisions:
        if d.status != "launched":
            context.log.info("scrape request %s for %s: %s %s", d.id, d.seller, d.status, d.reason or "")
    launched = [d for d in decisions if d.status == "launched"]
    if not launched:
        return dg.SkipReason(f"no launchable scrape requests ({len(decisions)} pending or rejected)")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=d.id, partition_key=d.seller, tags={"goodseed/scrape_request": d.id})
            for d in launched
        ]
    )


def definitions(settings: Settings) -> dg.Definitions:
    """The serving feature's Dagster side (resources come from the core Definitions)."""
    return dg.Definitions(sensors=[scrape_requests_sensor])
