"""The delivery loop: drain due app.outbox rows to SMTP and webhooks, one message at a time.

Guarantee: at-least-once, with a stable Message-ID. A row is claimed ('sending', committed) before it is
sent, and marked 'sent' in a second transaction after the SMTP server accepted it. If the process dies in
between (the server has the message, the outbox does not know), the row stays 'sending'; the first run
after `Settings.notify_reclaim_s` claims it again and sends it again, with the same Message-ID (and the
same X-GoodSeed-Delivery for webhooks), which mail servers, clients and receivers use to deduplicate.
Nothing is lost; a duplicate is possible only in that window.

Each message is re-checked before sending: an alert whose offer is now dearer than promised, out of stock
or gone is dropped; a message with nothing left is closed without sending. A user gets at most
`notify_per_minute` emails in any rolling minute; the rest wait (pending, later next_attempt_at), never
dropped. A failure (refused, unreachable) retries with doubling backoff and is dead after
`notify_max_attempts`; one message's failure never stops the others.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from sqlalchemy import Engine

from goodseed_dagster.db import outbox
from goodseed_dagster.db.outbox import OutboxRow
from goodseed_dagster.notify import email, webhooks
from goodseed_dagster.settings import Settings

log = logging.getLogger(__name__)
CLAIM_LIMIT = 500
WINDOW = timedelta(seconds=60)
UNCHECKED_RULES = {"digest"}  # informational items: current best offer, not a price promise


@dataclass
class DeliveryReport:
    """Counts of one run (the Dagster op's metadata)."""

    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    released: int = 0
    dropped_promises: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def still_true(alert: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """Is the alert's promise true now? An offer that is gone, out of stock or dearer than promised is not;
    alerts about no particular offer (or informational ones) always are."""
    if alert["rule"] in UNCHECKED_RULES or not (alert.get("seller") and alert.get("offer_key")):
        return True
    if current is None or not current["is_in_stock"]:
        return False
    promised, now = _decimal(alert["promise"].get("price_base")), _decimal(current["price_base"])
    return promised is None or (now is not None and now <= promised)


def _promises(engine: Engine, row: OutboxRow) -> tuple[list[dict[str, Any]], int]:
    """The promises still true (to announce) and how many were dropped."""
    with engine.connect() as conn:
        alerts = outbox.alerts(conn, row.id)
        keys = [(a["seller"], a["offer_key"]) for a in alerts if a["seller"] and a["offer_key"]]
        current = outbox.current_offers(conn, keys) if keys and row.kind != "digest" else {}
    kept = [
        a["promise"]
        for a in alerts
        if row.kind == "digest" or still_true(a, current.get((a["seller"] or "", a["offer_key"] or "")))
    ]
    return kept, len(alerts) - len(kept)


def _send(settings: Settings, row: OutboxRow, promises: list[dict[str, Any]], now: datetime) -> None:
    if row.channel == "email":
        msg = email.build_message(
            settings, to=row.email, batch_key=row.batch_key, kind=row.kind, alerts=promises,
            unsubscribe=email.unsubscribe_url(settings, row.user_id, row.unsubscribe_secret), report=row.payload,
        )  # fmt: skip
        email.send(settings, msg)
    else:
        assert row.webhook_url and row.webhook_secret
        webhooks.post(
            row.webhook_url, row.webhook_secret, batch_key=row.batch_key, kind=row.kind, alerts=promises,
            timestamp=int(now.timestamp()),
        )  # fmt: skip


def _skip_reason(row: OutboxRow) -> str | None:
    if row.unsubscribed:
        return "user unsubscribed"
    if row.channel == "webhook" and not (row.webhook_url and row.webhook_secret):
        return "no webhook configured"
    return None


def _deliver_one(
    engine: Engine,
    settings: Settings,
    row: OutboxRow,
    now: datetime,
    sends: list[datetime],
    report: DeliveryReport,
) -> None:
    """One message: skip, defer (rate limit), close empty, or send and mark sent. Raises on send failure."""
    reason = _skip_reason(row)
    if reason is None and row.channel == "email" and len(sends) >= settings.notify_per_minute:
        with engine.begin() as conn:  # a slot frees when the oldest send counted leaves the window
            outbox.defer(conn, row.id, sends[-settings.notify_per_minute] + WINDOW)
        report.deferred += 1
        return
    promises, dropped = ([], 0) if reason else _promises(engine, row)
    report.dropped_promises += dropped
    if reason is None and not promises and row.kind != "report":
        reason = f"nothing left to announce: {dropped} promise(s) no longer true"
    if reason is not None:
        with engine.begin() as conn:
            outbox.mark_skipped(conn, row.id, reason)
        report.skipped += 1
        return
    _send(settings, row, promises, now)
    # the window of the guarantee: the server has accepted the message; dying here re-sends it later
    with engine.begin() as conn:
        outbox.mark_sent(conn, row.id, now)
    if row.channel == "email":
        sends.append(now)
    report.sent += 1


def describe(error: Exception) -> str:
    """What went wrong, without URLs or credentials (a webhook URL may hold a token)."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, httpx.HTTPError):
        return type(error).__name__
    return f"{type(error).__name__}: {error}"[:500]


def _fail(engine: Engine, settings: Settings, row: OutboxRow, now: datetime, error: Exception, report: DeliveryReport) -> None:  # fmt: skip
    attempts = row.attempts + 1
    dead = attempts >= settings.notify_max_attempts
    retry_at = None if dead else now + timedelta(seconds=settings.notify_backoff_s * 2 ** (attempts - 1))
    with engine.begin() as conn:
        outbox.mark_failed(conn, row.id, describe(error), retry_at)
    if dead:
        report.dead += 1
    else:
        report.failed += 1
    log.warning(
        "outbox %s (%s) attempt %s %s: %s", row.id, row.channel, attempts, "dead" if dead else "failed",
        describe(error),
    )  # fmt: skip


def deliver(
    engine: Engine, settings: Settings, *, now: datetime | None = None, limit: int = CLAIM_LIMIT
) -> DeliveryReport:
    """One pass over the due messages. `now` (tests) is the clock of claims, backoff and the rate limit.

    Stops starting sends after half the reclaim timeout and releases the rest, so no other run reclaims
    a row this one still holds."""
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    with engine.begin() as conn:
        rows = outbox.claim(conn, now, timedelta(seconds=settings.notify_reclaim_s), limit)
    report.claimed = len(rows)
    if not rows:
        return report
    with engine.connect() as conn:
        sends = outbox.recent_sends(conn, sorted({r.user_id for r in rows}), now - WINDOW)
    budget_end = time.monotonic() + settings.notify_reclaim_s / 2
    for row in rows:
        if time.monotonic() > budget_end:
            with engine.begin() as conn:
                outbox.defer(conn, row.id, now)
            report.released += 1
            continue
        try:
            _deliver_one(engine, settings, row, now, sends.setdefault(row.user_id, []), report)
        except Exception as error:
            _fail(engine, settings, row, now, error, report)
    return report


def main() -> int:
    """`python -m goodseed_dagster.notify.delivery`: one pass with this process's Settings (ops, tests)."""
    from goodseed_dagster.db.engine import database_url, engine_for

    settings = Settings()
    print(json.dumps(deliver(engine_for(database_url(settings)), settings).as_dict()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
