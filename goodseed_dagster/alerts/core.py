"""What an alert is and what it says: plain values, no Dagster, no I/O.

An alert is deduplicated per (kind, subject, day): the subject is the seller, or for a seller-less alert
(a failed non-partitioned job, a check on a global asset) what it is about, so unrelated ones stay apart.
The day is the calendar day in the team's timezone, so a stale seller alerts once a day, not every tick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

AlertKind = Literal["run_failure", "check_failure", "freshness"]
KINDS: tuple[AlertKind, ...] = ("run_failure", "check_failure", "freshness")
MAX_REASON = 1000  # a stack trace or a long metadata dump is for the UI, the alert links to it


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    seller: str | None
    day: date
    title: str
    body: str
    scope: str = ""  # what a seller-less alert is about (job name, check key)

    @property
    def subject(self) -> str:
        return self.seller or self.scope or "(global)"

    @property
    def key(self) -> tuple[str, str, date]:
        """The dedupe key: ops.alerts' primary key."""
        return (self.kind, self.subject, self.day)


@dataclass(frozen=True, slots=True)
class Links:
    """Deep links into the Dagster UI, so an alert leads straight to the run or asset."""

    ui_url: str

    def run(self, run_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/runs/{run_id}"

    def asset(self, path: str) -> str:
        return f"{self.ui_url.rstrip('/')}/assets/{path}"


def alert_day(when: datetime | float, timezone: str) -> date:
    """The calendar day of `when` (an aware datetime or a POSIX timestamp) in `timezone`."""
    moment = datetime.fromtimestamp(when, UTC) if isinstance(when, int | float) else when
    return moment.astimezone(ZoneInfo(timezone)).date()


def shorten(text: str, limit: int = MAX_REASON) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(fields: Mapping[str, str | None]) -> str:
    """The body: one `Label: value` line per known field, in order (the receiver and e-mail read alike)."""
    return "\n".join(f"{label}: {value}" for label, value in fields.items() if value)


def run_failure_alert(
    *, job: str, run_id: str, seller: str | None, reason: str, day: date, links: Links
) -> Alert:
    where = f"[{seller}] " if seller else ""
    body = render({"Seller": seller, "Job": job, "Reason": shorten(reason), "Run": links.run(run_id)})
    return Alert("run_failure", seller, day, f"{where}run of {job} failed", body, scope=job)


def check_failure_alert(
    *,
    asset: str,
    check: str,
    seller: str | None,
    reason: str,
    severity: str,
    run_id: str | None,
    day: date,
    links: Links,
) -> Alert:
    where = f"[{seller}] " if seller else ""
    body = render(
        {
            "Seller": seller,
            "Check": f"{asset}:{check}",
            "Severity": severity,
            "Reason": shorten(reason),
            "Run": links.run(run_id) if run_id else links.asset(asset),
        }
    )
    title = f"{where}check {check} on {asset} failed"
    return Alert("check_failure", seller, day, title, body, scope=f"{asset}:{check}")


def freshness_alert(
    *,
    seller: str,
    refreshed_at: datetime | None,
    since: datetime,
    hours: float,
    now: datetime,
    timezone: str,
    links: Links,
) -> Alert:
    """`refreshed_at` is the seller's last merge into core.offers (None: never); `since` when it was configured."""
    age_h = (now - (refreshed_at or since)).total_seconds() / 3600
    last = refreshed_at.isoformat(timespec="minutes") if refreshed_at else "never"
    reason = f"not refreshed for {age_h:.1f} h (limit {hours:g} h); last refresh: {last}"
    body = render({"Seller": seller, "Check": "freshness", "Reason": reason, "Asset": links.asset("offers")})
    return Alert("freshness", seller, alert_day(now, timezone), f"[{seller}] offers are stale", body)


def merge_alerts(alerts: Sequence[Alert]) -> list[Alert]:
    """One alert per key: several checks failing for one seller the same day are told in one alert (its
    body lists each), since only one per (kind, seller, day) may go out. Order of first appearance."""
    groups: dict[tuple[str, str, date], list[Alert]] = {}
    for a in alerts:
        groups.setdefault(a.key, []).append(a)
    merged = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            merged.append(first)
            continue
        title = f"{first.title} (+{len(group) - 1} more)"
        merged.append(replace(first, title=title, body="\n\n".join(a.body for a in group)))
    return merged
