"""fx_rates: the ECB daily euro reference rates, so every price converts to the base currency."""

import dagster as dg

from goodseed_dagster.assets._meta import md_table, stage_errors
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.stages.fx import load_fx_rates


@dg.asset(group_name="offers", kinds={"xml", "postgres"})
def fx_rates(context: dg.AssetExecutionContext, pg: Postgres, http: CrawlerResource) -> dg.MaterializeResult:
    """One row per (day, currency) in core.fx_rates: units of currency per 1 EUR, from the ECB feed."""
    with stage_errors():
        out = load_fx_rates(pg.engine, http.get_fx_feed())
    context.log.info("FX %s: %d currencies", out.day, len(out.rates))
    return dg.MaterializeResult(
        metadata={
            "day": str(out.day),
            "dagster/row_count": len(out.rates),
            "rates": md_table({k: out.rates[k] for k in sorted(out.rates)}, ("currency", "per EUR")),
        }
    )
