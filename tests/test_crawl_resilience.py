"""Crawling that survives a misbehaving market: faults, politeness measured server-side, a dying seller,
and re-parsing from the archive with the network gone."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import dagster as dg
import httpx
import pytest
from pipeline_harness import ASSETS, pipeline
from sqlalchemy import text

from goodseed_dagster import cli
from goodseed_dagster.market import FaultRates, Faults, Market
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.scraping.sources import load_sources
from goodseed_dagster.settings import get_settings

SIZE = 20


def _intervals(market: Market, slug: str) -> list[float]:
    times = [r.t for r in market.requests(slug)]
    return [b - a for a, b in pairwise(times)]


def _spacing(source: SourceConfig, robots: str) -> float:
    delay = next(
        (
            float(line.split(":", 1)[1])
            for line in robots.splitlines()
            if line.lower().startswith("crawl-delay")
        ),
        0.0,
    )
    return max(60.0 / source.requests_per_minute, delay)


def test_ten_percent_faults_still_ingest_every_offer_at_a_polite_pace(
    fresh_pg_url: str, tmp_path: Path
) -> None:
    faults = Faults(
        seed=7, error_rate=0.1, throttle_rate=0.1, slow_rate=0.1, slow_seconds=0.3, truncate_rate=0.1
    )
    market = Market(day=0, products_per_shop=SIZE, faults=faults)
    with pipeline(market, fresh_pg_url, tmp_path) as p:
        assert all(p.crawl_all().values())
        assert p.active_offers() == p.truth()
        statuses = {r.status for s in market.shops for r in market.requests(s.slug)}
        assert {429, 500} <= statuses, "the faults really happened"
        sources = {s.slug: s for s in load_sources(tmp_path / "sources.yaml").sources}
        for shop in market.shops:
            robots = httpx.get(f"{p.url}/s/{shop.slug}/robots.txt").text
            wanted = _spacing(sources[shop.slug], robots)
            gaps = _intervals(market, shop.slug)[:-1]  # the last gap is to the robots.txt fetched above
            assert gaps and min(gaps) >= wanted - 0.02, (shop.slug, wanted, min(gaps))
        with p.engine.connect() as conn:
            crawls = conn.execute(text("SELECT seller, status, failed FROM core.crawls")).all()
        assert {c.status for c in crawls} == {"ok"}


def test_a_seller_answering_only_500s_is_stopped_and_the_others_complete(
    fresh_pg_url: str, tmp_path: Path
) -> None:
    dying = "budbox"
    market = Market(
        day=0,
        products_per_shop=SIZE,
        faults=Faults(per_shop={dying: FaultRates(error_rate=1.0)}, exempt_paths=["robots.txt"]),
    )
    with pipeline(market, fresh_pg_url, tmp_path) as p:
        outcome = p.crawl_all(raise_on_error=False)
        assert outcome.pop(dying) is False
        assert all(outcome.values())
        offers, truth = p.active_offers(), p.truth()
        assert dying not in offers
        assert {s: offers[s] for s in outcome} == {s: truth[s] for s in outcome}
        with p.engine.connect() as conn:
            crawl = conn.execute(
                text("SELECT status, stopped_reason FROM core.crawls WHERE seller = :s"), {"s": dying}
            ).one()
        assert crawl.status == "failed" and "circuit breaker" in crawl.stopped_reason
        # bounded: the breaker stops it after a handful of requests, not after every page
        assert len(market.requests(dying)) <= 25


def test_reparse_with_the_network_gone_reproduces_the_listings(
    fresh_pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    market = Market(day=0, products_per_shop=SIZE)
    query = text("SELECT seller, url, pack_size, price, currency, in_stock, adapter FROM core.listings ORDER BY 1, 2, 3, 4")
    with pipeline(market, fresh_pg_url, tmp_path) as p:
        p.crawl_all()
        with p.engine.connect() as conn:
            before = conn.execute(query).all()
            conn.execute(text("DELETE FROM core.listings"))
            conn.commit()
    # the market is stopped: nothing answers any more
    with pytest.raises(httpx.ConnectError):
        httpx.get(p.url, timeout=2)

    # the Dagster job's assets, from the archive only
    with dg.instance_for_test() as instance:
        slugs = [s.slug for s in market.shops]
        instance.add_dynamic_partitions("sellers", slugs)
        job = dg.materialize(ASSETS, selection=["listings"], partition_key=slugs[0], instance=instance,
                             resources=p.resources)  # fmt: skip
        assert job.success
    # ... and the `goodseed reparse` command for the rest
    monkeypatch.setenv("DATABASE_URL", fresh_pg_url)
    monkeypatch.setenv("GOODSEED_ARCHIVE_DIR", str(tmp_path / "archive"))
    get_settings.cache_clear()
    try:
        for slug in slugs[1:]:
            assert cli.main(["reparse", "--seller", slug]) == 0
            assert f'"dagster/row_count": {len(market.truth(slug))}' in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    with p.engine.connect() as conn:
        assert conn.execute(query).all() == before
