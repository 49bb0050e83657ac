"""The Postgres resource: DATABASE_URL, or the embedded server under GOODSEED_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr, SecretStr
from sqlalchemy import Connection, Engine

from goodseed_dagster.db.engine import database_url, engine_for
from goodseed_dagster.settings import Settings


class Postgres(dg.ConfigurableResource):
    """System of record. `url` (SQLAlchemy, psycopg 3) wins; otherwise the embedded server is started."""

    url: str | None = None
    home: str = ".goodseed"
    _engine: Engine | None = PrivateAttr(default=None)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            resolved = database_url(
                Settings(database_url=SecretStr(self.url) if self.url else None, home=Path(self.home))
            )
            self._engine = engine_for(resolved)
        return self._engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: everything inside commits together or not at all."""
        with self.engine.begin() as conn:
            yield conn
