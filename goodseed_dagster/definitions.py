"""The code location: one Definitions, every stage one hop away, resources from one Settings value.

`defs` is loaded by Dagster (workspace.yaml) and built then, not at import: importing this module costs
`import dagster` only; building pays for dagster-dbt (dbt-core) and the stages. Tests and the demo call
`build_defs(settings)` with settings of their own.
"""

import dagster as dg

from goodseed_dagster.settings import Settings


def build_defs(settings: Settings) -> dg.Definitions:
    """Assets, checks, jobs, schedules and sensors; resources built from `settings` (EnvVars for secrets)."""
    from goodseed_dagster.assets import catalogue, crawl, extract, fx, marts, offers, sources
    from goodseed_dagster.jobs import crawl_sellers, refresh_catalogue, reparse_seller
    from goodseed_dagster.resources import build_resources
    from goodseed_dagster.schedules import daily_crawl_sellers, daily_refresh_catalogue
    from goodseed_dagster.sensors import seller_sources_sensor

    stages = [sources, crawl, extract, fx, offers, catalogue, marts]
    return dg.Definitions(
        assets=dg.load_assets_from_modules(stages),
        asset_checks=dg.load_asset_checks_from_modules(stages),
        jobs=[crawl_sellers, reparse_seller, refresh_catalogue],
        schedules=[daily_crawl_sellers, daily_refresh_catalogue],
        sensors=[seller_sources_sensor],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location's Definitions, from this process's environment."""
    return build_defs(Settings())
