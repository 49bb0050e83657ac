"""The Definitions load: every asset, check, job, schedule and sensor resolves; the cores stay Dagster-free."""

from __future__ import annotations

import ast
from pathlib import Path

import dagster as dg

from goodseed_dagster.definitions import defs
from goodseed_dagster.sensors import source_changes

PACKAGE = Path(__file__).resolve().parents[1] / "goodseed_dagster"


def test_definitions_resolve() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"seller_sources", "raw_pages", "listings", "offers", "fx_rates", "strain_catalogue"} <= keys
    checks = {c.name for c in graph.asset_check_keys}
    assert {"prices_positive", "sources_config_valid"} <= checks
    assert {j.name for j in defs.jobs or []} >= {"crawl_sellers", "reparse_seller", "refresh_catalogue"}
    for name in ("crawl_sellers", "reparse_seller", "refresh_catalogue"):
        assert defs.resolve_job_def(name) is not None
    assert {s.name for s in defs.schedules or []} == {"daily_crawl_sellers", "daily_refresh_catalogue"}
    assert {s.name for s in defs.sensors or []} >= {"seller_sources_sensor"}


def test_seller_partitions_are_dynamic() -> None:
    graph = defs.resolve_asset_graph()
    for key in ("raw_pages", "listings", "offers"):
        partitions = graph.get(dg.AssetKey(key)).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name == "sellers"


def test_source_changes_is_a_pure_diff() -> None:
    assert source_changes({"a": "1", "b": "2"}, {"b", "c"}) == (["a"], ["c"])
    assert source_changes({}, set()) == ([], [])


def test_plain_cores_never_import_dagster() -> None:
    offenders = []
    for core in ("scraping", "normalize", "notify", "market"):
        for path in (PACKAGE / core).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                )
                if any(n == "dagster" or n.startswith(("dagster.", "dagster_")) for n in names):
                    offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []
