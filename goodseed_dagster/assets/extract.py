"""listings: every offer the seller's newest crawl shows, extracted from the archive (no network)."""

from typing import Any

import dagster as dg
import polars as pl

from goodseed_dagster.assets._meta import fill_rates, md_preview, md_table, stage_errors
from goodseed_dagster.assets.partitions import sellers
from goodseed_dagster.assets.quality import LISTINGS_CHECKS, listings_check_results
from goodseed_dagster.automation import CRAWL_RETRY
from goodseed_dagster.extraction import listings_evidence, weakest_evidence
from goodseed_dagster.normalize.facts import stated_facts
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.schema import FACTS
from goodseed_dagster.stages.extract import ExtractOutcome, extract_listings


def listings_metadata(out: ExtractOutcome) -> dict[str, Any]:
    """Counts, the fill rate of every fact `goodseed extract` states, and the scorecard per adapter."""
    frame, facts = out.listings, [c for c in FACTS.names if c != "url"]
    stated = stated_facts(frame)  # pack size, sex and flowering as the text rules read the page's words
    fills = fill_rates(stated, facts)
    adapters = (
        stated.group_by("adapter")
        .agg(
            pl.len().alias("offers"),
            *[(1 - pl.col(c).null_count() / pl.len()).round(2).alias(c) for c in facts],
        )
        .sort("offers", descending=True)
    )
    return {
        "crawl_id": out.crawl_id,
        "dagster/row_count": frame.height,
        "pages_parsed": out.pages,
        "pages_unparseable": len(out.errors),
        "rows_quarantined": out.rejected.height,
        "duplicate_offers_dropped": out.duplicates,
        "products": frame["url"].n_unique(),
        **{f"fill_{k}": v for k, v in fills.items()},
        "scorecard": md_table({k: f"{v:.0%}" for k, v in fills.items()}, ("field", "fill rate")),
        "adapters": md_preview(adapters),
        **evidence_metadata(frame),
        "preview": md_preview(frame.drop("page_url")),
    }


def evidence_metadata(frame: pl.DataFrame) -> dict[str, Any]:
    """Per fact, the share of offers resting on each evidence class, and the weakest class any rests on:
    which sellers' data rests on the visible page or a hand-written config rather than the shop's data."""
    card = listings_evidence(frame)
    kind, shares = weakest_evidence(card)
    percent = card.with_columns((pl.exclude("field") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%")
    return {
        "evidence": md_preview(percent, rows=len(card)),
        "weakest_evidence": kind or "none",
        "weakest_evidence_fields": ", ".join(f"{f} {v:.0%}" for f, v in shares.items()) or "none",
    }


@dg.asset(
    partitions_def=sellers,
    group_name="extract",
    kinds={"parsel", "postgres"},
    deps=["raw_pages"],
    check_specs=LISTINGS_CHECKS,
    retry_policy=CRAWL_RETRY,
)
def listings(
    context: dg.AssetExecutionContext, pg: Postgres, store: ArchiveResource, http: CrawlerResource
) -> dg.MaterializeResult:
    """One row per (product, pack) the newest crawl shows, in core.listings, as the page states it; pages that
    cannot be parsed go to core.quarantine (stage extract). Reads the archive only, so it can re-run offline."""
    with stage_errors():
        out = extract_listings(
            pg.engine, store.get_store(), context.partition_key, budget_s=http.page_budget_s
        )
    for url, reason in out.errors[:20]:
        context.log.warning(f"[{context.partition_key}] cannot parse {url}: {reason}")
    return dg.MaterializeResult(
        metadata=listings_metadata(out), check_results=listings_check_results(pg.engine, out, http)
    )
