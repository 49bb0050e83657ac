"""offers: normalized, comparable offers per seller, with change-only price history."""

import dagster as dg

from goodseed_dagster.assets._meta import md_preview, stage_errors
from goodseed_dagster.assets.partitions import sellers
from goodseed_dagster.assets.quality import OFFERS_CHECKS, offers_check_results
from goodseed_dagster.automation import CRAWL_RETRY
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.stages.offers import publish_offers

PREVIEW = ["title", "strain_name", "breeder", "sex", "flowering", "pack_size", "price", "currency"]


@dg.asset(
    partitions_def=sellers,
    group_name="offers",
    kinds={"polars", "postgres"},
    deps=["listings", "fx_rates"],
    retry_policy=CRAWL_RETRY,
    check_specs=OFFERS_CHECKS,
)
def offers(context: dg.AssetExecutionContext, pg: Postgres, http: CrawlerResource) -> dg.MaterializeResult:
    """One row per (seller, product, pack) in core.offers with price_base and price_per_seed_base in the base
    currency; core.price_history gains a row only when price or stock changed. Rejects go to
    core.quarantine (stage normalize) with the reason. Re-running leaves every table as it was."""
    with stage_errors():
        out = publish_offers(pg.engine, context.partition_key, http.base_currency)
    frame, merged = out.normalized.offers, out.merged
    reasons = out.normalized.quarantine.group_by("reason").len().sort("len", descending=True)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": merged.offers,
            "new_offers": merged.new_offers,
            "price_changes": merged.price_changes,
            "deactivated": merged.deactivated,
            "quarantined": out.quarantined,
            "quarantine_reasons": md_preview(reasons),
            "fx_day": str(out.fx_day),
            "complete_crawl": out.crawl.complete,
            "preview": md_preview(frame.select(*PREVIEW, "price_per_seed_base")),
        },
        check_results=offers_check_results(pg.engine, context.partition_key, out, http),
    )
