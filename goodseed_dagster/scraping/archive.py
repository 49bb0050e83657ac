"""Content-addressed raw-page archive: gzip-compressed bodies keyed by the sha256 of the raw bytes.

Parsing reads the archive, never the seller, so any crawl can be re-parsed later; identical bodies
(unchanged pages, shared error pages) are stored once.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from goodseed_dagster.errors import GoodSeedError

GZIP_LEVEL = 6  # zlib's default: ~4x on HTML at a fraction of level 9's CPU


class ArchiveMissingError(GoodSeedError):
    """No archived body has this sha256 (a manifest row points at a body that was never stored)."""

    def __init__(self, sha: str, where: str) -> None:
        super().__init__(f"{where}: no archived body {sha}")
        self.sha, self.where = sha, where


class ArchiveCorruptError(GoodSeedError):
    """An archived body no longer hashes to its key (bit rot, a partial upload, a foreign object)."""

    def __init__(self, sha: str, where: str, actual: str) -> None:
        super().__init__(f"{where}: archived body {sha} hashes to {actual}")
        self.sha, self.where, self.actual = sha, where, actual


@runtime_checkable
class ObjectStore(Protocol):
    """Where raw bodies live; the crawler and the extractors only know this interface."""

    def put(self, body: bytes) -> str:
        """Store `body` (once) and return the sha256 hex of the raw bytes."""
        ...

    def get(self, sha: str) -> bytes:
        """The decompressed body; raises ArchiveMissingError if absent."""
        ...

    def exists(self, sha: str) -> bool: ...


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def object_key(sha: str, prefix: str = "") -> str:
    """`pages/ab/cd/<sha>.gz`: two fan-out levels keep directories and S3 listings small."""
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError(f"not a sha256 hex digest: {sha!r}")
    return f"{prefix}pages/{sha[:2]}/{sha[2:4]}/{sha}.gz"


def compress(body: bytes) -> bytes:
    """gzip with mtime=0 so the same body always compresses to the same bytes."""
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def decompress(sha: str, blob: bytes, where: str) -> bytes:
    body = gzip.decompress(blob)
    actual = body_sha256(body)
    if actual != sha:
        raise ArchiveCorruptError(sha, where, actual)
    return body


class LocalObjectStore:
    """The archive on a local directory (the default for dev and tests)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        return self.root / object_key(sha)

    def put(self, body: bytes) -> str:
        sha = body_sha256(body)
        dest = self.path(sha)
        if dest.exists():
            return sha
        dest.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the destination then rename: readers never see a half-written object, and
        # two writers of the same body race harmlessly (both renames install identical bytes).
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{sha[:8]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(compress(body))
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha: str) -> bytes:
        try:
            blob = self.path(sha).read_bytes()
        except FileNotFoundError as e:
            raise ArchiveMissingError(sha, str(self.root)) from e
        return decompress(sha, blob, str(self.root))

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()


class S3ObjectStore:
    """The archive in an S3 bucket; `client` is a boto3 S3 client (dagster-aws's S3Resource gives one)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket = client, bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"

    def key(self, sha: str) -> str:
        return object_key(sha, self.prefix)

    def put(self, body: bytes) -> str:
        sha = body_sha256(body)
        if not self.exists(sha):
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(sha), Body=compress(body), ContentType="application/gzip"
            )
        return sha

    def get(self, sha: str) -> bytes:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.key(sha))
        except self.client.exceptions.NoSuchKey as e:
            raise ArchiveMissingError(sha, f"s3://{self.bucket}/{self.prefix}") from e
        return decompress(sha, obj["Body"].read(), f"s3://{self.bucket}/{self.prefix}")

    def exists(self, sha: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha))
        except self.client.exceptions.ClientError as e:
            if str(e.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True
