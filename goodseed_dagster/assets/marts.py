"""dbt models for analysts: staging views (group "staging") and marts tables (group "marts").

Built from the core tables after each refresh; dbt tests are asset checks. dbt sources map to the assets
that write those tables through their own `meta.dagster.asset_key` in dbt/models/staging/__sources.yml.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
    group_from_dbt_resource_props_fallback_to_directory,
)

from goodseed_dagster import automation
from goodseed_dagster.dbt_project import DBT_DIR, build_target, profiles_dir, require_manifest
from goodseed_dagster.resources.postgres import Postgres

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


class GoodSeedTranslator(DagsterDbtTranslator):
    """Models keep their bare names, grouped by their folder (staging, marts).

    Sources use dagster-dbt's default: `meta.dagster.asset_key` when the source table sets it, otherwise
    [source, table] (e.g. core/new_table), so a source added without meta can never break loading. Several
    tables may name one asset (offers writes core.offers, core.price_history and core.quarantine).
    """

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None) -> None:
        super().__init__(settings or DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_from_dbt_resource_props_fallback_to_directory(dbt_resource_props)

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dbt tests run whenever automation rebuilds their model (automation.with_its_asset)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(automation_condition=automation.with_its_asset()) if spec else None


@dbt_assets(manifest=require_manifest(), dagster_dbt_translator=GoodSeedTranslator(), project=dbt_project)
def marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, pg: Postgres) -> Iterator[Any]:
    """dbt build on the pipeline's own database: staging views (owner only) and the marts tables analysts and
    the API read (strain_search, fct_offer_current, fct_price_daily, price_drops, seller_health, dim_strain,
    dim_seller, best_price_per_strain, and data_version last: the build's invocation_id, the API's cache key).
    Data tests are asset checks; in stock has one definition (dbt/macros/stock.sql)."""
    with profiles_dir(pg.engine.url) as profiles:
        invocation = dbt.cli(["build", "--profiles-dir", str(profiles)], context=context)
        with build_target(invocation.target_path):
            yield from invocation.stream()
