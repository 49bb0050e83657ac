"""Metadata helpers so every asset tells its story in the Dagster UI."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import dagster as dg
import polars as pl

from goodseed_dagster.errors import GoodSeedError


def md_preview(frame: pl.DataFrame, rows: int = 10) -> dg.MarkdownMetadataValue:
    if frame.is_empty():
        return dg.MetadataValue.md("_(no rows)_")
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=rows,
        tbl_cols=-1,
        fmt_str_lengths=60,
    ):
        return dg.MetadataValue.md(str(frame.head(rows)))


def md_table(rows: Mapping[str, object], header: tuple[str, str] = ("", "")) -> dg.MarkdownMetadataValue:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows.items())]
    return dg.MetadataValue.md("\n".join(lines))


def fill_rates(frame: pl.DataFrame, columns: list[str]) -> dict[str, float]:
    """Share of rows (0–1) where each column is set: the extraction scorecard."""
    if frame.is_empty():
        return {c: 0.0 for c in columns}
    return {c: round(1 - frame[c].null_count() / frame.height, 4) for c in columns}


@contextmanager
def stage_errors() -> Iterator[None]:
    """A core's GoodSeedError becomes one dg.Failure, retryable when the core says a retry may help."""
    try:
        yield
    except GoodSeedError as e:
        raise dg.Failure(str(e), allow_retries=e.retryable) from e
