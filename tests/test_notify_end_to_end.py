"""Issue #17 end to end: simulated market → crawl → dbt marts → notification_batches → deliver_notifications
→ a real SMTP server (SmtpSink), counting what arrives there.

Two market days, each crawled, built and notified as it happens: day 20 is a staged fake discount (raised on
day 5, "discounted" back to the old price), day 25 a genuine 30 % drop of a product the market calls
`<script>alert(1)</script> Kush`. History is stamped with the real clock, so after each day's crawls every
crawl's history is moved back to its market day (today = the day being notified).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from pipeline_harness import DBT_MODELS, SELLER_ASSETS, Pipeline
from sqlalchemy import text
from test_marts import FAKE, GENUINE, SHOP

from goodseed_dagster.db.users import WatchSpec, add_user, add_watch
from goodseed_dagster.notify.sinks import SmtpSink
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.schedules.notifications import deliver_job
from goodseed_dagster.settings import Settings

HOSTILE = "<script>alert(1)</script> Kush"
DAYS = (0, 5, 20, 25)  # the crawled market days
FAKE_USER, TARGET_USER = "fake-watcher@example.org", "target-watcher@example.org"


@dataclass
class Day:
    """The scenario's state: the pipeline, the staged offers' keys, and each crawl's market day."""

    p: Pipeline
    fake: str
    genuine: str
    crawl_day: dict[int, int]
    shifted: dict[int, int]  # days each crawl's history has been moved back so far


def _latest_crawl(p: Pipeline) -> int:
    with p.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(id) FROM core.crawls")).scalar_one())


def _advance(s: Day, days: list[int], today: int) -> None:
    """Crawl SHOP on `days`, move every crawl's history back to its market day as seen from `today`, then
    match strains (the renamed product is a new match) and build the marts."""
    for day in days:
        s.p.market.day = day
        assert s.p.materialize(SELLER_ASSETS, SHOP).success
        s.crawl_day[_latest_crawl(s.p)] = day
    with s.p.engine.begin() as conn:
        for crawl_id, day in s.crawl_day.items():
            more = (today - day) - s.shifted.get(crawl_id, 0)
            conn.execute(
                text("UPDATE core.price_history SET observed_at = observed_at - :s WHERE crawl_id = :c"),
                {"s": timedelta(days=more), "c": crawl_id},
            )
            s.shifted[crawl_id] = today - day
        conn.execute(
            text("""UPDATE core.offers o SET first_seen_at = h.first
                    FROM (SELECT seller, offer_key, min(observed_at) AS first FROM core.price_history
                          GROUP BY 1, 2) h
                    WHERE h.seller = o.seller AND h.offer_key = o.offer_key""")
        )
    assert s.p.materialize(["strain_catalogue"]).success
    assert s.p.materialize(DBT_MODELS).success


def _pick(p: Pipeline) -> tuple[tuple[str, int, str], tuple[str, int, str]]:
    """Packs of two products, in stock at list price on every crawled day (no restock, no sale to alert on
    besides the staged moves): (handle, pack, product URL)."""
    steady = set.intersection(
        *({(o.product_url, o.pack_size) for o in p.market.truth(SHOP, d) if o.in_stock and o.regular_price is None}
          for d in DAYS)
    )  # fmt: skip
    picks = [
        (prod.handle, v.pack_size, f"{p.url}/s/{SHOP}/{prod.path}")
        for prod in p.market.products(SHOP, 0)
        for v in prod.variants
        if (f"{p.url}/s/{SHOP}/{prod.path}", v.pack_size) in steady
    ]
    return picks[0], next(x for x in picks if x[0] != picks[0][0])


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


