"""One notification batch: the rules over the marts → new alerts → one message per user per channel.

One transaction: the rules run server-side into a temp table, the alerts nobody has had yet are stored, and
each instant user with a new alert gets one outbox row per channel listing all of them (one email per batch,
not one per alert). A second run finds every dedupe key taken and queues nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import Engine

from goodseed_dagster.db import notifications as store
from goodseed_dagster.notify.rules import ALERTS_SQL


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: alerts offered to the store (the rules' new ones; all rows of a given frame), the
    new ones by rule, messages and users queued."""

    candidates: int
    by_rule: dict[str, int]
    messages: int
    users_reached: int
    preview: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def new_alerts(self) -> int:
        return sum(self.by_rule.values())


def run_batch(engine: Engine, run_id: str, alerts: pl.DataFrame | None = None) -> BatchResult:
    """Evaluate the rules (or take `alerts`, made elsewhere, COPYed in) and queue the new alerts' messages."""
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")  # the rules' hash joins and sorts stay in memory
        if alerts is None:  # straight from the rules into the table: no staging round
            candidates = store.insert_alerts(conn, ALERTS_SQL)
        else:
            store.stage_alerts(conn, alerts)
            candidates = store.insert_alerts(conn)
        messages = store.enqueue_alerts(conn, run_id)
        by_rule, users, preview = store.batch_summary(conn)
    return BatchResult(candidates, by_rule, messages, users, preview)
