"""The Definitions load from one Settings value: every asset, check, job, schedule and sensor resolves,
resources never read the environment, secrets stay EnvVars, and a dbt source without meta cannot break
loading. The cores stay Dagster-free."""

from __future__ import annotations

import ast
import copy
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from goodseed_dagster import dbt_project
from goodseed_dagster.definitions import build_defs, defs
from goodseed_dagster.resources import build_resources
from goodseed_dagster.sensors import source_changes
from goodseed_dagster.settings import Settings

PACKAGE = Path(__file__).resolve().parents[1] / "goodseed_dagster"
SECRET = "s3cr{{et}}'"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("home")
    return Settings(home=home, database_url=None, sources_file=home / "sellers.yaml", archive_dir=None)


@pytest.fixture(scope="module")
def built(settings: Settings) -> dg.Definitions:
    return build_defs(settings)


def test_definitions_resolve(built: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(built)
    graph = built.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"seller_sources", "raw_pages", "listings", "offers", "fx_rates", "strain_catalogue"} <= keys
    checks = {c.name for c in graph.asset_check_keys}
    assert {"listing_count_stable", "offers_expectations", "sources_config_valid"} <= checks
    assert {c.name for c in graph.asset_check_keys if graph.get_check_spec(c).blocking} >= {
        "listing_count_stable"
    }
    assert {j.name for j in built.jobs or []} >= {"crawl_sellers", "reparse_seller", "refresh_catalogue"}
    for name in ("crawl_sellers", "reparse_seller", "refresh_catalogue"):
        assert built.resolve_job_def(name) is not None
    assert {s.name for s in built.schedules or []} == {
        "daily_crawl_sellers",
        "every_30m_clean_up",
        "weekly_maintain_database",
        "daily_back_up_database",
        "weekly_export_marts",
        "every_5m_deliver_notifications",
        "weekly_digest_schedule",
    }
    assert {s.name for s in built.sensors or []} >= {"seller_sources_sensor", "automation"}


def test_code_location_entry_point_builds_the_definitions() -> None:
    """workspace.yaml loads `defs` (a @dg.definitions function): it must build from the environment."""
    loaded = defs()
    assert isinstance(loaded, dg.Definitions)
    assert {"dbt", "pg", "store", "http"} <= set(loaded.resources or {})


def test_dbt_models_are_grouped_and_sources_map_through_their_meta(built: dg.Definitions) -> None:
    graph = built.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {k for k, g in groups.items() if g == "staging"} == {
        "stg_core__offers",
        "stg_core__sellers",
        "stg_core__strains",
        "stg_core__price_history",
        "stg_core__crawls",
        "stg_core__quarantine",
        "stg_core__strain_aliases",
    }
    assert {
        "dim_strain",
        "dim_seller",
        "fct_offer_current",
        "best_price_per_strain",
        "strain_search",
        "fct_price_daily",
        "price_drops",
        "seller_health",
        "data_version",
    } <= {k for k, g in groups.items() if g == "marts"}
    staging = [k for k, g in groups.items() if g == "staging"]
    parents = {
        name: {p.to_user_string() for p in graph.get(dg.AssetKey(name)).parent_keys} for name in staging
    }
    assert parents == {  # several tables may name one writer (offers writes offers, history and quarantine)
        "stg_core__sellers": {"seller_sources"},
        "stg_core__offers": {"offers", "strain_catalogue"},  # the catalogue links offers to strains
        "stg_core__strains": {"strain_catalogue"},
        "stg_core__price_history": {"offers"},
        "stg_core__quarantine": {"offers"},
        "stg_core__crawls": {"offers"},
        "stg_core__strain_aliases": {"core/strain_aliases"},  # curated by hand: no asset writes it
    }
    # dbt tests stay asset checks, on staging and marts alike
    checked = {k.asset_key.to_user_string() for k in graph.asset_check_keys}
    assert {"stg_core__offers", "dim_strain"} <= checked


