"""Storing alerts and queueing their messages: app.notifications, app.outbox, app.outbox_items.

Everything happens in the caller's transaction, on temp tables, so a failed batch leaves nothing behind and a
retried one starts clean. Alerts go in with ON CONFLICT (dedupe_key) DO NOTHING: the ones that come back
(RETURNING) are the new ones, and only they make messages — running a batch again adds nothing.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, text

from goodseed_dagster.db.copy import copy_frame

ALERT_COLUMNS = (
    "user_id bigint, rule text, dedupe_key text, strain_key text, seller text, offer_key text, promise jsonb"
)


def _candidates_table(conn: Connection) -> None:
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.alert_candidates"))
    conn.execute(text(f"CREATE TEMP TABLE alert_candidates ({ALERT_COLUMNS}) ON COMMIT DROP"))


def stage_alerts_sql(conn: Connection, select_sql: str) -> int:
    """The alerts of a set-based rule query (columns as ALERT_COLUMNS), staged without leaving the server."""
    _candidates_table(conn)
    return conn.execute(text(f"INSERT INTO alert_candidates {select_sql}")).rowcount


def stage_alerts(conn: Connection, frame: pl.DataFrame) -> int:
    """Alerts made in Python (promise as JSON text), staged by COPY."""
    _candidates_table(conn)
    return copy_frame(conn, "alert_candidates", frame)


STAGED = "SELECT user_id, rule, dedupe_key, strain_key, seller, offer_key, promise FROM alert_candidates"


def insert_alerts(conn: Connection, source_sql: str = STAGED) -> int:
    """Alerts (the staged ones, or straight from a rule query with ALERT_COLUMNS' columns) into
    app.notifications; the new ones (not seen before) land in temp table new_alerts."""
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.new_alerts"))
    conn.execute(text("CREATE TEMP TABLE new_alerts (id bigint, user_id bigint, rule text) ON COMMIT DROP"))
    return conn.execute(
        text(f"""
        WITH ins AS (
            INSERT INTO app.notifications (user_id, rule, dedupe_key, strain_key, seller, offer_key, promise)
            {source_sql}
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id, user_id, rule
        )
        INSERT INTO new_alerts SELECT id, user_id, rule FROM ins""")
    ).rowcount


def enqueue_alerts(conn: Connection, run_id: str) -> int:
    """One outbox row per user per channel for the new alerts of instant-digest users; returns rows made.

    Email always, webhook when the user has one. Weekly users' alerts wait (no outbox row) for the digest;
    unsubscribed and 'off' users never had alerts made. batch_key = run_id:user_id:channel, so a retried run
    with the same id cannot queue a second message.
    """
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.new_outbox"))
    conn.execute(
        text("CREATE TEMP TABLE new_outbox (id bigint, user_id bigint, channel text) ON COMMIT DROP")
    )
    made = conn.execute(
        text("""
        WITH ins AS (
            INSERT INTO app.outbox (user_id, channel, kind, batch_key)
            SELECT u.id, c.channel, 'alerts', :run_id || ':' || u.id || ':' || c.channel
            FROM app.users AS u
            CROSS JOIN (VALUES ('email'), ('webhook')) AS c (channel)
            WHERE u.id IN (SELECT user_id FROM new_alerts)
                AND u.digest = 'instant' AND u.unsubscribed_at IS NULL
                AND (c.channel = 'email' OR u.webhook_url IS NOT NULL)
            ON CONFLICT (batch_key) DO NOTHING
            RETURNING id, user_id, channel
        )
        INSERT INTO new_outbox SELECT * FROM ins"""),
        {"run_id": run_id},
    ).rowcount
    conn.execute(
        text("""INSERT INTO app.outbox_items (outbox_id, notification_id)
                SELECT o.id, a.id FROM new_outbox AS o JOIN new_alerts AS a USING (user_id)""")
    )
    return made  # notifications.outbox_id stays NULL: outbox_items is the link (an UPDATE per alert costs)


def batch_summary(conn: Connection, preview_rows: int = 10) -> tuple[dict[str, int], int, pl.DataFrame]:
    """(new alerts by rule, users reached, a preview of the first messages) of the batch just queued."""
    by_rule = {
        r.rule: int(r.n)
        for r in conn.execute(text("SELECT rule, count(*) AS n FROM new_alerts GROUP BY rule ORDER BY rule"))
    }
    users = int(conn.execute(text("SELECT count(DISTINCT user_id) FROM new_outbox")).scalar_one())
    preview = pl.read_database(
        f"""
        SELECT u.email, o.channel, count(*) AS alerts,
            string_agg(n.rule || ': ' || coalesce(n.promise->>'strain', '?') || ' @ ' || n.seller || ' '
                || coalesce(n.promise->>'price_local', '') || ' ' || coalesce(n.promise->>'currency_local', ''),
                '; ' ORDER BY n.id) AS items
        FROM new_outbox AS o
        JOIN app.users AS u ON u.id = o.user_id
        JOIN app.outbox_items AS i ON i.outbox_id = o.id
        JOIN app.notifications AS n ON n.id = i.notification_id
        WHERE o.id IN (SELECT id FROM new_outbox ORDER BY id LIMIT {int(preview_rows)})
        GROUP BY o.id, u.email, o.channel
        ORDER BY o.id""",
        conn,
    )
    return by_rule, users, preview
