"""notification_batches and weekly_digest as Dagster runs them, on marts built by dbt from the crawled market:
one message per user per channel per batch, nothing added by a rerun, a new price state alerts again, and the
weekly digest and team report queued once a week."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pipeline_harness import DBT_MODELS, Pipeline
from sqlalchemy import text
from test_notify_rules import add_user, watch

ANY_PRICE = {"target_price_per_seed": 1_000_000}  # every in-stock offer reaches it


@pytest.fixture
def marts(crawled: Pipeline) -> Pipeline:
    assert crawled.materialize(DBT_MODELS).success
    return crawled


def _strains(p: Pipeline, n: int) -> list[str]:
    with p.engine.connect() as conn:
        return list(
            conn.execute(
                text("""SELECT strain_key FROM marts.strain_search WHERE is_in_stock
                        ORDER BY strain_key LIMIT :n"""),
                {"n": n},
            ).scalars()
        )


def _users(p: Pipeline, strains: list[str]) -> dict[str, int]:
    with p.engine.begin() as conn:
        users = {
            "hook": add_user(conn, "hook@example.org", webhook_url="http://127.0.0.1:9/hook"),
            "mail": add_user(conn, "mail@example.org"),
            "weekly": add_user(conn, "weekly@example.org", digest="weekly"),
            "off": add_user(conn, "off@example.org", digest="off"),
        }
        for u in users.values():
            for strain in strains:
                watch(
                    conn, u, strain, created_at=datetime.now(UTC), **ANY_PRICE
                )  # after the crawl: no new sellers
    return users


def _outbox(p: Pipeline) -> list[dict[str, Any]]:
    with p.engine.connect() as conn:
        rows = conn.execute(
            text("""SELECT o.user_id, o.channel, o.kind, o.batch_key, count(i.notification_id) AS items
                    FROM app.outbox o LEFT JOIN app.outbox_items i ON i.outbox_id = o.id
                    GROUP BY o.id ORDER BY o.id""")
        )
        return [dict(r._mapping) for r in rows]


def _count(p: Pipeline, table: str) -> int:
    with p.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_three_runs_queue_each_alert_and_message_once(marts: Pipeline) -> None:
    strains = _strains(marts, 2)
    users = _users(marts, strains)
    metas = []
    for _ in range(3):
        result = marts.materialize(["notification_batches"])
        (mat,) = result.asset_materializations_for_node("notification_batches")
        metas.append({k: v.value for k, v in mat.metadata.items()})
    assert _count(marts, "app.notifications") == 3 * len(strains)  # hook, mail, weekly; never 'off'
    outbox = _outbox(marts)
    channels = sorted((o["user_id"], o["channel"], o["items"]) for o in outbox)
    assert channels == sorted(
        [(users["hook"], "email", 2), (users["hook"], "webhook", 2), (users["mail"], "email", 2)]
    ), "one message per user per channel, listing all the user's alerts; weekly users wait"
    assert {o["kind"] for o in outbox} == {"alerts"}
    first, *again = metas
    assert first["new_alerts"] == 6 and first["users_reached"] == 2 and first["messages"] == 3
    assert "target_price" in str(first["alerts_by_rule"]) and "hook@example.org" in str(first["preview"])
    assert all(m["new_alerts"] == 0 and m["messages"] == 0 for m in again)

    with marts.engine.begin() as conn:  # a lower price is a new state: alerts again, once
        conn.execute(
            text("""UPDATE marts.fct_offer_current SET price_local = price_local - 0.01,
                        price_base = price_base - 0.01, price_per_seed_base = (price_base - 0.01) / pack_seeds
                    WHERE strain_key = :k"""),
            {"k": strains[0]},
        )
    for _ in range(2):
        marts.materialize(["notification_batches"])
    assert _count(marts, "app.notifications") == 3 * len(strains) + 3
    assert len(_outbox(marts)) == 6


def test_weekly_digest_and_team_report_once_a_week(marts: Pipeline) -> None:
    strains = _strains(marts, 2)
    users = _users(marts, strains)
    marts.materialize(["notification_batches"])
    for _ in range(2):
        result = marts.materialize(["weekly_digest"])
    (mat,) = result.asset_materializations_for_node("weekly_digest")
    assert mat.metadata["digests"].value == 0 and mat.metadata["report_queued"].value is False  # second run
    digests = [o for o in _outbox(marts) if o["kind"] == "digest"]
    per_user = {o["user_id"]: o["items"] for o in digests}
    # a digest item per watched strain; the weekly user's alerts, never sent, ride along
    assert per_user == {users["hook"]: 2, users["mail"]: 2, users["weekly"]: 4}
    with marts.engine.connect() as conn:
        report = conn.execute(
            text("""SELECT u.email, o.payload FROM app.outbox o JOIN app.users u ON u.id = o.user_id
                    WHERE o.kind = 'report'""")
        ).all()
        crawls: int = conn.execute(text("SELECT count(*) FROM core.crawls")).scalar_one()
    ((email, payload),) = report
    assert isinstance(payload, dict)
    assert email == "data-team@goodseed.local"
    assert set(payload) == {"week", "crawls", "new_strains", "biggest_drops", "failing_sellers"}
    assert sum(payload["crawls"].values()) == crawls and payload["new_strains"]["count"] > 0