def test_translator_defaults_a_source_without_meta() -> None:
    from goodseed_dagster.assets.marts import GoodSeedTranslator

    props: dict[str, Any] = {"resource_type": "source", "source_name": "core", "name": "fx_rates"}
    assert GoodSeedTranslator().get_asset_key({**props, "meta": {}, "config": {}}) == dg.AssetKey(
        ["core", "fx_rates"]
    )
    with_meta = {**props, "meta": {}, "config": {"meta": {"dagster": {"asset_key": ["fx_rates"]}}}}
    assert GoodSeedTranslator().get_asset_key(with_meta) == dg.AssetKey("fx_rates")


def test_a_new_source_without_meta_does_not_break_loading() -> None:
    """A source table added to __sources.yml without meta, used by a model, still loads."""
    from dagster_dbt import dbt_assets

    from goodseed_dagster.assets.marts import GoodSeedTranslator

    manifest = json.loads(dbt_project.require_manifest().read_text())
    source_id = "source.goodseed.core.fx_rates"
    manifest["sources"][source_id] = {
        **copy.deepcopy(manifest["sources"]["source.goodseed.core.offers"]),
        "unique_id": source_id,
        "name": "fx_rates",
        "identifier": "fx_rates",
        "meta": {},
        "config": {"enabled": True, "meta": {}},
    }
    model = manifest["nodes"]["model.goodseed.stg_core__offers"]
    model["depends_on"]["nodes"].append(source_id)

    @dbt_assets(manifest=manifest, dagster_dbt_translator=GoodSeedTranslator())
    def models() -> Iterator[Any]:
        yield from ()

    loaded = dg.Definitions(assets=[models])
    dg.Definitions.validate_loadable(loaded)
    parents = loaded.resolve_asset_graph().get(dg.AssetKey("stg_core__offers")).parent_keys
    assert parents == {
        dg.AssetKey("offers"),
        dg.AssetKey("strain_catalogue"),
        dg.AssetKey(["core", "fx_rates"]),
    }


def test_resources_come_from_settings_without_touching_the_environment(tmp_path: Path) -> None:
    before = dict(os.environ)
    settings = Settings(
        home=tmp_path,
        archive_dir=None,
        sources_file=None,
        database_url=SecretStr(f"postgresql://goodseed:{SECRET}@db.example/goodseed"),
        s3_bucket="archive-bucket",
        fx_url="http://127.0.0.1:9/fx.xml",
        base_currency="USD",
        max_crawl_delay_s=5.0,
        crawl_deadline_s=600.0,
        page_budget_s=0.5,
        polite=False,
    )
    resources = build_resources(settings)
    assert dict(os.environ) == before
    pg = resources["pg"]
    assert isinstance(pg.url, dg.EnvVar) and pg.url.env_var_name == "DATABASE_URL"
    assert all(SECRET not in repr(r) for r in resources.values())
    assert resources["store"].s3_bucket == "archive-bucket"
    assert resources["store"].root == str(tmp_path / "archive")
    http = resources["http"]
    assert (http.fx_url, http.base_currency) == ("http://127.0.0.1:9/fx.xml", "USD")
    assert http.sources_file == str(tmp_path / "sources.yaml")
    options = http.crawl_options()
    assert (options.max_crawl_delay_s, options.deadline_s, http.page_budget_s, http.polite) == (
        5.0,
        600.0,
        0.5,
        False,
    )
    # no DATABASE_URL: the embedded server under the settings' home
    local = build_resources(Settings(home=tmp_path, database_url=None))["pg"]
    assert (local.url, local.home) == (None, str(tmp_path))


