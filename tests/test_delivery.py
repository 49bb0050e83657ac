"""Delivery of notifications (#17) against real Postgres, a real SMTP server and a real webhook receiver.

Users, outbox rows and their alerts are inserted with SQL (the rules that make them are tested elsewhere);
marts.fct_offer_current is a minimal table of its own. The delivery core takes `now`, so backoff and the
rate limit are driven by a clock instead of sleeping.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, text

from goodseed_dagster.api.main import create_app
from goodseed_dagster.db.engine import libpq_url
from goodseed_dagster.notify.delivery import deliver
from goodseed_dagster.notify.signing import message_id, unsubscribe_token, verify_signature, webhook_signature
from goodseed_dagster.notify.sinks import Received, SmtpSink, WebhookReceiver
from goodseed_dagster.settings import PROJECT_ROOT, Settings

MARTS = """CREATE TABLE marts.fct_offer_current (seller text, offer_key text, strain_key text,
    price_base numeric(14, 4), price_per_seed_base numeric(14, 4), is_in_stock boolean)"""
MINUTE = timedelta(seconds=60)


@pytest.fixture
def engine(fresh_pg_url: str) -> Iterator[Engine]:
    eng = create_engine(fresh_pg_url)
    with eng.begin() as conn:
        conn.execute(text(MARTS))
    yield eng
    eng.dispose()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


@pytest.fixture
def settings(sink: SmtpSink, fresh_pg_url: str) -> Settings:
    return Settings(
        database_url=SecretStr(fresh_pg_url), smtp_port=sink.port, public_api_url="https://goodseed.example",
        notify_max_attempts=3, notify_backoff_s=60, notify_reclaim_s=600, notify_per_minute=10,
    )  # fmt: skip


def add_user(engine: Engine, email: str, **extra: str) -> int:
    cols = {"email": email, "unsubscribe_secret": f"secret-of-{email}", **extra}
    with engine.begin() as conn:
        return int(
            conn.execute(
                text(f"INSERT INTO app.users ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)}) RETURNING id"),
                cols,
            ).scalar_one()
        )  # fmt: skip


def promise(strain: str, offer_key: str, price: str = "10.00", seller: str = "shop") -> dict[str, Any]:
    return {
        "strain": strain, "breeder": "Breeder", "seller": seller, "offer_key": offer_key,
        "url": f"https://{seller}.example/{offer_key}", "title": f"{strain} 5 seeds", "pack_seeds": 5,
        "price_local": price, "currency_local": "EUR", "price_base": price, "price_per_seed_base": "2.00",
        "base_currency": "EUR", "in_stock": True, "rule": "target_price", "detail": "at or below 12.00",
    }  # fmt: skip


def add_message(engine: Engine, user_id: int, batch_key: str, alerts: list[dict[str, Any]], channel: str = "email") -> int:  # fmt: skip
    """One outbox row and its alerts (notifications + outbox_items), as the rules' batch writes them."""
    with engine.begin() as conn:
        outbox_id = int(
            conn.execute(
                text("INSERT INTO app.outbox (user_id, channel, batch_key) VALUES (:u, :c, :b) RETURNING id"),
                {"u": user_id, "c": channel, "b": batch_key},
            ).scalar_one()
        )
        for i, p in enumerate(alerts):
            note: int = conn.execute(
                text("""INSERT INTO app.notifications (user_id, rule, dedupe_key, seller, offer_key, promise)
                    VALUES (:u, :r, :d, :s, :o, CAST(:p AS jsonb))
                    ON CONFLICT (dedupe_key) DO UPDATE SET rule = excluded.rule RETURNING id"""),
                {"u": user_id, "r": p["rule"], "d": f"{user_id}:{p['offer_key']}:{i}",
                 "s": p["seller"], "o": p["offer_key"], "p": json.dumps(p)},
            ).scalar_one()  # fmt: skip
            conn.execute(text("INSERT INTO app.outbox_items VALUES (:o, :n)"), {"o": outbox_id, "n": note})
    return outbox_id


def add_offers(engine: Engine, *rows: tuple[str, str, str, bool]) -> None:
    with engine.begin() as conn:
        for offer_key, strain, price, in_stock in rows:
            conn.execute(
                text("INSERT INTO marts.fct_offer_current VALUES ('shop', :o, :s, :p, 2, :i)"),
                {"o": offer_key, "s": strain, "p": price, "i": in_stock},
            )


