"""`goodseed demo` as people run it: a real subprocess, real ports, real Postgres, the UI in Chromium."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import text

from goodseed_dagster.code_server import free_port
from goodseed_dagster.db import embedded
from goodseed_dagster.db.engine import _with_driver, dagster_database, engine_for
from goodseed_dagster.market import Market

pytestmark = pytest.mark.slow
GOODSEED = str(Path(sys.executable).parent / "goodseed")
SIZE = 25


SENSORS = """{ sensorsOrError(repositorySelector: {repositoryLocationName: "goodseed", repositoryName: "__repository__"})
 { ... on Sensors { results { name sensorState { status } } } } }"""



def demo_env(home: Path, new_database: Callable[[], str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOODSEED_", "DAGSTER_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        GOODSEED_HOME=str(home),
        GOODSEED_UI_PORT=str(free_port()),
        GOODSEED_API_PORT=str(free_port()),
        GOODSEED_MARKET_PORT=str(free_port()),
        GOODSEED_POLITE="false",  # politeness is measured in test_crawl_resilience, not here
    )
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = new_database()
    return env


def db_url(home: Path, env: dict[str, str]) -> str:
    return env.get("DATABASE_URL") or _with_driver(embedded.start(home / "pgdata"), "psycopg")


@pytest.fixture
def home(tmp_home: Path) -> Iterator[Path]:
    yield tmp_home
    embedded.stop(tmp_home / "pgdata")


def test_demo_twice_adds_history_only_for_what_the_market_changed(
    home: Path, new_database: Callable[[], str]
) -> None:
    env = demo_env(home, new_database)
    received: list[int] = []
    for day in (0, 1):
        run = subprocess.run(
            [GOODSEED, "demo", "--no-serve", "--products-per-shop", str(SIZE)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert re.search(rf"^market day +{day}$", run.stdout, re.MULTILINE)
        assert not embedded.is_running(home / "pgdata"), run.stdout[-2000:]
        # the demo's down seller fails alone; the local receiver gets its run-failure alert once a day
        assert "closed-shop: raw_pages" in run.stdout
        alerts = re.search(r"^alerts received by json://127\.0\.0\.1:\d+/alerts: (\d+)$", run.stdout, re.M)
        assert alerts, run.stdout[-2000:]
        received.append(int(alerts.group(1)))
        if day == 0:
            assert re.search(r"^  \[closed-shop\] run .*failed", run.stdout, re.M), run.stdout[-2000:]
            # the demo's users: a target reached at once, by email and by a signed webhook
            mails = re.search(r"^  emails at the local SMTP sink: (\d+) \(saved in (.+)\)$", run.stdout, re.M)
            hooks = re.search(r"^  webhooks received, signature verified: (\d+)$", run.stdout, re.M)
            assert mails and hooks and int(mails.group(1)) >= 1 and int(hooks.group(1)) >= 1, run.stdout[-3000:]
    saved = list((home / "mail").glob("*.eml"))  # every mail of both runs, once each
    assert len(saved) >= 1 and len({p.name for p in saved}) == len(saved)
    assert (home / "market_day").read_text() == "1"
    diff = Market(products_per_shop=SIZE).diff(0, 1)
    engine = engine_for(db_url(home, env))
    with engine.connect() as conn:
        second = conn.execute(
            text("SELECT min(id) FROM core.crawls WHERE id > (SELECT max(id) / 2 FROM core.crawls)")
        )
        first_of_day1 = int(second.scalar_one())
        added: int = conn.execute(
            text("SELECT count(*) FROM core.price_history WHERE crawl_id >= :c"), {"c": first_of_day1}
        ).scalar_one()
        crawls: int = conn.execute(
            text("SELECT count(*) FROM core.crawls WHERE seller <> 'closed-shop'")
        ).scalar_one()
        alert_days: int = conn.execute(
            text("SELECT count(*) FROM ops.alerts WHERE subject = 'closed-shop' AND status = 'sent'")
        ).scalar_one()
    engine.dispose()
    assert crawls == 2 * len(Market(products_per_shop=SIZE).shops)  # the down seller's retries aside
    assert received[0] == 1 and sum(received) == alert_days, "once per (kind, seller, day)"
    with engine_for(_with_driver(dagster_database(db_url(home, env)), "psycopg")).connect() as conn:
        runs: int = conn.execute(text("SELECT count(*) FROM runs WHERE status = 'SUCCESS'")).scalar_one()
    assert runs >= 2 * len(Market(products_per_shop=SIZE).shops), "Dagster's runs are kept in Postgres"
    assert added == len(diff.changed) + len(diff.appeared)
    assert re.search(rf"^price history rows added +{added}$", run.stdout, re.MULTILINE)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _render(chromium: str, url: str, home: Path) -> str:
    """The DOM after the React app ran (headless Chromium with a virtual-time budget)."""
    flags = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    profile = home / f"chromium-{abs(hash(url))}"
    run = subprocess.run(
        [
            chromium,
            *flags,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=20000",
            "--window-size=1400,4000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return run.stdout


@pytest.mark.browser
def test_demo_serves_ui_and_api_then_stops_cleanly(home: Path, new_database: Callable[[], str]) -> None:
    env = demo_env(home, new_database)
    ui, api = f"http://127.0.0.1:{env['GOODSEED_UI_PORT']}", f"http://127.0.0.1:{env['GOODSEED_API_PORT']}"
    log = home / "demo.out"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [GOODSEED, "demo", "--products-per-shop", str(SIZE)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 300
        while "ready." not in log.read_text():
            assert proc.poll() is None, log.read_text()[-4000:]
            assert time.monotonic() < deadline, "demo not ready within 5 minutes"
            time.sleep(1)
        demo = psutil.Process(proc.pid)
        family = [demo, *demo.children(recursive=True)]
        assert len(family) >= 3, "the demo runs the Dagster webserver and daemon as children"

        strains = httpx.get(f"{api}/v1/strains", params={"limit": 100}, timeout=10).json()["items"]
        assert len(strains) == 100 and all(s["sellers"] for s in strains)
        shared = next(s for s in strains if s["seller_count"] >= 2)  # matched across shops
        detail = httpx.get(f"{api}/v1/strains/{shared['id']}", timeout=10).json()
        assert len({o["seller"] for o in detail["offers"]}) >= 2, detail
        assert sum(o["is_best"] for o in detail["offers"]) == 1, detail

        query = "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }"
        ws = httpx.post(f"{ui}/graphql", json={"query": query}, timeout=30).json()
        entries = ws["data"]["workspaceOrError"]["locationEntries"]
        assert [(e["name"], e["locationOrLoadError"]["__typename"]) for e in entries] == [
            ("goodseed", "RepositoryLocation")
        ]

        sensors = httpx.post(f"{ui}/graphql", json={"query": SENSORS}, timeout=30).json()
        states = {s["name"]: s["sensorState"]["status"] for s in sensors["data"]["sensorsOrError"]["results"]}
        assert states.get("automation") == "RUNNING", states

        chromium = _chromium()
        if chromium is None:
            if os.environ.get("CI"):
                pytest.fail("chromium is missing in CI: `make test` installs Debian's chromium")
        else:
            # the lineage page draws the asset graph (one box per group); the catalog lists every asset
            graph = _render(chromium, f"{ui}/asset-groups", home)
            for group in ("sources", "crawl", "extract", "offers", "catalogue", "marts"):
                assert f">{group}<" in graph, f"group {group} not drawn in the asset graph"
            catalog = _render(chromium, f"{ui}/assets", home)
            for asset in (
                "seller_sources",
                "raw_pages",
                "listings",
                "offers",
                "fx_rates",
                "strain_catalogue",
            ):
                assert asset in catalog, f"{asset} missing from the asset catalog"
            for page in (graph, catalog):
                assert "PythonError" not in page and "Failed to load" not in page
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, log.read_text()[-3000:]
    time.sleep(0.5)
    assert [p.pid for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    assert not embedded.is_running(home / "pgdata")
    for url in (ui, api):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=2)
