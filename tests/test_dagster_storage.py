"""The dev instance's Dagster storage (dagster.yaml) on a real Postgres: it keeps its connections, and a
connection Postgres dropped is replaced instead of failing the call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.ref import InstanceRef
from sqlalchemy import create_engine, text
from template_db import copy_database, drop_database, new_database_name

from goodseed_dagster.dagster_storage import PooledPostgresStorage
from goodseed_dagster.db.engine import dagster_url
from goodseed_dagster.settings import PROJECT_ROOT

CALLS = 40


@pytest.fixture
def dagster_db(pg_server_url: str) -> Iterator[str]:
    name = new_database_name("dagster")
    yield copy_database(pg_server_url, name, template=None)
    drop_database(pg_server_url, name)


def instance_with(storage: dict[str, object], home: Path) -> dg.DagsterInstance:
    (home / "dagster.yaml").write_text(yaml.safe_dump({"storage": storage, "telemetry": {"enabled": False}}))
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def sessions(url: str) -> int:
    """Connections ever opened to the database (Postgres counts them; a closed one is counted at once)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_force_next_flush()"))
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            count = conn.execute(
                text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            )
            return int(count.scalar_one())
    finally:
        engine.dispose()


def storage_calls(instance: dg.DagsterInstance) -> None:
    """A run's worth of storage traffic: a run, its events, reads of both."""
    run = instance.create_run_for_job(dg.GraphDefinition("calls").to_job())
    for i in range(CALLS):
        instance.report_engine_event(f"event {i}", run)
    assert len(instance.all_logs(run.run_id)) >= CALLS
    assert instance.get_run_by_id(run.run_id) is not None


def test_dev_storage_keeps_its_connections_where_the_stock_one_opens_one_per_call(
    dagster_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOODSEED_DAGSTER_PG_URL", dagster_url(dagster_db))
    dev = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())["storage"]
    assert dev["custom"]["class"] == PooledPostgresStorage.__name__
    stock = {"postgres": {"postgres_url": {"env": "GOODSEED_DAGSTER_PG_URL"}}}
    opened = {}
    for name, storage in {"dev": dev, "stock": stock}.items():
        home = tmp_path / name
        home.mkdir()
        with instance_with(storage, home) as instance:
            before = sessions(dagster_db)
            storage_calls(instance)
            opened[name] = sessions(dagster_db) - before - 2  # the two of sessions() itself
    assert opened["stock"] >= CALLS  # the measure sees a connection per call
    assert opened["dev"] <= 3, opened  # one per storage at most


def test_a_connection_postgres_dropped_is_replaced_not_an_error(
    dagster_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOODSEED_DAGSTER_PG_URL", dagster_url(dagster_db))
    dev = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())["storage"]
    with instance_with(dev, tmp_path) as instance:
        storage_calls(instance)
        admin = create_engine(dagster_db, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                dropped = int(
                    conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).scalar_one()
                )
        finally:
            admin.dispose()
        assert dropped >= 1  # the pool's connections were open, and are gone now
        storage_calls(instance)
