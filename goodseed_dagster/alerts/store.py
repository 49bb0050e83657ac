"""ops.alerts: claim an alert before sending it, record the outcome, hand failed ones back for a retry.

Every statement is one atomic UPDATE/INSERT, so two sensors (or a sensor and its own re-evaluation) never
both own a row: the one whose statement changed it sends, the other sees nothing to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, text

from goodseed_dagster.alerts.core import Alert

_CLAIM = text("""
INSERT INTO ops.alerts (kind, subject, day, seller, title, body)
VALUES (:kind, :subject, :day, :seller, :title, :body)
ON CONFLICT (kind, subject, day) DO NOTHING
RETURNING kind""")

_FINISH = text("""
UPDATE ops.alerts SET
  delivered = ARRAY(SELECT DISTINCT unnest(delivered || CAST(:delivered AS text[]))),
  status = :status, last_error = :error,
  sent_at = CASE WHEN :status = 'sent' THEN now() ELSE sent_at END
WHERE kind = :kind AND subject = :subject AND day = :day""")

# failed rows come back after a backoff doubling per attempt; a row left `sending` by a process that died
# between claim and outcome comes back after the lease (at-least-once then: it may have gone out)
_RECLAIM = text("""
UPDATE ops.alerts SET status = 'sending', attempts = attempts + 1, claimed_at = now()
WHERE (status = 'failed' AND attempts < :max_attempts
       AND claimed_at <= now() - make_interval(secs => :backoff_s * power(2, attempts - 1)))
   OR (status = 'sending' AND claimed_at < now() - make_interval(secs => :lease_s))
RETURNING kind, subject, day, seller, title, body, delivered""")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this process now owns: send it, then `finish` it."""

    alert: Alert
    delivered: frozenset[str]  # hashes of the URLs that already accepted it


@dataclass(frozen=True, slots=True)
class StaleSeller:
    seller: str
    refreshed_at: datetime | None  # last merge of its offers; None if never
    since: datetime  # when its source was configured (the clock for a seller never refreshed)


def claim(conn: Connection, alert: Alert) -> bool:
    """True if this call created the alert's row (so it must send it); False if it exists already."""
    row = conn.execute(
        _CLAIM,
        {
            "kind": alert.kind,
            "subject": alert.subject,
            "day": alert.day,
            "seller": alert.seller,
            "title": alert.title,
            "body": alert.body,
        },
    ).first()
    return row is not None


def finish(
    conn: Connection, key: tuple[str, str, date], *, status: str, delivered: Sequence[str], error: str | None
) -> None:
    kind, subject, day = key
    conn.execute(
        _FINISH,
        {
            "kind": kind,
            "subject": subject,
            "day": day,
            "status": status,
            "delivered": list(delivered),
            "error": error,
        },
    )


def reclaim(conn: Connection, *, max_attempts: int, backoff: timedelta, lease: timedelta) -> list[Claimed]:
    """Failed alerts due for another try, and abandoned `sending` ones, now owned by this caller."""
    rows = conn.execute(
        _RECLAIM,
        {
            "max_attempts": max_attempts,
            "backoff_s": backoff.total_seconds(),
            "lease_s": lease.total_seconds(),
        },
    )
    return [
        Claimed(Alert(r.kind, r.seller, r.day, r.title, r.body, scope=r.subject), frozenset(r.delivered))
        for r in rows
    ]


_STALE = text("""
SELECT s.slug AS seller, m.refreshed_at, s.updated_at AS since
FROM core.sources s
LEFT JOIN (SELECT seller, max(merged_at) AS refreshed_at FROM core.crawls GROUP BY seller) m
  ON m.seller = s.slug
WHERE s.enabled AND coalesce(m.refreshed_at, s.updated_at) < :cutoff
ORDER BY s.slug""")


def stale_sellers(conn: Connection, cutoff: datetime) -> list[StaleSeller]:
    """Enabled sellers whose offers were last merged before `cutoff` (or never, configured before it).

    "Refreshed" means offers merged (core.crawls.merged_at): a crawl that succeeded but was held back by a
    blocking check did not refresh what users see, so it does not count.
    """
    return [StaleSeller(r.seller, r.refreshed_at, r.since) for r in conn.execute(_STALE, {"cutoff": cutoff})]
