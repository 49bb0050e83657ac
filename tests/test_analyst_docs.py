"""Every example query in docs/analysts.md runs as goodseed_analyst on marts built from the crawled market and
returns rows: the guide cannot drift from the tables, nor ask for more than the analyst role may read."""

from __future__ import annotations

import re

import psycopg
import pytest
from pipeline_harness import DBT_MODELS, Pipeline

from goodseed_dagster.db.engine import libpq_url
from goodseed_dagster.db.roles import ANALYST_ROLE, set_logins
from goodseed_dagster.settings import PROJECT_ROOT

GUIDE = PROJECT_ROOT / "docs" / "analysts.md"
PASSWORD = "analyst-docs"


def sql_blocks() -> list[str]:
    return re.findall(r"^```sql\n(.*?)^```", GUIDE.read_text(), flags=re.S | re.M)


def test_the_guide_answers_at_least_six_questions_and_names_every_mart() -> None:
    assert len(sql_blocks()) >= 6
    text = GUIDE.read_text()
    for mart in ("strain_search", "fct_offer_current", "fct_price_daily", "price_drops", "seller_health"):
        assert f"marts.{mart}" in text


def test_every_example_query_returns_rows_as_the_analyst(crawled: Pipeline) -> None:
    assert crawled.materialize(DBT_MODELS).success
    url = crawled.engine.url.render_as_string(hide_password=False)
    set_logins(url, {ANALYST_ROLE: PASSWORD})
    empty = []
    with psycopg.connect(libpq_url(url), user=ANALYST_ROLE, password=PASSWORD, autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (ANALYST_ROLE,)
        for query in sql_blocks():
            try:
                rows = conn.execute(query).fetchall()
            except psycopg.Error as e:
                pytest.fail(f"{e}\n{query}")
            if not rows:
                empty.append(query)
    assert empty == []
