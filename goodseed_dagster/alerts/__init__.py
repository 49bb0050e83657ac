"""Alerts for the data team: what to say (core), once per (kind, subject, day) (store), through apprise
(sender); receiver is a local endpoint for tests and the demo. No Dagster here: sensors/alerts.py wires it."""

from goodseed_dagster.alerts.core import Alert, AlertKind, Links, alert_day
from goodseed_dagster.alerts.receiver import AlertReceiver, ReceivedAlert, summary_lines
from goodseed_dagster.alerts.sender import AlertSender, Delivery

__all__ = [
    "Alert",
    "AlertKind",
    "AlertReceiver",
    "AlertSender",
    "Delivery",
    "Links",
    "ReceivedAlert",
    "alert_day",
    "summary_lines",
]
