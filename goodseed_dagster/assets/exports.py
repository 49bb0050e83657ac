"""The weekly Parquet export of the marts to the archive store (local directory or S3).

Analysts and BI tools that cannot reach the database read these files; one folder per export,
`exports/marts/<UTC date>/<mart>.parquet`, so older weeks stay as they were.
"""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from goodseed_dagster.assets._meta import md_table
from goodseed_dagster.automation import OWNERS
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.schedules import running_schedule
from goodseed_dagster.settings import Settings
from goodseed_dagster.stages.backup import blob_store

EXPORT_PREFIX = "exports/marts"
EXPORT_CRON = "0 5 * * 1"  # Mondays, after the night's crawl and marts
MARTS = [
    "strain_search",
    "fct_offer_current",
    "fct_price_daily",
    "price_drops",
    "seller_health",
    "dim_strain",
    "dim_seller",
    "best_price_per_strain",
    "data_version",
]


def export_key(day: datetime, mart: str) -> str:
    return f"{EXPORT_PREFIX}/{day:%Y-%m-%d}/{mart}.parquet"


@dg.asset(
    group_name="exports",
    kinds={"polars", "parquet"},
    deps=[dg.AssetKey(m) for m in MARTS],
    owners=OWNERS,
)
def marts_parquet_export(
    context: dg.AssetExecutionContext, pg: Postgres, store: ArchiveResource
) -> dg.MaterializeResult:
    """One Parquet file per mart (zstd), under exports/marts/<UTC date>/ in the archive store; row counts per mart."""
    blobs = blob_store(store.get_store())
    now = datetime.now(UTC)
    rows: dict[str, int] = {}
    where: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="goodseed-export-") as tmp, pg.engine.connect() as conn:
        for mart in MARTS:
            frame = pl.read_database(f"SELECT * FROM marts.{mart}", conn)  # names from MARTS only
            path = Path(tmp) / f"{mart}.parquet"
            frame.write_parquet(path, compression="zstd")
            where[mart] = blobs.put_file(export_key(now, mart), path)
            rows[mart] = frame.height
            context.log.info(f"{mart}: {frame.height} rows -> {where[mart]}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(rows.values()),
            "location": dg.MetadataValue.path(where[MARTS[0]].rsplit("/", 1)[0]),
            "files": md_table({m: f"{rows[m]} rows, `{where[m]}`" for m in MARTS}, ("mart", "export")),
            **{f"rows/{m}": n for m, n in rows.items()},
        }
    )


export_marts = dg.define_asset_job(
    "export_marts", selection=[marts_parquet_export], tags={"trigger": "export"}
)


def definitions(settings: Settings) -> dg.Definitions:
    """The export asset, its job, and the weekly schedule (running by default)."""
    weekly = running_schedule("weekly_export_marts", export_marts, EXPORT_CRON, settings)
    return dg.Definitions(assets=[marts_parquet_export], jobs=[export_marts], schedules=[weekly])
