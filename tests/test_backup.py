"""Backups: the restore drill (a crawled database dumped, restored into a fresh database, table by table
identical), retention, refusals, the CLI, and the password kept out of every child's argv."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from pipeline_harness import Pipeline
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from template_db import drop_database

from goodseed_dagster.cli import main
from goodseed_dagster.db.backup import (
    BackupError,
    RestoreError,
    dump_command,
    restore_command,
    restore_database,
)
from goodseed_dagster.scraping.archive import LocalObjectStore, S3ObjectStore
from goodseed_dagster.stages.backup import backup_database, backup_key, restore_backup

CORE_TABLES = ["core.sources", "core.crawls", "core.pages", "core.listings", "core.offers", "core.strains"]


@pytest.fixture
def dropped(pg_server_url: str) -> Iterator[list[str]]:
    """Names of databases a test restored into; dropped afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        drop_database(pg_server_url, name)


def fingerprint(url: str) -> dict[str, tuple[object, ...]]:
    """Per table and sequence of every non-system schema: (row count, md5 of its rows in text order)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables: list[str] = list(
                conn.execute(
                    text(
                        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
                    )
                ).scalars()
            )
            out = {
                t: tuple(
                    conn.execute(
                        text(
                            f"SELECT count(*), md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), ''))"
                            f" FROM {t} x"
                        )
                    ).one()
                )
                for t in tables
            }
            sequences = conn.execute(
                text(
                    "SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, 0) FROM pg_sequences"
                    " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            ).all()
    finally:
        engine.dispose()
    return out | {f"seq {name}": (value,) for name, value in sequences}


def test_restore_drill_gives_identical_tables(crawled: Pipeline, tmp_path: Path, dropped: list[str]) -> None:
    """The drill: a crawled database, backed up to the store and restored from it into a fresh database,
    has the same row count and checksum in every table (and the same sequence positions)."""
    store = LocalObjectStore(tmp_path / "archive")
    url = crawled.engine.url.render_as_string(hide_password=False)  # (Pipeline.url is the market's)
    source = crawled.engine.url.database
    out = backup_database(url, store)
    assert out.key.startswith(f"backups/{source}/") and out.key.endswith(".dump")
    assert Path(out.location) == store.root / out.key and out.size_bytes == Path(out.location).stat().st_size
    assert Path(out.location).stat().st_mode & 0o077 == 0  # the dump holds data: owner-only

    restored = restore_backup(url, out.key, store)
    name = make_url(restored).database
    dropped.append(str(name))
    assert name != source and str(name).startswith(f"{source}_restore_")

    before, after = fingerprint(url), fingerprint(restored)
    assert all(before[t][0] != 0 for t in CORE_TABLES), before  # the drill proves something
    assert "public.alembic_version" in after  # restored at the same migration
    assert after == before
    with create_engine(restored).begin() as conn:  # and the checksums would see a one-row difference
        conn.execute(
            text(
                "UPDATE core.offers SET price = price + 0.01 WHERE ctid = (SELECT min(ctid) FROM core.offers)"
            )
        )
    assert fingerprint(restored)["core.offers"] != before["core.offers"]


def test_retention_keeps_the_newest_per_database(fresh_pg_url: str, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "archive")
    other = tmp_path / "other.dump"
    other.write_bytes(b"another database's backup")
    store.put_file(backup_key("elsewhere", datetime(2020, 1, 1, tzinfo=UTC)), other)
    start = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    outs = [backup_database(fresh_pg_url, store, keep=2, now=start + timedelta(days=d)) for d in range(4)]
    database = make_url(fresh_pg_url).database
    assert store.keys(f"backups/{database}/") == [outs[2].key, outs[3].key]
    assert [o.deleted for o in outs] == [(), (), (outs[0].key,), (outs[1].key,)]
    assert store.keys("backups/elsewhere/") == [backup_key("elsewhere", datetime(2020, 1, 1, tzinfo=UTC))]
    with pytest.raises(ValueError, match="keep"):
        backup_database(fresh_pg_url, store, keep=0)
    assert len(store.keys(f"backups/{database}/")) == 2


def test_backup_of_an_unreachable_database_fails_clearly(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "archive")
    url = "postgresql+psycopg://goodseed:s3cret-pw@127.0.0.1:1/nowhere"
    with pytest.raises(BackupError) as err:
        backup_database(url, store)
    message = str(err.value)
    assert "'nowhere'" in message and "127.0.0.1" in message and "s3cret-pw" not in message
    assert err.value.retryable
    assert store.keys("backups/") == []


def test_password_is_passed_by_environment_never_argv() -> None:
    url = "postgresql+psycopg://goodseed:pa%27ss%20w0rd@db.internal:5433/goodseed?sslmode=require"
    for cmd in (
        dump_command(url, Path("/tmp/x.dump")),
        restore_command(url, Path("/tmp/x.dump"), clean=True),
    ):
        assert not any("pa'ss w0rd" in a or "pa%27ss" in a for a in cmd.argv), cmd.argv
        assert "pa'ss w0rd" not in repr(cmd)
        assert cmd.env == {"PGPASSWORD": "pa'ss w0rd"}
        conninfo = next(a for a in cmd.argv if a.startswith("--dbname="))
        assert (
            conninfo
            == "--dbname=host='db.internal' port='5433' user='goodseed' dbname='goodseed' sslmode='require'"
        )
        assert "--no-password" in cmd.argv  # never prompt: a scheduled run must fail, not hang
    assert "--format=custom" in dump_command(url, Path("/tmp/x.dump")).argv


def test_restore_refuses_a_non_empty_database_unless_forced(
    fresh_pg_url: str, new_database: Callable[[], str], tmp_path: Path, dropped: list[str]
) -> None:
    dump = tmp_path / "fresh.dump"
    out = backup_database(fresh_pg_url, LocalObjectStore(tmp_path / "archive"))
    Path(out.location).rename(dump)
    target = make_url(new_database()).database  # a migrated, non-empty database
    with pytest.raises(RestoreError, match="not empty"):
        restore_database(fresh_pg_url, dump, into=target)
    restored = restore_database(fresh_pg_url, dump, into=target, force=True)
    assert fingerprint(restored) == fingerprint(fresh_pg_url)
    with pytest.raises(RestoreError, match="plain database name"):
        restore_database(fresh_pg_url, dump, into='x"; DROP DATABASE postgres; --')


def test_failed_restore_leaves_no_database_behind(fresh_pg_url: str, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"not a dump")
    name = "goodseed_restore_garbage_probe"
    with pytest.raises(RestoreError, match=name):
        restore_database(fresh_pg_url, garbage, into=name)
    engine = create_engine(fresh_pg_url)
    try:
        with engine.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name})
            assert left.scalar_one() == 0
    finally:
        engine.dispose()


def test_cli_backup_then_restore(
    fresh_pg_url: str,
    tmp_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dropped: list[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_pg_url)
    monkeypatch.setenv("GOODSEED_HOME", str(tmp_home))
    assert main(["db", "backup", "--keep", "3"]) == 0
    printed = capsys.readouterr().out
    key = printed.split()[1]
    assert key.startswith("backups/") and str(tmp_home / "archive" / key) in printed
    assert main(["db", "restore", key]) == 0
    restored = capsys.readouterr().out.strip()
    dropped.append(str(make_url(restored).database))
    assert fingerprint(restored) == fingerprint(fresh_pg_url)
    assert main(["db", "restore"]) == 2
    assert main(["db", "restore", "backups/missing.dump"]) == 1
    assert "missing.dump" in capsys.readouterr().err


def test_backups_round_trip_through_s3(
    request: pytest.FixtureRequest, fresh_pg_url: str, dropped: list[str]
) -> None:
    """With a bucket configured the backups go to S3 under the archive prefix; retention lists and deletes
    there, and the printed s3:// location restores."""
    s3 = boto3.client("s3", endpoint_url=request.getfixturevalue("moto_endpoint"))
    s3.create_bucket(Bucket="goodseed-raw")
    store = S3ObjectStore(s3, "goodseed-raw", "prod/")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first, second = (
        backup_database(fresh_pg_url, store, keep=1, now=start + timedelta(days=d)) for d in (0, 1)
    )
    assert second.location == f"s3://goodseed-raw/prod/{second.key}" and second.deleted == (first.key,)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="goodseed-raw", Prefix="prod/")["Contents"]]
    assert listed == [f"prod/{second.key}"]
    restored = restore_backup(fresh_pg_url, second.location, store)
    dropped.append(str(make_url(restored).database))
    assert fingerprint(restored) == fingerprint(fresh_pg_url)
