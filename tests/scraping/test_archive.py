"""The content-addressed archive, on a local directory and on S3 (moto in server mode, over real HTTP)."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from goodseed_dagster.scraping.archive import (
    ArchiveCorruptError,
    ArchiveMissingError,
    LocalObjectStore,
    ObjectStore,
    S3ObjectStore,
    object_key,
)

BODY = b"<html>" + b"Northern Lights auto fem 5 seeds 39.90 EUR " * 200 + b"</html>"
SHA = hashlib.sha256(BODY).hexdigest()


def test_object_key_fans_out_and_rejects_non_digests() -> None:
    assert object_key(SHA) == f"pages/{SHA[:2]}/{SHA[2:4]}/{SHA}.gz"
    assert object_key(SHA, "raw/") == f"raw/pages/{SHA[:2]}/{SHA[2:4]}/{SHA}.gz"
    with pytest.raises(ValueError):
        object_key("../../etc/passwd")


def test_local_store_round_trip_gzip_and_dedupe(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    assert isinstance(store, ObjectStore)
    assert not store.exists(SHA)
    assert store.put(BODY) == SHA
    path = tmp_path / object_key(SHA)
    assert gzip.decompress(path.read_bytes()) == BODY
    assert path.stat().st_size < len(BODY) / 4
    stamp = path.stat().st_mtime_ns

    assert store.put(BODY) == SHA  # identical body: no second write
    assert path.stat().st_mtime_ns == stamp
    assert store.exists(SHA) and store.get(SHA) == BODY
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{SHA}.gz"]  # no temp files left


def test_local_store_missing_and_corrupt(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ArchiveMissingError):
        store.get(SHA)
    store.put(BODY)
    (tmp_path / object_key(SHA)).write_bytes(gzip.compress(b"something else"))
    with pytest.raises(ArchiveCorruptError):
        store.get(SHA)


@pytest.fixture(scope="module")
def s3_client() -> Iterator[Any]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket="goodseed-raw")
    try:
        yield client
    finally:
        server.stop()


def test_s3_store_round_trip_and_dedupe(s3_client: Any) -> None:
    puts: list[str] = []
    s3_client.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: puts.append(params["Key"])
    )
    store = S3ObjectStore(s3_client, "goodseed-raw", prefix="crawls")
    assert not store.exists(SHA)
    assert store.put(BODY) == SHA
    assert store.put(BODY) == SHA
    assert puts == [f"crawls/pages/{SHA[:2]}/{SHA[2:4]}/{SHA}.gz"]  # stored once

    stored = s3_client.get_object(Bucket="goodseed-raw", Key=puts[0])["Body"].read()
    assert gzip.decompress(stored) == BODY
    assert store.exists(SHA) and store.get(SHA) == BODY


def test_s3_store_missing(s3_client: Any) -> None:
    store = S3ObjectStore(s3_client, "goodseed-raw")
    other = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(other)
    with pytest.raises(ArchiveMissingError):
        store.get(other)
