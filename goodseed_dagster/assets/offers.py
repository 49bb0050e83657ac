"""offers: normalized, comparable offers per seller, with change-only price history."""

import dagster as dg
import polars as pl

from goodseed_dagster.assets._meta import md_preview
from goodseed_dagster.assets.partitions import sellers
from goodseed_dagster.db.crawls import get_crawl, read_listings
from goodseed_dagster.db.offers import latest_fx, merge_offers, replace_quarantine
from goodseed_dagster.normalize.offers import normalize_offers
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres


@dg.asset(
    partitions_def=sellers,
    group_name="offers",
    kinds={"polars", "postgres"},
    deps=["listings", "fx_rates"],
    check_specs=[dg.AssetCheckSpec("prices_positive", asset="offers", blocking=True)],
)
def offers(context: dg.AssetExecutionContext, pg: Postgres, http: CrawlerResource) -> dg.MaterializeResult:
    """One row per (seller, product, pack) in core.offers with price_base and price_per_seed_base in the base
    currency; core.price_history gains a row only when price or stock changed. Rejects go to
    core.quarantine (stage normalize) with the reason. Re-running leaves every table as it was."""
    seller = context.partition_key
    with pg.begin() as conn:
        crawl_id, listings = read_listings(conn, seller)
        if crawl_id is None:
            raise dg.Failure(f"[{seller}] no crawl has been extracted yet: materialize listings first")
        crawl = get_crawl(conn, crawl_id)
        fx_day, fx = latest_fx(conn)
    out = normalize_offers(listings, fx, http.base_currency)
    complete = crawl["status"] == "ok"  # a partial crawl must not retire offers it did not reach
    with pg.begin() as conn:
        counts = merge_offers(conn, seller, crawl_id, crawl["started_at"], out.offers, complete=complete)  # type: ignore[arg-type]
        quarantined = replace_quarantine(conn, seller, crawl_id, "normalize", out.quarantine)
    bad = out.offers.filter(pl.col("price") <= 0).height
    reasons = out.quarantine.group_by("reason").len().sort("len", descending=True)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": counts["offers"],
            "new_offers": counts["new_offers"],
            "price_changes": counts["price_changes"],
            "deactivated": counts["deactivated"],
            "quarantined": quarantined,
            "quarantine_reasons": md_preview(reasons),
            "fx_day": str(fx_day),
            "complete_crawl": complete,
            "preview": md_preview(
                out.offers.select(
                    "title",
                    "strain_name",
                    "breeder",
                    "sex",
                    "flowering",
                    "pack_size",
                    "price",
                    "currency",
                    "price_per_seed_base",
                )
            ),
        },
        check_results=[
            dg.AssetCheckResult(check_name="prices_positive", passed=bad == 0, metadata={"non_positive": bad})
        ],
    )
