"""Grouping and duplicate finding over a million text values: by a hash of the values first (a table of
8-byte hashes costs a fraction of a table of the strings), then checked against the values themselves, so
the result is exact whatever the hashes do."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def row_hash(columns: Sequence[str]) -> pl.Expr:
    return pl.struct(columns).hash()


def distinct(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """The distinct rows of `rows`, and each row's index among them. Grouped by the rows' hashes and checked
    against the rows; on a collision, grouped by the rows themselves."""
    hashed = rows.select(hash=row_hash(rows.columns)).with_row_index("first")
    firsts = hashed.unique("hash", keep="any").with_row_index("index")
    index = hashed.join(firsts.drop("first"), on="hash", how="left", maintain_order="left")["index"]
    found = rows[firsts["first"]]
    if all(rows[c].equals(found[c].gather(index), null_equal=True) for c in rows.columns):
        return found, index
    numbered = rows.unique().with_row_index("index")
    joined = rows.join(numbered, on=rows.columns, how="left", nulls_equal=True, maintain_order="left")
    return numbered.drop("index"), joined["index"]


def duplicated(frame: pl.DataFrame, column: str) -> pl.Series:
    """frame[column].is_duplicated(): the values compared only where their hashes repeat."""
    maybe = frame.select(row_hash([column]).is_duplicated()).to_series().arg_true()
    exact = frame[column].gather(maybe).is_duplicated()
    return pl.zeros(frame.height, dtype=pl.Boolean, eager=True).scatter(maybe.filter(exact), True)
