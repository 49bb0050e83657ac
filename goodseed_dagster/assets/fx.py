"""fx_rates: the ECB daily euro reference rates, so every price converts to the base currency."""

import dagster as dg

from goodseed_dagster.assets._meta import md_table
from goodseed_dagster.db.offers import upsert_fx
from goodseed_dagster.errors import GoodSeedError
from goodseed_dagster.normalize.fx import parse_ecb_daily
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres


@dg.asset(group_name="offers", kinds={"xml", "postgres"})
def fx_rates(context: dg.AssetExecutionContext, pg: Postgres, http: CrawlerResource) -> dg.MaterializeResult:
    """One row per (day, currency) in core.fx_rates: units of currency per 1 EUR, from the ECB feed."""
    try:
        day, rates = parse_ecb_daily(http.get_fx_feed())
    except GoodSeedError as e:
        raise dg.Failure(str(e), allow_retries=e.retryable) from e
    with pg.begin() as conn:
        upsert_fx(conn, day, rates)
    context.log.info("FX %s: %d currencies", day, len(rates))
    return dg.MaterializeResult(
        metadata={
            "day": str(day),
            "dagster/row_count": len(rates),
            "rates": md_table({k: rates[k] for k in sorted(rates)}, ("currency", "per EUR")),
        }
    )
