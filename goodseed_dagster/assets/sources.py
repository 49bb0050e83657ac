"""seller_sources: sources.yaml validated and mirrored into core.sources."""

import dagster as dg

from goodseed_dagster.assets._meta import md_table
from goodseed_dagster.db.crawls import sync_sources
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres


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
    loaded = http.sources()
    for err in loaded.errors:
        context.log.error(str(err))
    with pg.begin() as conn:
        counts = sync_sources(conn, loaded.sources)
    errors = "\n".join(f"- {e}" for e in loaded.errors) or "none"
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": counts["configured"],
            "added": counts["added"],
            "changed": counts["changed"],
            "disabled": counts["disabled"],
            "config_errors": len(loaded.errors),
            "sellers": md_table(
                {s.slug: f"{s.platform} · {s.base_url}" for s in loaded.sources}, ("seller", "source")
            ),
            "file": http.sources_file,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="sources_config_valid",
                passed=not loaded.errors,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"errors": dg.MetadataValue.md(errors)},
            )
        ],
    )
