"""In-process pipeline runs against a real market and a real Postgres (shared by the integration tests).

`crawl_market` crawls a market once, impolitely, into a database that conftest then seals as a template;
`crawled_copy` gives a test a pipeline over a copy of it: its own database, its own archive (hard links
to the same content-addressed bodies, which are never rewritten) and its own Dagster instance.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import Engine, text

from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.dbt_project import prepare_manifest
from goodseed_dagster.definitions import build_defs
from goodseed_dagster.market import Market, MarketServer, serve
from goodseed_dagster.resources import build_resources
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.scraping.sources import dump_sources
from goodseed_dagster.settings import Settings

prepare_manifest()  # `make test` has done it; a bare `pytest` after editing a dbt model has not
DEFS = build_defs(Settings())
ASSETS: Sequence[dg.AssetsDefinition] = [a for a in DEFS.assets or [] if isinstance(a, dg.AssetsDefinition)]
OfferFacts = tuple[str, int, Decimal, str, bool | None]
SELLER_ASSETS = ["raw_pages", "listings", "offers"]
DBT_MODELS = dg.AssetSelection.groups("staging", "marts")


@dataclass
class Pipeline:
    market: Market
    url: str
    engine: Engine
    instance: dg.DagsterInstance
    resources: dict[str, Any]
    workdir: Path

    @property
    def slugs(self) -> list[str]:
        return [s.slug for s in self.market.shops]

    def materialize(
        self,
        selection: list[str] | dg.AssetSelection,
        partition: str | None = None,
        raise_on_error: bool = True,
    ) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            ASSETS,
            selection=selection,
            partition_key=partition,
            instance=self.instance,
            resources=self.resources,
            raise_on_error=raise_on_error,
        )

    def add_sellers(self) -> None:
        """Register every shop as a `sellers` partition (what seller_sources_sensor does in a deployment)."""
        have = set(self.instance.get_dynamic_partitions("sellers"))
        self.instance.add_dynamic_partitions("sellers", [s for s in self.slugs if s not in have])

    def crawl_all(self, raise_on_error: bool = True) -> dict[str, bool]:
        """Every seller's run, one after the other (in-process runs share Python's logging setup, so
        they cannot run in threads), then the catalogue; {seller: success}.

        The dbt models are left out: a dbt build costs ~9 s, and only test_dbt_marts asserts on them.
        """
        self.materialize(["seller_sources", "fx_rates"])
        self.add_sellers()
        ok = {s: self.materialize(SELLER_ASSETS, s, raise_on_error).success for s in self.slugs}
        self.materialize(["strain_catalogue"])
        return ok

    def active_offers(self) -> dict[str, set[OfferFacts]]:
        """{seller: {(url, pack, price, currency, in_stock)}} of the active offers in core.offers."""
        out: dict[str, set[OfferFacts]] = defaultdict(set)
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT seller, url, pack_size, price, currency, in_stock FROM core.offers WHERE active")
            )
            for r in rows:
                out[r.seller].add((r.url, r.pack_size, r.price.normalize(), r.currency, r.in_stock))
        return dict(out)

    def truth(self) -> dict[str, set[OfferFacts]]:
        """The same facts from the market's own record of the day."""
        return {
            s.slug: {
                (o.product_url, o.pack_size, o.price.normalize(), o.currency, o.in_stock)
                for o in self.market.truth(s.slug)
            }
            for s in self.market.shops
        }


def resources_for(server: MarketServer, pg_url: str, workdir: Path, *, polite: bool) -> dict[str, Any]:
    """The resources build_resources makes, for this market, database and work directory."""
    sources = workdir / "sources.yaml"
    sources.write_text(dump_sources(server.market.source_configs(server.url)))
    fx_url = f"{server.url}/fx/eurofxref-daily.xml"
    settings = Settings(home=workdir, sources_file=sources, fx_url=fx_url)
    resources: dict[str, Any] = dict(build_resources(settings))
    resources["pg"] = Postgres(url=pg_url)  # the test database's URL itself, not the DATABASE_URL EnvVar
    resources["http"] = CrawlerResource(sources_file=str(sources), fx_url=fx_url, polite=polite)
    return resources


@contextmanager
def pipeline_on(
    server: MarketServer, pg_url: str, workdir: Path, *, polite: bool = False
) -> Iterator[Pipeline]:
    """A pipeline over a running market; crawls ignore the sellers' pace unless `polite`."""
    with dg.instance_for_test() as instance:
        resources = resources_for(server, pg_url, workdir, polite=polite)
        yield Pipeline(server.market, server.url, engine_for(pg_url), instance, resources, workdir)


@contextmanager
def pipeline(market: Market, pg_url: str, workdir: Path, *, polite: bool = False) -> Iterator[Pipeline]:
    """A pipeline over `market`, served for the block (tests that need a market of their own)."""
    with (
        serve(market, host="127.0.0.1", port=0) as server,
        pipeline_on(server, pg_url, workdir, polite=polite) as p,
    ):
        yield p


@dataclass(frozen=True)
class CrawledMarket:
    """A market crawled through to the strain catalogue: its server (still running), the database's URL
    and the archive."""

    server: MarketServer
    url: str
    archive: Path


def crawl_market(server: MarketServer, pg_url: str, workdir: Path) -> CrawledMarket:
    """Crawl every shop of `server` impolitely into `pg_url` (no dbt models); every seller must succeed."""
    with pipeline_on(server, pg_url, workdir) as p:
        outcome = p.crawl_all()
        assert all(outcome.values()), outcome
    return CrawledMarket(server, pg_url, workdir / "archive")


@contextmanager
def crawled_copy(crawled: CrawledMarket, pg_url: str, workdir: Path) -> Iterator[Pipeline]:
    """A pipeline over `pg_url` (a copy of the crawled database) with the archive linked into `workdir`."""
    shutil.copytree(crawled.archive, workdir / "archive", copy_function=os.link)
    with pipeline_on(crawled.server, pg_url, workdir) as p:
        p.add_sellers()
        yield p
