"""Refresh benchmark: the whole daily refresh through the Dagster daemon, queued runs, Postgres storage.

    python bench/refresh.py [--sellers 50] [--offers 2000] [--concurrency 2] [--timeout 1800] [--keep]

1. Setup (not timed): a fresh GOODSEED_HOME under .goodseed/bench-refresh (embedded Postgres inside the
   project), migrations, the dbt manifest; the simulated market in this process with --sellers shops:
   the market's 9 shops cycled under distinct slugs (greenleaf-01, budbox-01, ..., greenleaf-02, ...),
   each alias a shop of its own (the catalogue is seeded by the slug, so every seller has different
   products, pages and prices), products_per_shop sized so a seller lists --offers offers on average.
   sources.yaml lists them; seller_sources and fx_rates are materialized once in process and the seller
   partitions added, as on a deployment that has run before (its first crawl, though: every offer new).
   Bytecode for the venv and the project under .goodseed/pycache, as an installed deployment has it
   (--no-bytecode: every process compiles from source, this environment's PYTHONDONTWRITEBYTECODE default).
2. DAGSTER_HOME with the project's dagster.yaml (QueuedRunCoordinator, one run per partition, storage on
   the embedded server's `_dagster` database), max_concurrent_runs = --concurrency; a code server and
   `dagster-daemon run` on it as children (as `goodseed demo`, no webserver), GOODSEED_POLITE=false, and the crawl cron set to the next whole minute at
   least 90 s away, so the daemon's scheduler fires `daily_crawl_sellers` (one run per seller) and the
   automation sensor everything after it (sources, FX, catalogue, dbt models), exactly as at 02:00.
3. Timed: from the cron tick to the last run of the refresh finished (the crawl runs and the runs automation
   started), once every crawl run has ended, the marts built from the offers were materialized after the last
   crawl and no run came for 75 s (bounded by --timeout). The periodic jobs (notification delivery every
   5 minutes, housekeeping) run on their own crons and are left out. Per run, from its event log:
   queue wait (created → RUN_STARTING), run process time (RUN_STARTING → end), and each step's
   STEP_START → STEP_SUCCESS/FAILURE. raw_pages' own duration_s (the crawl itself) is shown beside it.
   Peak RSS: the code server, the daemon and all its children (the fork server, runs, dbt) plus the
   Postgres server, sampled every 0.5 s (RSS summed, so shared pages count more than once).

Orchestration share = 1 - (time inside steps) / (wall x run slots): everything that is not a stage
function at work while a slot could have been: process starts and code loading per run and per step,
event writes, the queue's dequeue and the sensors' latency (slots idle waiting for the next tick).
Steps include their resources' setup, which belongs to the stage. Benchmarks are not tests: it always
exits 0 (unless setup fails); the last line gives the verdict.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from peak_rss import PeakRss

from goodseed_dagster.market import Market, ShopSpec, serve
from goodseed_dagster.market.shops import SHOPS
from goodseed_dagster.settings import PROJECT_ROOT

HOME = PROJECT_ROOT / ".goodseed" / "bench-refresh"
PYCACHE = PROJECT_ROOT / ".goodseed" / "pycache"  # outside HOME: compiled once, kept between runs
TARGET_WALL_S = 600.0
TARGET_OVERHEAD = 0.25
QUIET_S = 150.0  # the automation sensor ticks every 30 s: this long without a run, nothing more will come
SETTLE_S = 75.0  # marts rebuilt and no new run for 2.5 automation ticks: the refresh has settled
LEAD_S = 90  # the daemon loads the code location before the crawl's cron minute comes


def log(msg: str) -> None:
    print(f"[refresh {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------------------
# Market: the 9 shops under as many slugs as sellers


class AliasSlug(str):
    """A shop slug that is the original shop's for comparisons and lookups (how the shop names things)
    but the alias wherever it is printed: in URLs and in the seeds of the market's hashing (catalogue,
    prices, stock), so each alias is a seller of its own."""

    alias: str

    def __new__(cls, original: str, alias: str) -> AliasSlug:
        obj = super().__new__(cls, original)
        obj.alias = alias
        return obj

    def __str__(self) -> str:
        return self.alias

    def __format__(self, spec: str) -> str:
        return format(self.alias, spec)


class AliasMarket(Market):
    """The market's 9 shops cycled under `sellers` slugs (greenleaf-01, budbox-01, ..., greenleaf-02, ...)."""

    def __init__(self, sellers: int, **kw: Any) -> None:
        super().__init__(**kw)
        self._specs: dict[str, ShopSpec] = {}
        for i in range(sellers):
            shop = SHOPS[i % len(SHOPS)]
            alias = f"{shop.slug}-{i // len(SHOPS) + 1:02d}"
            self._specs[alias] = replace(shop, slug=AliasSlug(shop.slug, alias))

    @property
    def shops(self) -> list[ShopSpec]:
        return list(self._specs.values())

    def shop(self, slug: str) -> ShopSpec:
        return self._specs[str(slug)]

    def _products(self, slug: str, day: int | None = None) -> list[Any]:
        return super()._products(str(slug), day)  # cache per alias, not per original shop

    def source_configs(self, base_url: str | None = None) -> list[dict[str, Any]]:
        base = (base_url or self.base_url).rstrip("/")
        originals = {e["slug"]: e for e in super().source_configs(base)}
        return [
            {**originals[str.__str__(s.slug)], "slug": a, "name": a.title(), "base_url": f"{base}/s/{a}/"}
            for a, s in self._specs.items()
        ]


