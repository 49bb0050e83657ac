"""The one Definitions object: every stage one hop away."""

import dagster as dg

from goodseed_dagster.assets import catalogue, crawl, extract, fx, marts, offers, sources
from goodseed_dagster.jobs import crawl_sellers, refresh_catalogue, reparse_seller
from goodseed_dagster.resources import build_resources
from goodseed_dagster.schedules import daily_crawl_sellers, daily_refresh_catalogue
from goodseed_dagster.sensors import seller_sources_sensor

stages = [sources, crawl, extract, fx, offers, catalogue, marts]

defs = dg.Definitions(
    assets=dg.load_assets_from_modules(stages),
    asset_checks=dg.load_asset_checks_from_modules(stages),
    jobs=[crawl_sellers, reparse_seller, refresh_catalogue],
    schedules=[daily_crawl_sellers, daily_refresh_catalogue],
    sensors=[seller_sources_sensor],
    resources=build_resources(),
)
