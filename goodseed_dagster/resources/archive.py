"""The raw-page archive: a local directory, or S3 (dagster-aws) when a bucket is configured."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from goodseed_dagster.scraping.archive import LocalObjectStore, ObjectStore, S3ObjectStore


class ArchiveResource(dg.ConfigurableResource):
    root: str = ".goodseed/archive"
    s3_bucket: str | None = None
    s3_prefix: str = "goodseed/"
    s3_endpoint_url: str | None = None

    def get_store(self) -> ObjectStore:
        if self.s3_bucket:
            from dagster_aws.s3 import S3Resource

            client = S3Resource(endpoint_url=self.s3_endpoint_url).get_client()
            return S3ObjectStore(client, self.s3_bucket, self.s3_prefix)
        return LocalObjectStore(Path(self.root))

    @property
    def location(self) -> str:
        return f"s3://{self.s3_bucket}/{self.s3_prefix}" if self.s3_bucket else self.root