def outbox(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM app.outbox ORDER BY id")).mappings()
        return {r["batch_key"]: dict(r) for r in rows}


def clock() -> datetime:
    """A `now` after every row inserted so far (their next_attempt_at defaults to the database's now())."""
    return datetime.now(UTC) + timedelta(seconds=1)


def test_three_runs_send_each_message_once(engine: Engine, sink: SmtpSink, settings: Settings) -> None:
    add_offers(engine, ("o1", "Amnesia", "10.00", True), ("o2", "Haze", "8.00", True))
    users = [add_user(engine, f"u{i}@example.com") for i in range(3)]
    for u in users:
        add_message(engine, u, f"run1:{u}:email", [promise("Amnesia", "o1"), promise("Haze", "o2", "8.00")])
    now = clock()
    reports = [deliver(engine, settings, now=now + i * MINUTE) for i in range(3)]
    assert [r.sent for r in reports] == [3, 0, 0]
    assert sorted(m.message_id for m in sink.messages) == sorted(message_id(f"run1:{u}:email") for u in users)
    assert {s["state"] for s in outbox(engine).values()} == {"sent"}
    first = next(m for m in sink.messages if m.recipients == ["u0@example.com"])
    token = unsubscribe_token(users[0], "secret-of-u0@example.com")
    assert first.message["List-Unsubscribe"] == f"<https://goodseed.example/v1/unsubscribe?token={token}>"
    assert first.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.message["From"] == settings.mail_from and "Amnesia" in str(first.message["Subject"])
    assert "Haze" in first.part("plain") and "Haze" in first.part("html")


def test_sigkill_after_smtp_acceptance_resends_with_the_same_message_id(
    engine: Engine, sink: SmtpSink, settings: Settings, fresh_pg_url: str
) -> None:
    """The documented window: the server accepted the message, the sender died before the outbox update.
    The row stays 'sending', is reclaimed after notify_reclaim_s and sent again with the same Message-ID."""
    add_offers(engine, ("o1", "Amnesia", "10.00", True))
    user = add_user(engine, "kill@example.com")
    outbox_id = add_message(engine, user, "run1:kill:email", [promise("Amnesia", "o1")])
    accepted, go = threading.Event(), threading.Event()

    def hold(_: Received) -> None:  # runs before the 250 reply
        accepted.set()
        go.wait(60)

    sink.on_accept = hold
    env = {**os.environ, "DATABASE_URL": fresh_pg_url, "GOODSEED_SMTP_PORT": str(sink.port),
           "GOODSEED_NOTIFY_RECLAIM_S": "600", "GOODSEED_HOME": str(PROJECT_ROOT / ".goodseed" / "test")}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "goodseed_dagster.notify.delivery"], env=env)
    try:
        assert accepted.wait(60), "the delivery process never reached the SMTP DATA step"
        with psycopg.connect(libpq_url(fresh_pg_url)) as lock:  # hold the row: its 'sent' update must wait
            assert lock.execute("SELECT state FROM app.outbox WHERE id = %s FOR UPDATE", [outbox_id]).fetchone() == ("sending",)  # fmt: skip
            go.set()  # the server now answers 250: the message is accepted
            waiting = _backend_waiting_on_lock(fresh_pg_url)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(30) == -signal.SIGKILL
            with psycopg.connect(libpq_url(fresh_pg_url), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [waiting])
            lock.rollback()
    finally:
        go.set()
        proc.kill()
    sink.on_accept = None
    assert len(sink.messages) == 1 and outbox(engine)["run1:kill:email"]["state"] == "sending"
    now = clock()
    assert deliver(engine, settings, now=now).claimed == 0  # not before the reclaim timeout
    assert deliver(engine, settings, now=now + timedelta(seconds=601)).sent == 1
    assert [m.message_id for m in sink.messages] == [message_id("run1:kill:email")] * 2
    assert outbox(engine)["run1:kill:email"]["state"] == "sent"
    assert deliver(engine, settings, now=now + timedelta(seconds=1300)).claimed == 0