def sized_market(sellers: int, offers: int) -> AliasMarket:
    """products_per_shop from the offers per product the sellers' shops list (measured on 200 products)."""
    probe = AliasMarket(sellers, day=1, products_per_shop=200)
    per_product = [len(probe.truth(str(s.slug))) / len(probe.products(str(s.slug))) for s in probe.shops]
    products = round(offers / (sum(per_product) / len(per_product)))
    return AliasMarket(sellers, day=1, products_per_shop=products)


# --------------------------------------------------------------------------------------------------
# Dagster home, daemon, process tree


def dagster_home(url: str, concurrency: int) -> Path:
    """The project's dagster.yaml with max_concurrent_runs = concurrency; storage on `url`'s server."""
    from goodseed_dagster.db.engine import dagster_database

    home = HOME / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    config["concurrency"]["runs"]["max_concurrent_runs"] = concurrency
    pools = config["concurrency"].setdefault("pools", {})
    pools["default_limit"] = max(concurrency, int(pools.get("default_limit", 0)))
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    os.environ["GOODSEED_DAGSTER_PG_URL"] = dagster_database(url)  # never printed
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cron_minute(lead_s: int) -> datetime:
    """The next whole minute (UTC) at least lead_s away."""
    t = datetime.now(UTC) + timedelta(seconds=lead_s + 59)
    return t.replace(second=0, microsecond=0)


