"""ConfigurableResources, built once from the environment in build_resources()."""

from __future__ import annotations

import os
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from goodseed_dagster.assets.marts import DBT_DIR, DBT_EXECUTABLE
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.settings import get_settings


def build_resources() -> dict[str, Any]:
    """The only place configuration meets Dagster: secrets stay EnvVars (the UI shows their names)."""
    s = get_settings()
    return {
        "pg": Postgres(
            url=dg.EnvVar("DATABASE_URL") if os.environ.get("DATABASE_URL") else None, home=str(s.home)
        ),
        "store": ArchiveResource(
            root=str(s.archive_root),
            s3_bucket=s.s3_bucket,
            s3_prefix=s.s3_prefix,
            s3_endpoint_url=s.s3_endpoint_url,
        ),
        "dbt": DbtCliResource(
            project_dir=str(DBT_DIR), profiles_dir=str(DBT_DIR), dbt_executable=DBT_EXECUTABLE
        ),
        "http": CrawlerResource(
            sources_file=str(s.sources_path), fx_url=s.fx_url, base_currency=s.base_currency
        ),
    }