@pytest.fixture
def staged(crawled: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Day:
    """The crawled market (day 0) with the fake discount and the genuine drop scripted, the genuine drop's
    product renamed to HOSTILE; nothing crawled yet past day 0."""
    fake, genuine = _pick(crawled)
    script = {(SHOP, fake[0], fake[1]): FAKE, (SHOP, genuine[0], genuine[1]): GENUINE}
    monkeypatch.setattr(crawled.market, "price_script", script)
    monkeypatch.setattr(crawled.market, "renames", {(SHOP, genuine[0]): HOSTILE})
    with crawled.engine.connect() as conn:
        ids: list[int] = list(conn.execute(text("SELECT id FROM core.crawls")).scalars())
        keys = {
            (r.url, r.pack_size): r.offer_key
            for r in conn.execute(
                text("SELECT offer_key, url, pack_size FROM core.offers WHERE seller = :s"), {"s": SHOP}
            )
        }
    return Day(crawled, keys[(fake[2], fake[1])], keys[(genuine[2], genuine[1])], dict.fromkeys(ids, 0), {})


def _notify(s: Day, settings: Settings) -> None:
    """What a deployment runs after the marts: the batch asset, then the delivery job."""
    assert s.p.materialize(["notification_batches"]).success
    pg = s.p.resources["pg"]
    assert isinstance(pg, Postgres)
    assert deliver_job(settings).execute_in_process(resources={"pg": pg}).success


def _notifications(s: Day, email: str) -> list[tuple[str, str | None]]:
    with s.p.engine.connect() as conn:
        rows = conn.execute(
            text("""SELECT n.rule, n.offer_key FROM app.notifications n JOIN app.users u ON u.id = n.user_id
                    WHERE u.email = :e ORDER BY n.id"""),
            {"e": email},
        )
        return [(r.rule, r.offer_key) for r in rows]


def _watch(s: Day) -> None:
    """A watcher of the fake discount (any 5 % drop) and one of the genuine drop's product with a target
    pack price a quarter below today's: reached only by the 30 % drop."""
    with s.p.engine.begin() as conn:
        offers = {
            r.offer_key: r
            for r in conn.execute(
                text("SELECT * FROM marts.fct_offer_current WHERE seller = :s AND offer_key IN (:f, :g)"),
                {"s": SHOP, "f": s.fake, "g": s.genuine},
            )
        }
        fake, genuine = offers[s.fake], offers[s.genuine]
        assert genuine.title == HOSTILE, "extraction and normalization keep the scraped name as written"
        for email in (FAKE_USER, TARGET_USER):
            add_user(conn, email, digest="instant")
        add_watch(conn, FAKE_USER, WatchSpec(fake.strain_key, SHOP, str(fake.pack_seeds), min_drop="5"))
        target = (genuine.price_base * Decimal("0.75")).quantize(Decimal("0.01"))
        add_watch(conn, TARGET_USER, WatchSpec(genuine.strain_key, SHOP, str(genuine.pack_seeds),
                                               target_pack=str(target)))  # fmt: skip


def test_fake_discount_sends_nothing_and_a_genuine_drop_one_escaped_email(
    staged: Day, sink: SmtpSink
) -> None:
    settings = Settings(smtp_port=sink.port, public_api_url="https://goodseed.example")
    _advance(staged, [5, 20], today=20)  # the fake discount's day
    with staged.p.engine.connect() as conn:
        flagged = conn.execute(
            text(
                "SELECT is_fake_discount, is_deal FROM marts.price_drops WHERE seller = :s AND offer_key = :k"
            ),
            {"s": SHOP, "k": staged.fake},
        ).one()
    assert (flagged.is_fake_discount, flagged.is_deal) == (True, False), "the scenario stages a fake discount"
    _watch(staged)
    _notify(staged, settings)
    assert _notifications(staged, FAKE_USER) == [] and _notifications(staged, TARGET_USER) == []
    assert sink.messages == [], "a fake discount sends no drop alert"

    _advance(staged, [25], today=25)  # the genuine drop
    _notify(staged, settings)
    assert _notifications(staged, TARGET_USER) == [("target_price", staged.genuine)]
    assert _notifications(staged, FAKE_USER) == []
    (mail,) = sink.messages
    assert mail.recipients == [TARGET_USER]
    html = mail.part("html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kush" in html
    assert "<script" not in html.lower(), "nothing scraped arrives unescaped"
    assert "<" not in str(mail.message["Subject"])  # the subject names the matched strain, not the raw title

    _notify(staged, settings)  # the same marts again: no new alert, nothing more sent
    assert len(sink.messages) == 1
    with staged.p.engine.connect() as conn:
        states = conn.execute(text("SELECT state, count(*) FROM app.outbox GROUP BY state")).all()
    assert [tuple(r) for r in states] == [("sent", 1)]