def compile_bytecode() -> None:
    """Bytecode for the venv and the project, as a deployment has it (pip compiles on install), for this
    process's children. This environment sets PYTHONDONTWRITEBYTECODE and the venv holds no .pyc, so every
    run process compiled ~2,000 modules from source: build_defs 8 s -> 3 s, the offers step's Great
    Expectations import 8 s -> 2.5 s (2 loaded cores). Under PYTHONPYCACHEPREFIX, outside the venv."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    t = time.monotonic()
    paths = [sysconfig.get_paths()["purelib"], str(PROJECT_ROOT / "goodseed_dagster")]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *paths],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    log(f"bytecode under {PYCACHE.relative_to(PROJECT_ROOT)} ({time.monotonic() - t:.0f}s)")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)


def start_dagster(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """The code server, then `dagster-daemon run` on a workspace pointing at it, as `goodseed demo` runs
    them (goodseed_dagster/code_server.py); each in its own process group (the daemon's holds the runs)."""
    from goodseed_dagster import code_server

    logs = HOME / "logs"
    logs.mkdir(exist_ok=True)
    port = code_server.free_port()

    def start(args: list[str], name: str) -> subprocess.Popen[bytes]:
        with (logs / f"{name}.log").open("ab") as out:
            return subprocess.Popen(
                args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    server = start(code_server.command(port), "dagster-code-server")
    code_server.wait_until_serving(port, server)
    workspace = code_server.workspace(Path(env["DAGSTER_HOME"]), port)
    daemon = start(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(workspace)], "dagster-daemon"
    )
    return server, daemon


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # run processes still finishing after the daemon stopped
        os.killpg(proc.pid, signal.SIGKILL)


# --------------------------------------------------------------------------------------------------
# Runs and their event logs


@dataclass
class RunTimes:
    job: str
    tags: dict[str, str]
    status: str
    created: float
    starting: float
    end: float
    steps: dict[str, float]  # step key -> seconds between STEP_START and its end (all attempts)
    crawl_s: float = 0.0  # raw_pages' duration_s metadata
    first_step: float = 0.0  # the first STEP_START: the run process is up and has loaded the code

    @property
    def in_run(self) -> float:
        return self.end - self.starting


def run_times(instance: Any, record: Any) -> RunTimes:
    import dagster as dg

    run = record.dagster_run
    starting, started, crawl_s, first_step = record.create_timestamp.timestamp(), {}, 0.0, 0.0
    steps: dict[str, float] = defaultdict(float)
    ends = {
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.STEP_UP_FOR_RETRY,
    }
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.RUN_STARTING:
            starting = entry.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_RESTARTED):
            first_step = first_step or entry.timestamp
            started[event.step_key] = entry.timestamp
        elif event.event_type in ends and event.step_key in started:
            steps[event.step_key] += entry.timestamp - started.pop(event.step_key)
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            meta = event.step_materialization_data.materialization.metadata
            if "duration_s" in meta and event.step_key == "raw_pages":
                crawl_s += float(meta["duration_s"].value)
    return RunTimes(
        run.job_name,
        dict(run.tags),
        run.status.value,
        record.create_timestamp.timestamp(),
        starting,
        record.end_time or time.time(),
        dict(steps),
        crawl_s,
        first_step,
    )


def wait_for_refresh(
    instance: Any, since: datetime, sellers: int, marts: list[Any], timeout: float
) -> list[Any]:
    """Run records created since `since`, once every crawl has ended, the marts were built after the last
    one and no run is queued or in progress (or at the timeout)."""
    import dagster as dg

    deadline, last_note = time.monotonic() + timeout, 0.0
    while True:
        records = instance.get_run_records(dg.RunsFilter(created_after=since))
        crawls = [r for r in records if r.dagster_run.job_name == "crawl_sellers"]
        done = [r for r in crawls if r.dagster_run.is_finished]
        busy = [r for r in records if not r.dagster_run.is_finished]
        if len(done) == sellers and not busy:
            last_crawl = max(r.end_time or 0 for r in done)
            built = [instance.get_latest_materialization_event(k) for k in marts]
            quiet = time.time() - max(r.end_time or 0 for r in records)
            if all(e is not None and e.timestamp > last_crawl for e in built) and quiet > SETTLE_S:
                return records  # and no further automation wave came
            if time.time() - max(r.end_time or 0 for r in records) > QUIET_S:
                log(
                    f"no run for {QUIET_S:.0f}s and not all rebuilt (a failed run?): stopping; missing "
                    + ", ".join(
                        k.to_user_string()
                        for k, e in zip(marts, built, strict=True)
                        if e is None or e.timestamp <= last_crawl
                    )
                )
                return records
        if time.monotonic() > deadline:
            log(f"timeout: {len(done)}/{sellers} crawls done, {len(busy)} runs busy")
            return records
        if time.monotonic() - last_note > 30:
            last_note = time.monotonic()
            log(f"  {len(done)}/{sellers} crawls done, {len(records)} runs, {len(busy)} queued or running")
        time.sleep(2.0)


# --------------------------------------------------------------------------------------------------
# Report


