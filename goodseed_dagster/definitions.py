"""The code location: one Definitions, every stage one hop away, resources from one Settings value.

`defs` is loaded by Dagster (workspace.yaml) and built then, not at import: importing this module costs
`import dagster` only; building pays for dagster-dbt (dbt-core) and the stages. Tests and the demo call
`build_defs(settings)` with settings of their own.
"""

from types import ModuleType

import dagster as dg

from goodseed_dagster.settings import Settings


def build_defs(settings: Settings) -> dg.Definitions:
    """Assets, checks, jobs, schedules and sensors; resources built from `settings` (EnvVars for secrets).

    The pipeline's core comes first; each feature module (automation, alerts, housekeeping, serving, ...)
    adds its own Definitions through `definitions(settings)`, merged here. Resources live in the core only.
    """
    from goodseed_dagster.assets import catalogue, crawl, extract, fx, marts, offers, sources
    from goodseed_dagster.automation import apply_automation, automation_sensor
    from goodseed_dagster.jobs import crawl_sellers, refresh_catalogue, reparse_seller
    from goodseed_dagster.resources import build_resources
    from goodseed_dagster.schedules import daily_crawl_sellers
    from goodseed_dagster.sensors import seller_sources_sensor

    stages = [sources, crawl, extract, fx, offers, catalogue, marts]
    from goodseed_dagster.assets import exports
    from goodseed_dagster.assets import notifications as notification_assets
    from goodseed_dagster.schedules import housekeeping, notifications
    from goodseed_dagster.sensors import alerts, scrape_requests

    features: list[ModuleType] = [
        alerts,
        housekeeping,
        scrape_requests,
        exports,
        notifications,
        notification_assets,
    ]
    core = dg.Definitions(
        assets=apply_automation(
            [a for a in dg.load_assets_from_modules(stages) if isinstance(a, dg.AssetsDefinition)], settings
        ),
        asset_checks=dg.load_asset_checks_from_modules(stages),
        jobs=[crawl_sellers, reparse_seller, refresh_catalogue],
        schedules=[daily_crawl_sellers(settings)],
        sensors=[seller_sources_sensor, automation_sensor],
        resources=build_resources(settings),
        # Every run's steps in its own process, one after another: a process per step would import the
        # location again (~3 s) for steps of seconds; runs, not steps, share the cores (bench/refresh.py).
        executor=dg.in_process_executor,
    )
    return dg.Definitions.merge(core, *(f.definitions(settings) for f in features))


@dg.definitions
def defs() -> dg.Definitions:
    """The code location's Definitions, from this process's environment."""
    return build_defs(Settings())