def _backend_waiting_on_lock(url: str) -> int:
    """The pid of the delivery process's backend once its outbox update waits on our row lock."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for _ in range(300):
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%app.outbox%'"
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.1)
    raise AssertionError("the delivery process never tried to mark the message sent")


def test_scraped_names_are_escaped_in_the_html(engine: Engine, sink: SmtpSink, settings: Settings) -> None:
    evil = "<script>alert(1)</script>"
    add_offers(engine, ("o1", evil, "10.00", True))
    p = promise(evil, "o1") | {"url": "javascript:alert(1)"}
    add_message(engine, add_user(engine, "x@example.com"), "run1:x:email", [p])
    assert deliver(engine, settings, now=clock()).sent == 1
    html = sink.messages[0].part("html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html and "javascript:" not in html
    assert evil in sink.messages[0].part("plain")  # text/plain shows it as text


def test_refused_messages_retry_with_backoff_then_die_and_others_go_out(
    engine: Engine, sink: SmtpSink, settings: Settings
) -> None:
    add_offers(engine, ("o1", "Amnesia", "10.00", True))
    for name in ("bad", "ok1", "ok2"):
        add_message(
            engine, add_user(engine, f"{name}@example.com"), f"run1:{name}:email", [promise("Amnesia", "o1")]
        )
    sink.fail_for = {"bad@example.com"}
    t0 = clock()
    first = deliver(engine, settings, now=t0)
    assert (first.sent, first.failed) == (2, 1)
    bad = outbox(engine)["run1:bad:email"]
    assert (bad["state"], bad["attempts"], bad["next_attempt_at"]) == ("failed", 1, t0 + MINUTE)
    assert "550" in bad["last_error"]
    assert deliver(engine, settings, now=t0 + timedelta(seconds=59)).claimed == 0  # backoff holds
    assert deliver(engine, settings, now=t0 + MINUTE).failed == 1
    assert outbox(engine)["run1:bad:email"]["next_attempt_at"] == t0 + 3 * MINUTE  # 60 s, then 120 s
    assert deliver(engine, settings, now=t0 + 3 * MINUTE).dead == 1
    assert deliver(engine, settings, now=t0 + timedelta(days=1)).claimed == 0
    rows = outbox(engine)
    assert (rows["run1:bad:email"]["state"], rows["run1:bad:email"]["attempts"]) == ("dead", 3)
    assert sorted(m.recipients[0] for m in sink.messages) == ["ok1@example.com", "ok2@example.com"]


def test_smtp_down_retries_then_dead_letters_and_a_transient_refusal_recovers(
    engine: Engine, sink: SmtpSink, settings: Settings
) -> None:
    add_offers(engine, ("o1", "Amnesia", "10.00", True))
    add_message(engine, add_user(engine, "a@example.com"), "run1:a:email", [promise("Amnesia", "o1")])
    sink.down()
    t0 = clock()
    assert [deliver(engine, settings, now=t0 + m * MINUTE).failed for m in (0, 1)] == [1, 1]
    assert deliver(engine, settings, now=t0 + 3 * MINUTE).dead == 1
    assert "ConnectionRefusedError" in outbox(engine)["run1:a:email"]["last_error"]
    sink.up()
    add_message(engine, add_user(engine, "b@example.com"), "run2:b:email", [promise("Amnesia", "o1")])
    sink.fail_next(1)
    t1 = clock() + timedelta(days=1)
    assert deliver(engine, settings, now=t1).failed == 1
    assert deliver(engine, settings, now=t1 + MINUTE).sent == 1
    assert [m.recipients for m in sink.messages] == [["b@example.com"]]


def test_a_burst_is_rate_limited_per_rolling_minute_and_nothing_is_dropped(
    engine: Engine, sink: SmtpSink, settings: Settings
) -> None:
    add_offers(engine, ("o1", "Amnesia", "10.00", True))
    user = add_user(engine, "burst@example.com")
    for i in range(100):
        add_message(engine, user, f"run{i}:{user}:email", [promise("Amnesia", "o1") | {"detail": f"#{i}"}])
    now, runs = clock(), 0
    while any(r["state"] != "sent" for r in outbox(engine).values()):
        report = deliver(engine, settings, now=now)
        assert report.sent <= 10 and report.failed == report.dead == 0
        now, runs = now + timedelta(seconds=15), runs + 1
        assert runs < 100
    sent_at = sorted(r["sent_at"] for r in outbox(engine).values())
    assert len(sent_at) == 100 and len({m.message_id for m in sink.messages}) == len(sink.messages) == 100
    assert max(sum(1 for t in sent_at if s <= t < s + MINUTE) for s in sent_at) == 10
    assert sent_at[-1] - sent_at[0] >= 9 * MINUTE


def test_webhooks_are_signed_and_the_receiver_rejects_tampering_and_old_timestamps(
    engine: Engine, sink: SmtpSink, settings: Settings
) -> None:
    add_offers(engine, ("o1", "Amnesia", "10.00", True))
    with WebhookReceiver(secret="hook-secret") as receiver:
        user = add_user(engine, "hook@example.com", webhook_url=receiver.url, webhook_secret="hook-secret")
        for channel in ("email", "webhook"):
            add_message(engine, user, f"run1:{user}:{channel}", [promise("Amnesia", "o1")], channel=channel)
        assert deliver(engine, settings, now=datetime.now(UTC) + timedelta(seconds=1)).sent == 2
        assert len(receiver.deliveries) == 1 and receiver.deliveries[0].valid
        got = receiver.deliveries[0]
        assert (
            got.headers["X-GoodSeed-Delivery"] == hashlib.sha256(f"run1:{user}:webhook".encode()).hexdigest()
        )
        assert got.json()["alerts"][0]["strain"] == "Amnesia"
        ts, sig = got.headers["X-GoodSeed-Timestamp"], got.headers["X-GoodSeed-Signature"]
        tampered = got.body.replace(b"10.00", b"01.00")
        assert not verify_signature("hook-secret", ts, tampered, sig)
        assert not verify_signature("other-secret", ts, got.body, sig)
        old = int(time.time()) - 301
        assert not verify_signature(
            "hook-secret", old, got.body, webhook_signature("hook-secret", old, got.body)
        )
        for stamp, body in ((ts, tampered), (str(old), got.body), (str(int(time.time()) + 301), got.body)):
            signed = webhook_signature("hook-secret", stamp, body) if body is got.body else sig
            headers = {"X-GoodSeed-Timestamp": stamp, "X-GoodSeed-Signature": signed}
            assert httpx.post(receiver.url, content=body, headers=headers).status_code == 401
        assert [d.valid for d in receiver.deliveries] == [True, False, False, False]
    assert len(sink.messages) == 1


def test_promises_no_longer_true_are_not_announced(
    engine: Engine, sink: SmtpSink, settings: Settings
) -> None:
    add_offers(
        engine, ("o1", "Amnesia", "10.00", True), ("o2", "Haze", "12.50", True), ("o3", "Kush", "9.00", False)
    )
    user = add_user(engine, "p@example.com")
    add_message(engine, user, "run1:mixed:email", [promise("Amnesia", "o1"), promise("Haze", "o2")])
    add_message(engine, user, "run1:none:email", [promise("Haze", "o2"), promise("Kush", "o3", "9.00")])
    report = deliver(engine, settings, now=clock())
    assert (report.sent, report.skipped, report.dropped_promises) == (1, 1, 3)
    (only,) = sink.messages
    assert "Amnesia" in only.part("html") and "Haze" not in only.part("html") + only.part("plain")
    none = outbox(engine)["run1:none:email"]
    assert none["state"] == "sent" and none["sent_at"] is None and "nothing left" in none["note"]


def test_unsubscribe_through_the_api_stops_every_message(
    engine: Engine, sink: SmtpSink, settings: Settings
) -> None:
    add_offers(engine, ("o1", "Amnesia", "10.00", True))
    user = add_user(engine, "bye@example.com")
    add_message(engine, user, "run1:bye:email", [promise("Amnesia", "o1")])
    token = unsubscribe_token(user, "secret-of-bye@example.com")
    with TestClient(
        create_app(settings, engine.url.render_as_string(hide_password=False)), raise_server_exceptions=False
    ) as client:
        page = client.get("/v1/unsubscribe", params={"token": token})
        assert page.status_code == 200 and "method='post'" in page.text
        assert page.headers["cache-control"] == "no-store"
        for wrong in (f"{user}.{'0' * 64}", "garbage", f"{user + 1}.{token.split('.')[1]}", "9" * 30 + ".x"):
            assert client.post("/v1/unsubscribe", params={"token": wrong}).status_code == 404
        assert outbox(engine)["run1:bye:email"]["state"] == "pending"
        one_click = client.post(
            "/v1/unsubscribe", params={"token": token}, content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert one_click.status_code == 200 and one_click.json() == {"unsubscribed": True}
    report = deliver(engine, settings, now=clock())
    assert (report.sent, report.skipped) == (0, 1) and sink.messages == []
    assert outbox(engine)["run1:bye:email"]["note"] == "user unsubscribed"


def test_the_dagster_job_reports_its_counts(engine: Engine, sink: SmtpSink, settings: Settings, fresh_pg_url: str) -> None:  # fmt: skip
    import dagster as dg

    from goodseed_dagster.resources.postgres import Postgres
    from goodseed_dagster.schedules.notifications import definitions, deliver_job

    add_offers(engine, ("o1", "Amnesia", "10.00", True))
    add_message(engine, add_user(engine, "job@example.com"), "run1:job:email", [promise("Amnesia", "o1")])
    defs = definitions(settings)
    (schedule,) = defs.schedules or []
    assert isinstance(schedule, dg.ScheduleDefinition)
    assert schedule.cron_schedule == "*/5 * * * *" and schedule.execution_timezone == settings.timezone
    assert schedule.job_name == "deliver_notifications"
    result = deliver_job(settings).execute_in_process(resources={"pg": Postgres(url=fresh_pg_url)})
    assert result.success and len(sink.messages) == 1
    (mat,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    meta = mat.event_specific_data.metadata  # type: ignore[union-attr]
    assert meta["sent"].value == 1 and meta["dead"].value == 0
