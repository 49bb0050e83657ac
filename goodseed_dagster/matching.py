"""`goodseed match PATH.csv`: each row's strain_key, by the rules the strain_catalogue asset uses.

The rows go through the offers' own text rules (normalize.offers.offer_names: breeder, strain name, sex,
flowering → match key) and the catalogue's entity resolution (normalize.catalogue.resolve_strains), so a
CSV of other shops' names is matched exactly as the pipeline would match their offers. No database: no
curated aliases and no existing keys to prefer. A bad row gets a stderr line and an empty key; the others
still match.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import polars as pl

from goodseed_dagster.normalize.catalogue import resolve_strains
from goodseed_dagster.normalize.offers import MAX_KEY_BYTES, offer_names

REQUIRED = ("seller", "name")
TEXT_COLUMNS = ("name", "breeder", "variant", "labels")  # LISTING columns the rules read, when present
_SNIFF_BYTES = 8192


class MatchInputError(ValueError):
    """The file cannot be matched at all (missing, not a CSV, a required column missing)."""


@dataclass(frozen=True, slots=True)
class CsvRows:
    header: list[str]
    rows: list[list[str]]
    bad: dict[int, str]  # row index -> why it gets no key


def read_rows(path: Path) -> CsvRows:
    """The CSV's header and rows; rows that are not well-formed are listed in `bad` with the reason."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MatchInputError(f"{path}: no such file") from None
    except OSError as e:
        raise MatchInputError(f"{path}: {e.strerror or e}") from None
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise MatchInputError(f"{path}: not a CSV file (binary content)")
    text = data.decode("utf-8-sig", errors="replace")  # a bad byte spoils its row, not the file
    limit = csv.field_size_limit(len(text) + 1)  # a long field is a bad row, not a parse error
    try:
        parsed = list(csv.reader(text.splitlines(keepends=True), strict=True))
    except csv.Error as e:
        raise MatchInputError(f"{path}: not a CSV file ({e})") from None
    finally:
        csv.field_size_limit(limit)
    if not parsed or not any(field.strip() for field in parsed[0]):
        raise MatchInputError(f"{path}: not a CSV file (no header)")
    header = [field.strip() for field in parsed[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise MatchInputError(f"{path}: missing required column(s): {', '.join(missing)} (header: {header})")
    rows, bad = [row for row in parsed[1:] if row], {}
    for i, row in enumerate(rows):
        if len(row) != len(header):
            bad[i] = f"{len(row)} fields, the header has {len(header)} (written padded or cut to fit)"
        elif any("\ufffd" in field for field in row):
            bad[i] = "not valid UTF-8"
    return CsvRows(header, rows, bad)


def strain_keys(frame: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """(strain_key, why a row has none) of each row of `frame` (string columns, at least TEXT_COLUMNS'
    name): null keys for rows the offers' rules would quarantine for their name."""
    names = offer_names(frame)
    why = (
        pl.when(pl.col("title").is_null() | pl.col("no_name"))
        .then(pl.lit("no strain name"))
        .when(pl.col("long_match"))
        .then(pl.lit(f"breeder and name longer than {MAX_KEY_BYTES} bytes"))
    )
    names = names.with_columns(why=why)
    good = names.filter(pl.col("why").is_null())
    mapping, _ = resolve_strains(
        good.select("match_key", pl.col("breeder_name").alias("breeder"), "strain_name")
    )
    keyed = names.join(mapping, on="match_key", how="left", maintain_order="left")
    key = pl.when(pl.col("why").is_null()).then(pl.col("strain_key"))
    return keyed.select(key)["strain_key"], keyed["why"]


def match_rows(table: CsvRows) -> tuple[list[str | None], dict[int, str]]:
    """Each row's strain key (None: no key) and the reason of every row without one."""
    bad = dict(table.bad)
    width = len(table.header)
    cells = [row if len(row) == width else [""] * width for row in table.rows]
    columns = {c: [row[table.header.index(c)].strip() or None for row in cells] for c in table.header}
    for i in range(len(cells)):
        if i not in bad and not (columns["seller"][i] and columns["name"][i]):
            bad[i] = "no seller" if not columns["seller"][i] else "no name"
    frame = pl.DataFrame(
        {
            c: [None if i in bad else v for i, v in enumerate(columns[c])]
            for c in TEXT_COLUMNS
            if c in columns
        },
        schema={c: pl.String for c in TEXT_COLUMNS if c in columns},
    )
    keys, why = strain_keys(frame)
    for i, reason in enumerate(why.to_list()):
        if reason is not None and i not in bad:
            bad[i] = reason
    return [None if i in bad else k for i, k in enumerate(keys.to_list())], bad


def run_match(path: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Write the CSV's rows with a strain_key column to `out` (stdout); 1 when the file cannot be
    matched."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        table = read_rows(Path(path))
    except MatchInputError as e:
        print(f"goodseed match: {e}", file=err)
        return 1
    keys, bad = match_rows(table)
    for i in sorted(bad):
        print(f"goodseed match: {path}: record {i + 1}: {bad[i]}; no strain_key", file=err)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*table.header, "strain_key"])
    width = len(table.header)
    for row, key in zip(table.rows, keys, strict=True):
        writer.writerow([*row[:width], *[""] * (width - len(row)), key or ""])
    return 0