def refresh_runs(runs: list[RunTimes], tick: datetime) -> list[RunTimes]:
    """The refresh: the crawl runs and what automation started from the tick on. The periodic jobs (delivery
    every 5 minutes, housekeeping) run on their own crons whatever the refresh does: left out, and said."""
    kept = [
        r for r in runs
        if r.created >= tick.timestamp() and (r.job == "crawl_sellers" or r.tags.get("trigger") == "automation")
    ]  # fmt: skip
    other = [r for r in runs if r not in kept]
    if other:
        log(f"left out: {len(other)} runs not of the refresh ({', '.join(sorted({r.job for r in other}))})")
    return kept


def report(
    runs: list[RunTimes], slots: int, tick: datetime, rss: tuple[PeakRss, PeakRss] | None, offers: int
) -> None:
    if not runs:
        print("\n== refresh: no run was created ==")
        return
    first, last = tick.timestamp(), max(r.end for r in runs)  # the refresh starts at the cron tick
    wall = last - first
    stage = sum(sum(r.steps.values()) for r in runs)
    in_run = sum(r.in_run for r in runs)
    overhead = 1 - stage / (wall * slots)
    crawls = [r for r in runs if r.job == "crawl_sellers"]
    last_crawl = max((r.end for r in crawls), default=first)
    print("\n== refresh: figures ==")
    print(f"runs: {len(runs)} ({', '.join(f'{j}: {n}' for j, n in _count(r.job for r in runs).items())})")
    print(f"  statuses: {dict(_count(r.status for r in runs))}")
    print(
        f"offers on the market: {offers:,}; scheduler latency (tick -> first run) {min(r.created for r in runs) - first:.1f}s"
    )
    print(f"wall, cron tick -> last run finished: {wall:.0f}s = {wall / 60:.1f} min")
    print(
        f"  crawls: {min(r.created for r in crawls) - first if crawls else 0:.0f}s -> {last_crawl - first:.0f}s;"
    )
    print(
        f"  after the last crawl (sensor latency, catalogue, dbt, notification batches): {last - last_crawl:.0f}s"
    )
    for r in sorted((r for r in runs if r.job != "crawl_sellers"), key=lambda r: r.created):
        print(f"    {r.job} created {r.created - first:.0f}s, started {r.starting - first:.0f}s, ended "
              f"{r.end - first:.0f}s: {', '.join(k.split('.')[-1] for k in sorted(r.steps))}")  # fmt: skip
    print(f"run slots {slots}: slot time {wall * slots:.0f}s = inside steps {stage:.0f}s")
    print(
        f"  + run processes outside steps {in_run - stage:.0f}s + slots idle or queued {wall * slots - in_run:.0f}s"
    )
    waiting, empty = idle_slots(runs, slots, first, last)
    print(
        f"  idle slot-seconds: {waiting:.0f} while runs were queued (dequeue and launch), {empty:.0f} with none "
        "queued (automation sensor latency; a run alone with nothing else runnable)"
    )
    print(f"  runs only: {(in_run - stage) / in_run:.0%} of run time outside steps")
    boot = [r.first_step - r.starting for r in runs if r.first_step]
    print(
        f"  launch to first step (process start, code load): mean {sum(boot) / max(len(boot), 1):.1f}s per run"
    )
    print("per job and step, mean seconds per run (inside the run process, queue wait excluded):")
    for job, group in sorted(_group(runs).items()):
        keys = sorted({k for r in group for k in r.steps})
        steps = ", ".join(
            f"{k.split('.')[-1][:24]} {sum(r.steps.get(k, 0) for r in group) / len(group):.1f}" for k in keys
        )
        crawl = sum(r.crawl_s for r in group) / len(group)
        extra = f"; crawl itself (raw_pages duration_s) {crawl:.1f}" if crawl else ""
        in_r = sum(r.in_run for r in group) / len(group)
        print(f"  {job} x{len(group)}: in run {in_r:.1f}s; steps {steps}{extra}")
    if rss:
        pipeline, market = rss
        print(
            f"peak RSS: pipeline (daemon tree + Postgres) {pipeline.peak / 2**20:,.0f} MB; "
            f"this process (market, poller, setup) {market.peak / 2**20:,.0f} MB"
        )
    ok_wall, ok_over = wall <= TARGET_WALL_S, overhead <= TARGET_OVERHEAD
    print(
        f"wall {wall / 60:.1f} min vs target <= {TARGET_WALL_S / 60:.0f} min: {'MET' if ok_wall else 'NOT MET'}"
    )
    print(
        f"orchestration 1 - steps / (wall x slots) = {overhead:.0%} vs target <= {TARGET_OVERHEAD:.0%}: "
        f"{'MET' if ok_over else 'NOT MET'}"
    )
    print(f"targets: {'MET' if ok_wall and ok_over else 'NOT MET'}")


def idle_slots(
    runs: list[RunTimes], slots: int, first: float, last: float, dt: float = 0.05
) -> tuple[float, float]:
    """Slot-seconds no run occupied, split by whether any run was waiting in the queue at the time."""
    waiting = empty = 0.0
    t = first
    while t < last:
        busy = sum(r.starting <= t < r.end for r in runs)
        idle = max(slots - busy, 0) * dt
        if any(r.created <= t < r.starting for r in runs):
            waiting += idle
        else:
            empty += idle
        t += dt
    return waiting, empty


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for i in items:
        out[i] += 1
    return dict(out)


def _group(runs: list[RunTimes]) -> dict[str, list[RunTimes]]:
    out: dict[str, list[RunTimes]] = defaultdict(list)
    for r in runs:
        out[r.job].append(r)
    return out


# --------------------------------------------------------------------------------------------------
# Main


def prepare_steady_state(settings: Any, sellers: list[str]) -> list[Any]:
    """seller_sources, fx_rates, the seller partitions, the catalogue, the dbt models and the notification
    batches (no offers yet), as on a deployment that ran before; returns the keys of the marts built from the
    offers and the notification batches (the refresh ends when they are rebuilt)."""
    import dagster as dg

    from goodseed_dagster.definitions import build_defs
    from goodseed_dagster.jobs import dbt_models

    defs = build_defs(settings)
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(
            assets,
            selection=["seller_sources", "fx_rates"],
            instance=instance,
            resources=dict(defs.resources or {}),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        if not result.success:
            raise SystemExit("bench/refresh.py: seller_sources / fx_rates failed")
        instance.add_dynamic_partitions("sellers", sellers)
        built = dg.materialize(  # every table the marts' tests read exists, as on any day after the first
            assets,
            selection=dg.AssetSelection.assets("strain_catalogue", "notification_batches") | dbt_models,
            instance=instance,
            resources=dict(defs.resources or {}),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        if not built.success:
            raise SystemExit("bench/refresh.py: strain_catalogue / dbt models / notification_batches failed")
    after_offers = dg.AssetSelection.assets("offers").downstream() & (
        dg.AssetSelection.groups("marts") | dg.AssetSelection.assets("notification_batches")
    )
    return list(after_offers.resolve(defs.resolve_asset_graph()))


def refresh(args: argparse.Namespace, url: str, market: AliasMarket, server_url: str) -> None:
    import dagster as dg

    from goodseed_dagster.scraping.sources import dump_sources
    from goodseed_dagster.settings import Settings

    sources = HOME / "sources.yaml"
    sources.write_text(dump_sources(market.source_configs(server_url)))
    os.environ.update(
        GOODSEED_SOURCES_FILE=str(sources), GOODSEED_FX_URL=f"{server_url}/fx/eurofxref-daily.xml"
    )
    dagster_home(url, args.concurrency)
    sellers = [str(s.slug) for s in market.shops]
    marts = prepare_steady_state(Settings(), sellers)
    tick = cron_minute(LEAD_S)
    os.environ.update(GOODSEED_CRAWL_CRON=f"{tick.minute} {tick.hour} * * *", GOODSEED_TIMEZONE="UTC")
    since = datetime.now(UTC)
    server, daemon = start_dagster(dict(os.environ))
    postmaster = int((HOME / "pgdata" / "postmaster.pid").read_text().split()[0])
    # the code server, the daemon's tree (runs, dbt) and Postgres
    pipeline = PeakRss(lambda: [server.pid, daemon.pid, postmaster])
    market_rss = PeakRss(lambda: [os.getpid()], children=False)  # the market, this poller, the setup
    try:
        with pipeline, market_rss:
            log(f"dagster-daemon started (pid {daemon.pid}); the crawl schedule fires at {tick:%H:%M} UTC")
            with dg.DagsterInstance.get() as instance:
                records = wait_for_refresh(instance, since, len(sellers), marts, args.timeout + LEAD_S + 60)
                runs = [run_times(instance, r) for r in records]
    finally:
        stop_group(daemon)
        stop_group(server)
    runs = refresh_runs(runs, tick)
    offers = sum(len(market.truth(s)) for s in sellers)
    report(runs, args.concurrency, tick, (pipeline, market_rss), offers)
    log(f"load average after: {os.getloadavg()}")


def report_again(slots: int) -> None:
    """The figures of a --keep run from its Dagster storage (no RSS; the tick is the first crawl run's
    minute; offers as loaded)."""
    import dagster as dg
    from sqlalchemy import text

    from goodseed_dagster.db import embedded
    from goodseed_dagster.db.engine import _with_driver, engine_for

    running = embedded.is_running(HOME / "pgdata")  # the benchmark itself may still be using it
    url = _with_driver(embedded.start(HOME / "pgdata"), "psycopg")
    try:
        dagster_home(url, slots)
        with dg.DagsterInstance.get() as instance:
            runs = [run_times(instance, r) for r in instance.get_run_records()]
        with engine_for(url).connect() as conn:
            offers: int = conn.execute(text("SELECT count(*) FROM core.offers WHERE active")).scalar_one()
        first_crawl = min(r.created for r in runs if r.job == "crawl_sellers")
        tick = datetime.fromtimestamp(first_crawl, UTC).replace(second=0, microsecond=0)  # the cron's minute
        report(refresh_runs(runs, tick), slots, tick, None, offers)
    finally:
        engine_for.cache_clear()
        if not running:
            embedded.stop(HOME / "pgdata")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sellers", type=int, default=50)
    ap.add_argument("--offers", type=int, default=2000, help="offers per seller (on average)")
    ap.add_argument("--concurrency", type=int, default=2, help="max_concurrent_runs (run slots)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the refresh")
    ap.add_argument("--keep", action="store_true", help="keep .goodseed/bench-refresh after the run")
    ap.add_argument("--report-only", action="store_true", help="report the runs of a kept run again")
    ap.add_argument("--no-bytecode", action="store_true", help="children compile every module from source")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    from goodseed_dagster.db import embedded
    from goodseed_dagster.db.engine import database_url, engine_for
    from goodseed_dagster.db.migrate import upgrade
    from goodseed_dagster.dbt_project import prepare_manifest
    from goodseed_dagster.settings import Settings

    if args.report_only:
        report_again(args.concurrency)
        return
    log(f"{os.cpu_count()} cores; load average {os.getloadavg()}")
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    os.environ.update(
        GOODSEED_HOME=str(HOME), GOODSEED_POLITE="false", DBT_SEND_ANONYMOUS_USAGE_STATS="false"
    )
    os.environ.pop("DATABASE_URL", None)
    prepare_manifest()
    if not args.no_bytecode:
        compile_bytecode()
    settings = Settings()
    try:
        url = database_url(settings)
        upgrade(url)
        market = sized_market(args.sellers, args.offers)
        log(f"market: {args.sellers} sellers, {market.products_per_shop} products per shop")
        with serve(market, host="127.0.0.1", port=0) as server:
            refresh(args, url, market, server.url)
    finally:
        engine_for.cache_clear()
        embedded.stop(settings.pgdata)
        if not args.keep:
            shutil.rmtree(HOME, ignore_errors=True)


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted: daemon, its runs and Postgres stopped")
