"""Delivery through apprise, exactly once per (kind, subject, day) when it succeeds.

Policy: the row is claimed in ops.alerts first (a claimed alert is never claimed again), then sent to each
apprise URL on its own. An URL that accepts it is recorded (as a hash, never the URL) and never sent it
again; if any URL fails, the row is `failed` and `retry_pending` (called by every alert sensor tick)
re-sends it to the failed URLs only, with backoff, up to `max_attempts` tries, after which it stays
`failed` for someone to read in ops.alerts. No URLs configured: the alert is recorded as `skipped`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

import apprise
from pydantic import SecretStr
from sqlalchemy import Engine

from goodseed_dagster.alerts import store
from goodseed_dagster.alerts.core import Alert

Outcome = Literal["sent", "failed", "skipped", "duplicate"]
NOTIFY_TYPES = {
    "run_failure": apprise.NotifyType.FAILURE,
    "check_failure": apprise.NotifyType.FAILURE,
    "freshness": apprise.NotifyType.WARNING,
}


@dataclass(frozen=True, slots=True)
class Delivery:
    alert: Alert
    outcome: Outcome
    error: str | None = None


def url_id(url: SecretStr) -> str:
    """A stable name for an apprise URL that reveals nothing of it (URLs may hold tokens)."""
    return hashlib.sha256(url.get_secret_value().encode()).hexdigest()[:12]


def deliver(alert: Alert, urls: Sequence[SecretStr], skip: frozenset[str]) -> tuple[list[str], list[str]]:
    """Send to every URL not in `skip`, each through its own Apprise object so one failing URL is told apart
    from the others; (ids of URLs that accepted it, errors). Errors name the URL's position and id only."""
    delivered: list[str] = []
    errors: list[str] = []
    for n, url in enumerate(urls, start=1):
        uid = url_id(url)
        if uid in skip:
            continue
        client = apprise.Apprise()
        if not client.add(url.get_secret_value()):
            errors.append(f"alert URL #{n} ({uid}) is not a valid apprise URL")
            continue
        if client.notify(body=alert.body, title=alert.title, notify_type=NOTIFY_TYPES[alert.kind]):
            delivered.append(uid)
        else:
            errors.append(f"alert URL #{n} ({uid}, {client[0].service_name}) did not accept it")
    return delivered, errors


@dataclass
class AlertSender:
    """Claims, delivers and records alerts in ops.alerts (the engine's database)."""

    engine: Engine
    urls: Sequence[SecretStr]
    max_attempts: int = 5
    backoff: timedelta = field(default=timedelta(minutes=1))
    lease: timedelta = field(default=timedelta(minutes=15))

    def send(self, alert: Alert) -> Delivery:
        """Send `alert` unless an alert with its key was claimed before (then: `duplicate`)."""
        with self.engine.begin() as conn:
            if not store.claim(conn, alert):
                return Delivery(alert, "duplicate")
        return self._deliver(alert, frozenset())

    def retry_pending(self) -> list[Delivery]:
        """Re-send failed alerts that are due (and ones abandoned mid-send by a dead process)."""
        with self.engine.begin() as conn:
            due = store.reclaim(conn, max_attempts=self.max_attempts, backoff=self.backoff, lease=self.lease)
        return [self._deliver(c.alert, c.delivered) for c in due]

    def _deliver(self, alert: Alert, skip: frozenset[str]) -> Delivery:
        if not self.urls:
            self._finish(alert, "skipped", [], "no alert URLs configured (GOODSEED_ALERT_URLS)")
            return Delivery(alert, "skipped")
        try:
            delivered, errors = deliver(alert, self.urls, skip)
        except Exception as e:  # a plugin bug must not leave the row `sending` until the lease runs out
            delivered, errors = [], [f"apprise raised {type(e).__name__}"]
        error = "; ".join(errors) or None
        outcome: Outcome = "failed" if errors else "sent"
        self._finish(alert, outcome, delivered, error)
        return Delivery(alert, outcome, error)

    def _finish(self, alert: Alert, status: str, delivered: list[str], error: str | None) -> None:
        with self.engine.begin() as conn:
            store.finish(conn, alert.key, status=status, delivered=delivered, error=error)