def test_dbt_runs_with_a_private_profile_that_renders_the_exact_credentials() -> None:
    from dbt.config.renderer import ProfileRenderer

    url = make_url("postgresql+psycopg://us%40er:s3cr%7B%7Bet%7D%7D%27@/goodseed_test?host=/tmp/pg%20sock")
    with dbt_project.profiles_dir(url) as profiles:
        path = profiles / "profiles.yml"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(profiles.stat().st_mode) == 0o700
        profile = yaml.safe_load(path.read_text())
    assert not profiles.exists()
    target = ProfileRenderer({}).render_data(profile["goodseed"]["outputs"]["default"])
    assert {k: target[k] for k in ("host", "port", "user", "password", "dbname", "type")} == {
        "host": "/tmp/pg sock",
        "port": 5432,
        "user": "us@er",
        "password": SECRET,
        "dbname": "goodseed_test",
        "type": "postgres",
    }


def test_a_dbt_build_hands_its_parse_state_on_and_leaves_no_target_dir(tmp_path: Path) -> None:
    """dbt reparses the whole project when the connection differs from its parse state's (`dbt parse` for
    the manifest never has the run's): the next build must start from the last good build's state."""
    url = make_url("postgresql+psycopg://builder@/goodseed_elsewhere?host=/tmp/nowhere")
    state = tmp_path / "state"
    state.mkdir()

    def parse(target: Path) -> str:  # a build as dagster-dbt runs it: own target dir, the state copied in
        target.mkdir()
        if (state / dbt_project.PARTIAL_PARSE).exists():
            shutil.copyfile(state / dbt_project.PARTIAL_PARSE, target / dbt_project.PARTIAL_PARSE)
        with dbt_project.profiles_dir(url) as profiles:
            args = ["parse", "--project-dir", str(dbt_project.DBT_DIR), "--profiles-dir", str(profiles)]
            env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
            run = subprocess.run(
                [dbt_project.DBT_EXECUTABLE, *args, "--target-path", str(target)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
        return run.stdout

    with dbt_project.build_target(tmp_path / "first", state):
        assert "Unable to do partial parsing" in parse(tmp_path / "first")
    assert not (tmp_path / "first").exists() and (state / dbt_project.PARTIAL_PARSE).exists()
    kept = (state / dbt_project.PARTIAL_PARSE).read_bytes()

    with pytest.raises(RuntimeError), dbt_project.build_target(tmp_path / "failed", state):
        (tmp_path / "failed").mkdir()
        (tmp_path / "failed" / dbt_project.PARTIAL_PARSE).write_bytes(b"a failed build's state")
        raise RuntimeError("dbt build failed")
    assert not (tmp_path / "failed").exists()
    assert (state / dbt_project.PARTIAL_PARSE).read_bytes() == kept  # only a good build hands it on

    with dbt_project.build_target(tmp_path / "second", state):
        assert "Unable to do partial parsing" not in parse(tmp_path / "second")


def test_the_dbt_resource_knows_the_cli_version_dbt_itself_reports(built: dg.Definitions) -> None:
    """DbtResource skips dagster-dbt's `dbt --version` per build: it must say what dbt would."""
    from goodseed_dagster.resources.dbt import DbtResource

    resource = (built.resources or {})["dbt"]
    assert isinstance(resource, DbtResource)
    # `dbt --version` itself asks PyPI for the latest release: ask the interpreter the dbt script runs on
    interpreter = Path(resource.dbt_executable).read_text().splitlines()[0].removeprefix("#!").strip()
    ask = [
        interpreter,
        "-c",
        "from dbt.version import get_installed_version as v; print(v().to_version_string(skip_matcher=True))",
    ]
    reported = subprocess.run(ask, capture_output=True, text=True, check=True).stdout.strip()
    assert str(resource._cli_version) == reported


def test_a_missing_manifest_fails_with_how_to_prepare_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbt_project, "MANIFEST", tmp_path / "manifest.json")
    with pytest.raises(dbt_project.ManifestError, match="make manifest"):
        dbt_project.require_manifest()


def test_seller_partitions_are_dynamic(built: dg.Definitions) -> None:
    graph = built.resolve_asset_graph()
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
