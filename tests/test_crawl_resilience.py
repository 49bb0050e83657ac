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
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.sources import load_sources
from goodseed_dagster.settings import get_settings

SIZE = 20


def _intervals(market: Market, slug: str) -> list[float]:
    times = [r.t for r in market.requests(slug)]
    return [b - a for a, b in pairwise(times)]


def sources_by_slug(workdir: Path) -> dict[str, SourceConfig]:
    return {s.slug: s for s in load_sources(workdir / "sources.yaml").sources}


def _spacing(source: SourceConfig, crawl_delay: float) -> float:
    """What the seller asked for: the configured rate, or robots.txt's Crawl-delay when slower."""
    return max(60.0 / source.requests_per_minute, crawl_delay)


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
        sources = sources_by_slug(tmp_path)
        for shop in market.shops:
            wanted = _spacing(sources[shop.slug], shop.crawl_delay)
            gaps = _intervals(market, shop.slug)
            assert gaps and min(gaps) >= wanted - 0.02, (shop.slug, wanted, min(gaps))
        with p.engine.connect() as conn:
            crawls = conn.execute(text("SELECT seller, status, failed FROM core.crawls")).all()
        assert {c.status for c in crawls} == {"ok"}


def test_sellers_answering_only_500s_are_stopped_and_the_others_complete(
    fresh_pg_url: str, tmp_path: Path
) -> None:
    dead, dying = "budbox", "seedvault"  # dead from the start; dies after its first listing pages
    faults = Faults(
        per_shop={dead: FaultRates(error_rate=1.0), dying: FaultRates(error_rate=1.0, after_requests=3)}
    )
    market = Market(day=0, products_per_shop=SIZE, faults=faults)
    with pipeline(market, fresh_pg_url, tmp_path) as p:
        outcome = p.crawl_all(raise_on_error=False)
        assert outcome.pop(dead) is False
        assert all(outcome.values())
        offers, truth = p.active_offers(), p.truth()
        healthy = set(outcome) - {dying}
        assert {s: offers[s] for s in healthy} == {s: truth[s] for s in healthy}
        assert dead not in offers and dying not in offers
        with p.engine.connect() as conn:
            crawls = {
                r.seller: r
                for r in conn.execute(text("SELECT seller, status, stopped_reason FROM core.crawls"))
            }
        assert crawls[dead].status == "failed"
        assert crawls[dying].status == "partial" and "circuit breaker" in crawls[dying].stopped_reason
        assert {s: crawls[s].status for s in healthy} == dict.fromkeys(healthy, "ok")
        # bounded: the breaker stops the dying seller after a handful of failed pages, not after every page
        # (threshold failed pages of max_attempts each, plus what the other workers had in flight)
        options, workers = CrawlOptions(), sources_by_slug(tmp_path)[dying].concurrency
        failed = [r for r in market.requests(dying) if r.status == 500]
        assert len(failed) <= (options.breaker_threshold + workers - 1) * options.max_attempts, len(failed)


def test_reparse_with_the_network_gone_reproduces_the_listings(
    fresh_pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    market = Market(day=0, products_per_shop=SIZE)
    query = text(
        "SELECT seller, url, pack_size, price, currency, in_stock, adapter FROM core.listings ORDER BY 1, 2, 3, 4"
    )
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
