"""SQL of notification delivery: claim due app.outbox rows, read their alerts and the current offers, and
close each row (sent, deferred, failed, dead). `now` is always a parameter, so tests drive the clock.

Claiming commits on its own (state 'sending', claimed_at); a sender that dies leaves its rows 'sending' and
the next run past `reclaim_after` claims them again: that is the at-least-once half of the guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class OutboxRow:
    """One claimed message and what delivery needs about its user."""

    id: int
    user_id: int
    channel: str
    kind: str
    batch_key: str
    attempts: int
    payload: dict[str, Any] | None
    email: str
    unsubscribe_secret: str
    unsubscribed: bool
    webhook_url: str | None
    webhook_secret: str | None


CLAIM = text("""
UPDATE app.outbox o SET state = 'sending', claimed_at = :now
FROM app.users u
WHERE u.id = o.user_id AND o.id IN (
    SELECT id FROM app.outbox
    WHERE (state IN ('pending', 'failed') AND next_attempt_at <= :now)
       OR (state = 'sending' AND claimed_at <= :now - make_interval(secs => :reclaim_s))
    ORDER BY next_attempt_at, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
RETURNING o.id, o.user_id, o.channel, o.kind, o.batch_key, o.attempts, o.payload, u.email,
          u.unsubscribe_secret, u.unsubscribed_at IS NOT NULL AS unsubscribed, u.webhook_url, u.webhook_secret
""")


def claim(conn: Connection, now: datetime, reclaim_after: timedelta, limit: int) -> list[OutboxRow]:
    """Due rows (pending/failed past next_attempt_at, or 'sending' for longer than `reclaim_after`), marked
    'sending'; concurrent runs skip each other's rows (SKIP LOCKED)."""
    rows = conn.execute(
        CLAIM, {"now": now, "reclaim_s": reclaim_after.total_seconds(), "limit": limit}
    ).mappings()
    return sorted((OutboxRow(**r) for r in rows), key=lambda r: r.id)


def alerts(conn: Connection, outbox_id: int) -> list[dict[str, Any]]:
    """A message's alerts (app.outbox_items), oldest first: id, rule, seller, offer_key, promise."""
    rows = conn.execute(
        text("""
        SELECT n.id, n.rule, n.seller, n.offer_key, n.strain_key, n.promise
        FROM app.outbox_items i JOIN app.notifications n ON n.id = i.notification_id
        WHERE i.outbox_id = :id ORDER BY n.created_at, n.id
        """),
        {"id": outbox_id},
    ).mappings()
    return [dict(r) for r in rows]


def current_offers(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """marts.fct_offer_current rows of these (seller, offer_key): what is true now, to re-check promises."""
    if not keys:
        return {}
    rows = conn.execute(
        text("""
        SELECT c.seller, c.offer_key, c.price_base, c.price_per_seed_base, c.is_in_stock
        FROM marts.fct_offer_current c
        JOIN unnest(CAST(:sellers AS text[]), CAST(:offers AS text[])) AS k(seller, offer_key)
          ON c.seller = k.seller AND c.offer_key = k.offer_key
        """),
        {"sellers": [k[0] for k in keys], "offers": [k[1] for k in keys]},
    ).mappings()
    return {(r["seller"], r["offer_key"]): dict(r) for r in rows}


def recent_sends(conn: Connection, user_ids: list[int], since: datetime) -> dict[int, list[datetime]]:
    """When each user's emails went out after `since` (the rate limit's rolling window), oldest first."""
    rows = conn.execute(
        text("""
        SELECT user_id, sent_at FROM app.outbox
        WHERE state = 'sent' AND channel = 'email' AND sent_at > :since AND user_id = ANY(:users)
        ORDER BY sent_at
        """),
        {"since": since, "users": user_ids},
    ).mappings()
    out: dict[int, list[datetime]] = {}
    for r in rows:
        out.setdefault(r["user_id"], []).append(r["sent_at"])
    return out


def mark_sent(conn: Connection, outbox_id: int, now: datetime) -> None:
    conn.execute(
        text("""
        UPDATE app.outbox SET state = 'sent', sent_at = :now, attempts = attempts + 1, last_error = NULL
        WHERE id = :id AND state = 'sending'
        """),
        {"id": outbox_id, "now": now},
    )


def mark_skipped(conn: Connection, outbox_id: int, note: str) -> None:
    """Closed without sending (sent_at stays NULL, so it counts toward no rate limit)."""
    conn.execute(
        text("UPDATE app.outbox SET state = 'sent', note = :note WHERE id = :id AND state = 'sending'"),
        {"id": outbox_id, "note": note},
    )


def defer(conn: Connection, outbox_id: int, until: datetime) -> None:
    """Back to pending, not an attempt: the user's rate limit is full until `until`."""
    conn.execute(
        text("""
        UPDATE app.outbox SET state = 'pending', next_attempt_at = :until, claimed_at = NULL
        WHERE id = :id AND state = 'sending'
        """),
        {"id": outbox_id, "until": until},
    )


def mark_failed(conn: Connection, outbox_id: int, error: str, retry_at: datetime | None) -> None:
    """One more failed attempt: 'failed' until `retry_at`, or 'dead' when None (attempts exhausted)."""
    conn.execute(
        text("""
        UPDATE app.outbox SET attempts = attempts + 1, last_error = :error, claimed_at = NULL,
            state = CASE WHEN CAST(:retry_at AS timestamptz) IS NULL THEN 'dead' ELSE 'failed' END,
            next_attempt_at = coalesce(CAST(:retry_at AS timestamptz), next_attempt_at)
        WHERE id = :id AND state = 'sending'
        """),
        {"id": outbox_id, "error": error[:1000], "retry_at": retry_at},
    )
