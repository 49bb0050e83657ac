"""seller_sources: sources.yaml validated and mirrored into core.sources."""

from dataclasses import asdict
from pathlib import Path

import dagster as dg

from goodseed_dagster.assets._meta import md_table
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.stages.sources import sync_seller_sources


@dg.asset(
    group_name="sources",
    kinds={"yaml", "postgres"},
    check_specs=[dg.AssetCheckSpec("sources_config_valid", asset="seller_sources")],
)
def seller_sources(
    context: dg.AssetExecutionContext, pg: Postgres, http: CrawlerResource
) -> dg.MaterializeResult:
    """One row per configured seller in core.sources. Invalid entries are reported (file:line, field) and
    skipped; every valid seller still loads. Sellers removed from the file are disabled, never deleted."""
    out = sync_seller_sources(pg.engine, Path(http.sources_file))
    errors = out.loaded.errors
    for err in errors:
        context.log.error(str(err))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": out.sync.configured,
            **asdict(out.sync),
            "config_errors": len(errors),
            "sellers": md_table(
                {s.slug: f"{s.platform} · {s.base_url}" for s in out.loaded.sources}, ("seller", "source")
            ),
            "file": http.sources_file,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="sources_config_valid",
                passed=not errors,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none")},
            )
        ],
    )
