"""In-process pipeline runs against a real market and a real Postgres (shared by the integration tests)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dagster as dg
from sqlalchemy import Engine, text

from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.definitions import defs
from goodseed_dagster.market import Market, serve
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.scraping.sources import dump_sources

ASSETS = list(defs.assets or [])
OfferFacts = tuple[str, int, Decimal, str, bool | None]


@dataclass
class Pipeline:
    market: Market
    url: str
    engine: Engine
    instance: dg.DagsterInstance
    resources: dict[str, object]

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

    def crawl_all(self, raise_on_error: bool = True) -> dict[str, bool]:
        """Every seller's run, one after the other; returns {seller: success}."""
        self.materialize(["seller_sources", "fx_rates"])
        slugs = [s.slug for s in self.market.shops]
        self.instance.add_dynamic_partitions(
            "sellers", [s for s in slugs if not self.instance.has_dynamic_partition("sellers", s)]
        )
        ok = {
            s: self.materialize(["raw_pages", "listings", "offers"], s, raise_on_error).success for s in slugs
        }
        self.materialize(["strain_catalogue"])
        self.materialize(dg.AssetSelection.groups("marts"))
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


@contextmanager
def pipeline(market: Market, pg_url: str, workdir: Path, **crawler: object) -> Iterator[Pipeline]:
    with serve(market, host="127.0.0.1", port=0) as server, dg.instance_for_test() as instance:
        sources = workdir / "sources.yaml"
        sources.write_text(dump_sources(market.source_configs(server.url)))
        resources = {
            "pg": Postgres(url=pg_url),
            "store": ArchiveResource(root=str(workdir / "archive")),
            "dbt": (defs.resources or {})["dbt"],
            "http": CrawlerResource(
                sources_file=str(sources), fx_url=f"{server.url}/fx/eurofxref-daily.xml", **crawler
            ),
        }
        yield Pipeline(market, server.url, engine_for(pg_url), instance, resources)
