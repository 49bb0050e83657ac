"""Database backups: a pg_dump into the archive store under backups/<database>/, keeping the newest N;
and the way back, a stored backup (or any dump file) restored into a fresh database."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from goodseed_dagster.db.backup import dump_database, restore_database
from goodseed_dagster.scraping.archive import BlobStore, ObjectStore

BACKUP_PREFIX = "backups/"
DUMP_SUFFIX = ".dump"
DEFAULT_KEEP = 14  # two weeks of dailies; Settings.backup_keep is the knob, this the library default


@dataclass(frozen=True, slots=True)
class BackupOutcome:
    key: str  # in the store: what `goodseed db restore` takes
    location: str  # the file or s3:// URL it went to
    size_bytes: int
    deleted: tuple[str, ...]  # older backups removed by retention


def blob_store(store: ObjectStore) -> BlobStore:
    """The archive store as a store of whole files (both archive backends are)."""
    if not isinstance(store, BlobStore):
        raise TypeError(f"{type(store).__name__} cannot hold backups (no put_file/get_file/keys/delete)")
    return store


def backup_key(database: str, when: datetime) -> str:
    """`backups/<db>/<db>_<UTC time to the microsecond>.dump`: names sort in time order."""
    return f"{BACKUP_PREFIX}{database}/{database}_{when.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}{DUMP_SUFFIX}"


def expired(keys: Iterable[str], keep: int) -> list[str]:
    """The backups beyond the newest `keep`, oldest first."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    return sorted(k for k in keys if k.endswith(DUMP_SUFFIX))[:-keep]


def backup_database(
    url: str, store: BlobStore, *, keep: int = DEFAULT_KEEP, now: datetime | None = None
) -> BackupOutcome:
    """Dump the database at `url` into the store, then delete all but its newest `keep` backups.

    Retention runs only after the new backup is stored: a failed dump (BackupError) deletes nothing.
    """
    expired([], keep)  # a bad `keep` fails before the dump, not after
    database = make_url(url).database or "postgres"
    key = backup_key(database, now or datetime.now(UTC))
    with tempfile.TemporaryDirectory(prefix="goodseed-backup-") as tmp:
        dump = Path(tmp) / key.rsplit("/", 1)[1]
        size = dump_database(url, dump)
        location = store.put_file(key, dump)
    old = expired(store.keys(f"{BACKUP_PREFIX}{database}/"), keep)
    for k in old:
        store.delete(k)
    return BackupOutcome(key=key, location=location, size_bytes=size, deleted=tuple(old))


def restore_backup(
    url: str, source: str, store: BlobStore | None, *, into: str | None = None, force: bool = False
) -> str:
    """Restore `source` (a dump file, else a backups/ key or printed location in the store) into a fresh
    database on `url`'s server; the restored database's URL."""
    if Path(source).is_file() or store is None:
        return restore_database(url, Path(source), into=into, force=force)
    key = source[source.find(BACKUP_PREFIX) :] if BACKUP_PREFIX in source else source
    with tempfile.TemporaryDirectory(prefix="goodseed-restore-") as tmp:
        dump = Path(tmp) / "restore.dump"
        store.get_file(key, dump)
        return restore_database(url, dump, into=into, force=force)
