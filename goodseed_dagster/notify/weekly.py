"""The weekly mail: each user's digest of their watched strains, and the data team's report of the week.

A digest is one 'digest' outbox row per user (email), listing one 'digest' alert per watched strain (its best
in-stock offer now and the 7-day change of the best price per seed) plus the user's alerts never sent (weekly
users' alerts wait for this). The team report is one 'report' row whose payload holds the week in numbers;
its recipient is an app.users row for the team address, digest 'off' so it never gets alerts. Keys carry the
ISO week, so a second run in the same week queues nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, text

from goodseed_dagster.db import notifications as store
from goodseed_dagster.notify.rules import promise_sql

DIGEST_ALERTS = f"""
WITH items AS (
    SELECT DISTINCT w.user_id, w.strain_key
    FROM app.watch_items AS w JOIN app.users AS u ON u.id = w.user_id
    WHERE u.unsubscribed_at IS NULL AND u.digest <> 'off'
),
week_ago AS (
    SELECT strain_key, min(price_per_seed_base) AS price
    FROM marts.fct_price_daily
    WHERE day = (now() AT TIME ZONE 'UTC')::date - 7 AND is_in_stock AND strain_key IN (SELECT strain_key FROM items)
    GROUP BY strain_key
)
SELECT i.user_id, 'digest', i.user_id || ':digest:' || :week || ':' || i.strain_key, i.strain_key, o.seller,
    o.offer_key,
    {promise_sql("o", "'digest'", "CASE WHEN o.offer_key IS NULL THEN 'out of stock everywhere' WHEN a.price IS NULL THEN 'no price 7 days ago' ELSE round(100 * (o.price_per_seed_base - a.price) / a.price, 2)::text || '% in 7 days' END")}
FROM items AS i
JOIN marts.strain_search AS s ON s.strain_key = i.strain_key
LEFT JOIN marts.fct_offer_current AS o ON o.strain_key = i.strain_key AND o.is_best
LEFT JOIN week_ago AS a ON a.strain_key = i.strain_key
"""

REPORT = {
    "crawls": """SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM
                 (SELECT status, count(*) AS n FROM core.crawls WHERE started_at > now() - interval '7 days'
                  GROUP BY status) AS c""",
    "new_strains": """SELECT jsonb_build_object('count', count(*), 'first', coalesce(jsonb_agg(
                          jsonb_build_object('strain', strain_name, 'breeder', breeder)) FILTER (WHERE rn <= 20), '[]'))
                      FROM (SELECT *, row_number() OVER (ORDER BY first_seen_at DESC) AS rn FROM marts.strain_search
                            WHERE first_seen_at > now() - interval '7 days') AS s""",
    "biggest_drops": """SELECT coalesce(jsonb_agg(d ORDER BY d.drop_pct DESC), '[]') FROM
                        (SELECT seller, offer_key, strain_name, breeder, drop_pct::text AS drop_pct,
                                price_base::text AS price_base, offer_url FROM marts.price_drops
                         WHERE is_deal ORDER BY drop_pct DESC LIMIT 10) AS d""",
    "failing_sellers": """SELECT coalesce(jsonb_agg(h ORDER BY h.seller), '[]') FROM
                          (SELECT seller, last_crawl_status, is_fresh, crawl_success_rate_30d::text AS success_30d,
                                  quarantine_rate::text AS quarantine_rate FROM marts.seller_health
                           WHERE is_enabled AND (last_crawl_status = 'failed' OR NOT is_fresh
                                 OR crawl_success_rate_30d < 0.9 OR quarantine_rate > 0.1)) AS h""",
}


@dataclass(frozen=True)
class WeeklyResult:
    week: str
    digests: int
    digest_items: int
    report: dict[str, Any] | None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _queue_digests(conn: Connection, week: str) -> tuple[int, int]:
    store.stage_alerts_sql(conn, DIGEST_ALERTS.replace(":week", f"'{week}'"))  # week: iso_week's digits only
    items = store.insert_alerts(conn)
    made: int = conn.execute(
        text("""
        WITH due AS (  -- this week's digest items, and alerts no message has carried yet
            SELECT n.user_id, n.id FROM app.notifications AS n
            WHERE n.id IN (SELECT id FROM new_alerts)
               OR (n.rule <> 'digest' AND NOT EXISTS (SELECT 1 FROM app.outbox_items AS i WHERE i.notification_id = n.id))
        ), box AS (
            INSERT INTO app.outbox (user_id, channel, kind, batch_key)
            SELECT u.id, 'email', 'digest', 'digest:' || :week || ':' || u.id || ':' || 'email'
            FROM app.users AS u
            WHERE u.id IN (SELECT user_id FROM due) AND u.unsubscribed_at IS NULL AND u.digest <> 'off'
            ON CONFLICT (batch_key) DO NOTHING
            RETURNING id, user_id
        ), linked AS (
            INSERT INTO app.outbox_items (outbox_id, notification_id)
            SELECT box.id, due.id FROM box JOIN due USING (user_id)
            RETURNING outbox_id
        )
        SELECT count(DISTINCT outbox_id) FROM linked"""),
        {"week": week},
    ).scalar_one()
    return int(made), items


def _queue_report(conn: Connection, week: str, team_email: str) -> dict[str, Any] | None:
    conn.execute(
        text("""INSERT INTO app.users (email, digest, unsubscribe_secret) VALUES (:e, 'off', :s)
                ON CONFLICT (email) DO NOTHING"""),
        {"e": team_email, "s": secrets.token_hex(32)},
    )
    report: dict[str, Any] = {"week": week}
    for name, sql in REPORT.items():
        report[name] = conn.execute(text(sql)).scalar_one()
    queued = conn.execute(
        text("""INSERT INTO app.outbox (user_id, channel, kind, batch_key, payload)
                SELECT id, 'email', 'report', 'report:' || :week || ':' || 'email', CAST(:payload AS jsonb)
                FROM app.users WHERE email = :e AND unsubscribed_at IS NULL
                ON CONFLICT (batch_key) DO NOTHING RETURNING id"""),
        {"week": week, "payload": json.dumps(report, default=str), "e": team_email},
    ).first()
    return report if queued else None


def run_weekly(engine: Engine, today: date, team_email: str | None) -> WeeklyResult:
    """Queue this ISO week's digests and team report (once per week, whatever the number of runs)."""
    week = iso_week(today)
    with engine.begin() as conn:
        digests, items = _queue_digests(conn, week)
        report = _queue_report(conn, week, team_email) if team_email else None
    return WeeklyResult(week, digests, items, report)
