"""schema.py is the one declaration of listings, facts and offers: the extraction model, the `goodseed extract`
record and the tables the migrations create all agree with it."""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import create_engine, text

from goodseed_dagster.extraction import StatedOffer
from goodseed_dagster.schema import FACTS, FX, LISTING, OFFER, Column
from goodseed_dagster.scraping.models import STATED, RawOffer

_PYTHON = {
    str: pl.String,
    int: pl.Int64,
    bool: pl.Boolean,
    Decimal: pl.Decimal,
    date: pl.Date,
    datetime: pl.Datetime,
}
# Postgres data_type -> polars dtype class: the "type family" a column must keep
_POSTGRES = {
    "text": pl.String,
    "character": pl.String,
    "integer": pl.Int64,
    "bigint": pl.Int64,
    "numeric": pl.Decimal,
    "boolean": pl.Boolean,
    "date": pl.Date,
    "timestamp with time zone": pl.Datetime,
}


def _hint(cls: type, name: str) -> tuple[type, bool]:
    """(the Python type, nullable) of a dataclass field's annotation `X | None`."""
    hint = typing.get_type_hints(cls)[name]
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return next(a for a in args if a is not type(None)), type(None) in args


def _assert_model_matches(cls: type, columns: list[Column]) -> None:
    for column in columns:
        python, nullable = _hint(cls, column.name)
        assert (_PYTHON[python], nullable) == (column.dtype.base_type(), column.nullable), column.name


def test_raw_offer_is_a_listing_row() -> None:
    model = [f.name for f in fields(RawOffer)]
    assert set(model) - {"extra"} == set(LISTING.names) - {"page_url", "evidence"}  # listing_frame adds both
    _assert_model_matches(RawOffer, [c for c in LISTING.columns if c.name not in ("page_url", "evidence")])
    assert LISTING.stated == STATED  # reconcile's field list


def test_goodseed_extract_record_is_the_facts_in_order() -> None:
    model = [f.name for f in fields(StatedOffer)]
    assert model[: len(FACTS.names)] == FACTS.names
    _assert_model_matches(StatedOffer, list(FACTS.columns))


def test_frames_hold_exactly_the_schema() -> None:
    rows: list[dict[str, Any]] = [{"page_url": "p", "url": "u", "price": Decimal("1.5"), "extra": {"x": "y"}}]
    frame = LISTING.frame(rows)
    assert frame.schema == pl.Schema(LISTING.schema) and frame["price"][0] == Decimal("1.5")
    assert LISTING.conform(pl.DataFrame({"url": ["u"], "price": [2.25]})).schema == pl.Schema(LISTING.schema)


def _db_columns(url: str, table: str) -> dict[str, tuple[str, bool, int | None, int | None]]:
    schema, name = table.split(".")
    with create_engine(url).connect() as conn:
        rows = conn.execute(
            text("""SELECT column_name, data_type, is_nullable = 'YES', numeric_precision, numeric_scale
                    FROM information_schema.columns WHERE table_schema = :s AND table_name = :t"""),
            {"s": schema, "t": name},
        )
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def test_tables_the_migrations_create_match_the_schema(fresh_pg_url: str) -> None:
    for table in (LISTING, OFFER, FX):
        assert table.table is not None
        db = _db_columns(fresh_pg_url, table.table)
        declared = [*table.columns, *table.keys, *table.maintained]
        assert set(db) == {c.name for c in declared}, table.table
        for c in declared:
            data_type, nullable, precision, scale = db[c.name]
            assert (_POSTGRES[data_type], nullable) == (c.dtype.base_type(), c.nullable), (
                table.table,
                c.name,
            )
            if isinstance(c.dtype, pl.Decimal):
                assert (precision, scale) == (c.dtype.precision, c.dtype.scale), (table.table, c.name)
