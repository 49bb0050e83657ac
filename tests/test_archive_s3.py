"""raw_pages archives into S3 through dagster-aws when a bucket is configured (moto server on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import boto3
from pipeline_harness import pipeline_on
from sqlalchemy import text

from goodseed_dagster.market import MarketServer
from goodseed_dagster.resources.archive import ArchiveResource


def test_pipeline_archives_to_s3_and_parses_from_it(
    moto_endpoint: str, market: MarketServer, fresh_pg_url: str, tmp_path: Path
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="goodseed-raw")
    with pipeline_on(market, fresh_pg_url, tmp_path) as p:
        p.resources["store"] = ArchiveResource(
            s3_bucket="goodseed-raw", s3_prefix="test/", s3_endpoint_url=moto_endpoint
        )
        p.materialize(["seller_sources", "fx_rates"])
        slug = "cloudnine"
        p.instance.add_dynamic_partitions("sellers", [slug])
        result = p.materialize(["raw_pages", "listings"], slug)
        assert (
            result.asset_materializations_for_node("raw_pages")[0].metadata["archive"].value
            == "s3://goodseed-raw/test/"
        )
        with p.engine.connect() as conn:
            hashes: set[str] = set(
                conn.execute(text("SELECT sha256 FROM core.pages WHERE sha256 IS NOT NULL")).scalars()
            )
            listed = conn.execute(
                text("SELECT count(*) FROM core.listings WHERE seller = :s"), {"s": slug}
            ).scalar()
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="goodseed-raw", Prefix="test/pages/")["Contents"]}
    assert {k.rsplit("/", 1)[1].removesuffix(".gz") for k in keys} == hashes
    assert listed == len(market.market.truth(slug))
    assert not (tmp_path / "archive").exists(), "nothing archived locally when S3 is configured"
