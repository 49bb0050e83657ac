"""dbt marts for analysts (schemas staging and marts), built from the core tables after each refresh."""

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from sqlalchemy.engine import make_url

from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.settings import PROJECT_ROOT

DBT_DIR = PROJECT_ROOT / "dbt"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)

# core tables are written by these assets: dbt sources become edges in the asset graph
SOURCE_ASSETS = {"sources": "seller_sources", "offers": "offers", "strains": "strain_catalogue"}


def ensure_manifest() -> Path:
    """dagster-dbt needs target/manifest.json before the Definitions load; `dbt parse` makes it (~3 s)."""
    manifest = dbt_project.manifest_path
    sources = [p for p in DBT_DIR.rglob("*") if p.suffix in {".sql", ".yml"} and "target" not in p.parts]
    if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in sources):
        return manifest
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    run = subprocess.run([DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(DBT_DIR), "--profiles-dir",
                          str(DBT_DIR)], env=env, capture_output=True, text=True, check=False)  # fmt: skip
    if run.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{run.stdout}\n{run.stderr}")
    return manifest


class GoodSeedTranslator(DagsterDbtTranslator):
    """Models keep their names in group "marts"; sources point at the assets that write the core tables."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(SOURCE_ASSETS[dbt_resource_props["name"]])
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "marts"


def dbt_env(url: str) -> dict[str, str]:
    """GOODSEED_DBT_* (read by dbt/profiles.yml) from the pipeline's own database URL."""
    parsed = make_url(url)
    host = parsed.query.get("host") or parsed.host or "localhost"
    return {
        "GOODSEED_DBT_HOST": str(host[0] if isinstance(host, tuple) else host),
        "GOODSEED_DBT_PORT": str(parsed.port or 5432),
        "GOODSEED_DBT_USER": parsed.username or "postgres",
        "GOODSEED_DBT_PASSWORD": parsed.password or "",
        "GOODSEED_DBT_DBNAME": parsed.database or "postgres",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=GoodSeedTranslator(), project=dbt_project)
def marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, pg: Postgres) -> Iterator[Any]:
    """dbt build: staging views and marts tables (dim_strain, dim_seller, fct_offer_current,
    best_price_per_strain) with their data tests as asset checks."""
    os.environ.update(dbt_env(pg.engine.url.render_as_string(hide_password=False)))
    yield from dbt.cli(["build"], context=context).stream()
