"""Jobs: verbs over asset selections."""

import dagster as dg

crawl_sellers = dg.define_asset_job(
    "crawl_sellers",
    selection=dg.AssetSelection.assets("raw_pages", "listings", "offers"),
    description="Crawl one seller, extract its listings and merge its offers and price history.",
)

reparse_seller = dg.define_asset_job(
    "reparse_seller",
    selection=dg.AssetSelection.assets("listings", "offers"),
    description="Rebuild one seller's listings and offers from the archive, without touching the network.",
)

refresh_catalogue = dg.define_asset_job(
    "refresh_catalogue",
    selection=dg.AssetSelection.assets("seller_sources", "fx_rates", "strain_catalogue"),
    description="Sync sources, fetch FX rates and rebuild the cross-seller strain catalogue.",
)

# dbt's staging views and marts tables are one dbt build: select both groups, or marts run on stale views
dbt_models = dg.AssetSelection.groups("staging", "marts")
