"""Bulk loading with COPY: a polars frame streamed as CSV into a table (10× faster than INSERTs)."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
from sqlalchemy import Connection, text


def psycopg_connection(conn: Connection) -> Any:
    """The psycopg 3 connection under a SQLAlchemy connection (same transaction)."""
    return conn.connection.driver_connection


def copy_frame(conn: Connection, table: str, frame: pl.DataFrame) -> int:
    """COPY `frame` into `table` (columns by name) inside the caller's transaction; returns rows."""
    if frame.is_empty():
        return 0
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False, null_value="\\N", quote_style="necessary")
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with (
        psycopg_connection(conn).cursor() as cur,
        cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
    ):
        copy.write(buf.getvalue())
    return frame.height


def temp_table_like(conn: Connection, name: str, like: str, columns: list[str] | None = None) -> None:
    """An ON COMMIT DROP staging table shaped like `like` (or a subset of its columns)."""
    conn.execute(text(f"DROP TABLE IF EXISTS pg_temp.{name}"))
    if columns is None:
        conn.execute(text(f"CREATE TEMP TABLE {name} (LIKE {like}) ON COMMIT DROP"))
    else:
        cols = ", ".join(f'"{c}"' for c in columns)
        conn.execute(
            text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {cols} FROM {like} WITH NO DATA")
        )
