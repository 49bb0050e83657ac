"""ConfigurableResources, built from one Settings value in build_resources()."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import dagster as dg

from goodseed_dagster.dbt_project import DBT_DIR, DBT_EXECUTABLE
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.settings import DATABASE_URL_ENV, Settings

if TYPE_CHECKING:
    from goodseed_dagster.resources.dbt import DbtResource


class Resources(TypedDict):
    """Resource keys the assets ask for, with their types."""

    pg: Postgres
    store: ArchiveResource
    dbt: DbtResource
    http: CrawlerResource


def archive_resource(settings: Settings) -> ArchiveResource:
    """The raw-page archive: also opened outside Dagster (`goodseed reparse`)."""
    return ArchiveResource(
        root=str(settings.archive_root),
        s3_bucket=settings.s3_bucket,
        s3_prefix=settings.s3_prefix,
        s3_endpoint_url=settings.s3_endpoint_url,
    )


def build_resources(settings: Settings) -> Resources:
    """The only place configuration meets Dagster; secrets stay EnvVars, so the UI shows their names.

    A set DATABASE_URL becomes dg.EnvVar("DATABASE_URL"): its value is read at launch, never copied.
    """
    from goodseed_dagster.resources.dbt import DbtResource  # imports dbt-core (~1.5 s): only when built

    return {
        "pg": Postgres(
            url=dg.EnvVar(DATABASE_URL_ENV) if settings.database_url is not None else None,
            home=str(settings.home),
        ),
        "store": archive_resource(settings),
        "dbt": DbtResource(
            project_dir=str(DBT_DIR), profiles_dir=str(DBT_DIR), dbt_executable=DBT_EXECUTABLE
        ),
        "http": CrawlerResource(
            sources_file=str(settings.sources_path),
            fx_url=settings.fx_url,
            base_currency=settings.base_currency,
            polite=settings.polite,
            max_crawl_delay_s=settings.max_crawl_delay_s,
            deadline_s=settings.crawl_deadline_s,
            page_budget_s=settings.page_budget_s,
            listing_drop_max=settings.listing_drop_max,
            min_fill_rate=settings.min_fill_rate,
            max_quarantine_share=settings.max_quarantine_share,
            price_per_seed_min=settings.price_per_seed_min,
            price_per_seed_max=settings.price_per_seed_max,
        ),
    }
