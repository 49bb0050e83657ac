"""Crawling that survives a misbehaving market: faults, politeness measured server-side, a dying seller,
and re-parsing from the archive without a single request to the market."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from pipeline_harness import Pipeline, pipeline
from sqlalchemy import text

from goodseed_dagster import cli
from goodseed_dagster.market import FaultRates, Faults, Market
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.sources import load_sources

SIZE = 12  # the market's smallest shops: a polite crawl pays real time for every page and Retry-After


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
    """The one polite crawl of the suite: the market measures the spacing between requests."""
    faults = Faults(
        seed=7, error_rate=0.1, throttle_rate=0.1, slow_rate=0.1, slow_seconds=0.3, truncate_rate=0.1
    )
    market = Market(day=0, products_per_shop=SIZE, faults=faults)
    with pipeline(market, fresh_pg_url, tmp_path, polite=True) as p:
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


def test_reparse_from_the_archive_alone_reproduces_the_listings(
    crawled: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    p = crawled  # the session's crawl, copied
    query = text(
        "SELECT seller, url, pack_size, price, currency, in_stock, adapter FROM core.listings ORDER BY 1, 2, 3, 4"
    )
    with p.engine.connect() as conn:
        before = conn.execute(query).all()
        conn.execute(text("DELETE FROM core.listings"))
        conn.commit()
    p.market.clear_requests()

    # the Dagster job's assets, from the archive only
    assert p.materialize(["listings"], p.slugs[0]).success
    # ... and the `goodseed reparse` command for the rest
    monkeypatch.setenv("DATABASE_URL", p.resources["pg"].url)
    monkeypatch.setenv("GOODSEED_ARCHIVE_DIR", str(p.workdir / "archive"))
    for slug in p.slugs[1:]:  # the command reads its settings from the environment when it runs
        assert cli.main(["reparse", "--seller", slug]) == 0
        assert f'"listings": {len(p.market.truth(slug))}' in capsys.readouterr().out
    assert p.market.requests() == [], "re-parsing sent requests to the market"
    with p.engine.connect() as conn:
        assert conn.execute(query).all() == before
