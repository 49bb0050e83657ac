"""Hash-first grouping and duplicate finding give exactly what the values themselves give, also when
every hash collides."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import pytest

from goodseed_dagster.normalize.hashing import distinct, duplicated

FRAMES = [
    pl.DataFrame({"k": ["a", "b", "a", None, "c", None, "b#1", ""]}),
    pl.DataFrame({"k": ["a", None, "b"]}),  # one null: not a duplicate
    pl.DataFrame({"k": []}, schema={"k": pl.String}),
]


@pytest.fixture(params=["hashes", "one hash"])
def hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param == "one hash":

        def one_hash(columns: Sequence[str]) -> pl.Expr:
            return pl.col(columns[0]).hash() * 0

        monkeypatch.setattr("goodseed_dagster.normalize.hashing.row_hash", one_hash)


@pytest.mark.usefixtures("hashes")
@pytest.mark.parametrize("frame", FRAMES)
def test_duplicated_is_is_duplicated(frame: pl.DataFrame) -> None:
    assert duplicated(frame, "k").to_list() == frame["k"].is_duplicated().to_list()


@pytest.mark.usefixtures("hashes")
def test_distinct_rows_and_each_rows_index() -> None:
    rows = pl.DataFrame({"a": ["x", "x", None, "x", None, ""], "b": ["1", "2", None, "1", None, None]})
    found, index = distinct(rows)
    assert found.height == 4
    assert found.unique().height == 4
    assert found[index].to_dicts() == rows.to_dicts()
