"""Content-addressed raw-page archive: gzip-compressed bodies keyed by the sha256 of the raw bytes.

Parsing reads the archive, never the seller, so any crawl can be re-parsed later; identical bodies
(unchanged pages, shared error pages) are stored once.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import os
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from goodseed_dagster.errors import GoodSeedError

# zlib level 1: ~6x on shop HTML (level 6: ~7.5x) at 0.26 ms instead of 0.67 ms per 63 KB page, and
# the archive write runs once per fetched page on the crawl's critical path. Any level reads back the
# same (gzip.decompress), so archives written at other levels stay readable.
GZIP_LEVEL = 1
_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


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


@runtime_checkable
class BlobStore(Protocol):
    """Whole files under caller-chosen keys beside the pages (database backups): not content-addressed,
    streamed from and to disk so a large file never sits in memory."""

    def put_file(self, key: str, path: Path) -> str:
        """Store the file at `path` under `key`, replacing any; returns where it went (path or s3:// URL)."""
        ...

    def get_file(self, key: str, dest: Path) -> None:
        """Copy the object `key` to `dest`; raises FileNotFoundError if absent."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """Every key starting with `prefix`, sorted."""
        ...

    def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    """A relative, normalized key: no absolute path, `..` or empty part can escape the store's root."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise ValueError(f"not a valid object key: {key!r}")
    return key


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
        self._root = os.fspath(self.root)
        self._dirs: set[str] = set()  # fan-out dirs known to exist (created or seen by this store)
        self._tmp_names = itertools.count()

    def path(self, sha: str) -> Path:
        return self.root / object_key(sha)

    def put(self, body: bytes) -> str:
        sha = body_sha256(body)
        parent = os.path.join(self._root, "pages", sha[:2], sha[2:4])  # object_key(sha), as strings
        dest = os.path.join(parent, sha + ".gz")
        if os.path.exists(dest):
            return sha
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        # Write beside the destination then rename: readers never see a half-written object, and
        # two writers of the same body race harmlessly (both renames install identical bytes).
        fd, tmp = self._temp_file(parent, sha)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(compress(body))
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def _temp_file(self, parent: str, sha: str) -> tuple[int, str]:
        """A new private (0600) file beside the object, as tempfile.mkstemp makes, without its name lottery:
        pid, thread and a counter make the name unique among live writers; O_EXCL skips stale leftovers."""
        stem = f".{sha[:8]}.{os.getpid()}-{threading.get_ident()}-"
        while True:
            tmp = os.path.join(parent, f"{stem}{next(self._tmp_names)}.tmp")
            try:
                return os.open(tmp, _TMP_FLAGS, 0o600), tmp
            except FileExistsError:
                continue
            except FileNotFoundError:  # the fan-out dir was removed behind our back: make it again
                os.makedirs(parent, exist_ok=True)

    def get(self, sha: str) -> bytes:
        try:
            blob = self.path(sha).read_bytes()
        except FileNotFoundError as e:
            raise ArchiveMissingError(sha, str(self.root)) from e
        return decompress(sha, blob, str(self.root))

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put_file(self, key: str, path: Path) -> str:
        dest = self.root / check_key(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        try:  # copy beside, then rename: a reader never sees half a file; 0600: backups hold data
            with open(path, "rb") as src, os.fdopen(os.open(tmp, _TMP_FLAGS, 0o600), "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return str(dest)

    def get_file(self, key: str, dest: Path) -> None:
        shutil.copyfile(self.root / check_key(key), dest)

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return []
        found = (p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(k for k in found if k.startswith(prefix) and not k.rsplit("/", 1)[-1].startswith("."))

    def delete(self, key: str) -> None:
        (self.root / check_key(key)).unlink(missing_ok=True)

    def modified(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """(key, last modified, UTC) of every key starting with `prefix`: the cleanup's age test."""
        for key in self.keys(prefix):
            with contextlib.suppress(FileNotFoundError):  # deleted since listed
                yield key, datetime.fromtimestamp((self.root / key).stat().st_mtime, UTC)


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

    def put_file(self, key: str, path: Path) -> str:
        full = self.prefix + check_key(key)
        self.client.upload_file(str(path), self.bucket, full)  # multipart for large files
        return f"s3://{self.bucket}/{full}"

    def get_file(self, key: str, dest: Path) -> None:
        full = self.prefix + check_key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=full)
        except self.client.exceptions.ClientError as e:
            raise FileNotFoundError(f"s3://{self.bucket}/{full}") from e
        self.client.download_file(self.bucket, full, str(dest))

    def keys(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        return sorted(o["Key"][len(self.prefix) :] for page in pages for o in page.get("Contents", []))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + check_key(key))

    def modified(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """(key, last modified, UTC) of every key starting with `prefix`, page by page (never all at once)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for o in page.get("Contents", []):
                yield o["Key"][len(self.prefix) :], o["LastModified"].astimezone(UTC)
