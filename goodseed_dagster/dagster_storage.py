"""Dagster's Postgres storage with its connections kept: the instance storage of `make demo`, the bench and
docker compose.

dagster-postgres opens a new connection for every storage call (SQLAlchemy NullPool) everywhere but in the
webserver. A seller's run writes ~35 events and reads its checks' history: ~150 connections, each a new
Postgres backend (~3 ms here), and the daemon does the same twice a second for the run queue. This is that
storage with one pooled connection per storage, as Dagster's webserver keeps, checked before use so a
restarted Postgres costs a reconnect, not a failed call. Same tables, same migrations: the stock
`storage: postgres:` (Helm) and this read and write the same database.
"""

from __future__ import annotations

import weakref
from typing import Any

from dagster._core.storage.config import PostgresStorageConfig
from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import create_pg_engine, get_token_provider_from_config, pg_url_from_config

POOL_SIZE = 1  # per storage (runs, events, schedules) and process; concurrent callers get overflow ones
MAX_OVERFLOW = -1  # unbounded, as stock: a busy pool opens another (closed when returned), never makes a call wait
POOL_RECYCLE_S = 3600


class PooledPostgresStorage(DagsterPostgresStorage):
    """`storage: postgres:` with a connection pool in every process; configured exactly like it."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True, **kwargs: Any) -> None:
        super().__init__(postgres_url, should_autocreate_tables, **kwargs)
        for storage in (self._run_storage, self._event_log_storage, self._schedule_storage):
            storage._engine.dispose()
            storage._engine = create_pg_engine(
                postgres_url,
                storage._token_provider,
                isolation_level="AUTOCOMMIT",
                pool_size=POOL_SIZE,
                max_overflow=MAX_OVERFLOW,
                pool_recycle=POOL_RECYCLE_S,
                pool_pre_ping=True,
            )
            # closed with the storage: the instance's dispose() leaves engines alone
            weakref.finalize(storage, storage._engine.dispose)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: PostgresStorageConfig
    ) -> PooledPostgresStorage:
        return cls(
            pg_url_from_config(config_value),
            bool(config_value.get("should_autocreate_tables", True)),
            inst_data=inst_data,
            token_provider=get_token_provider_from_config(config_value),
        )
