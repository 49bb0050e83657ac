"""`goodseed demo`: embedded Postgres + simulated market + full materialization, then the UI and the API.

Everything runs against real parts over real sockets: the market on 127.0.0.1, Postgres over its unix
socket, Dagster runs recorded in the instance under .goodseed/dagster so the UI shows their history.
Each run moves the market clock one day forward, so price history grows run after run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from goodseed_dagster import code_server
from goodseed_dagster.alerts import AlertReceiver, summary_lines
from goodseed_dagster.demo_notify import Readers, readers, seed
from goodseed_dagster.demo_summary import print_alerts, print_summary
from goodseed_dagster.settings import PROJECT_ROOT, Settings

DAGSTER_PG_URL_ENV = "GOODSEED_DAGSTER_PG_URL"  # dagster.yaml's storage URL
# A seller whose shop is down (nothing listens on the discard port): its crawl fails, the others do not,
# and the data team gets one run-failure alert at the demo's local receiver.
DOWN_SELLER = {
    "slug": "closed-shop",
    "name": "Closed Shop (down, for the alert)",
    "base_url": "http://127.0.0.1:9/",
}

if TYPE_CHECKING:
    import dagster as dg


@dataclass(frozen=True)
class DemoOptions:
    serve: bool = True
    day: int | None = None
    products_per_shop: int | None = None
    market_port: int | None = None


def say(msg: str) -> None:
    print(f"[goodseed {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _check_port_free(port: int, what: str) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise SystemExit(
                f"goodseed demo: port {port} for the {what} is in use ({e.strerror}); "
                f"stop what holds it or set GOODSEED_{what.upper()}_PORT"
            ) from e


def _market_day(home: Path, override: int | None) -> int:
    if override is not None:
        return override
    state = home / "market_day"
    return int(state.read_text()) + 1 if state.exists() else 0


def _prepare_dagster_home(home: Path, url: str) -> Path:
    """DAGSTER_HOME with the project's dagster.yaml, its storage in a `dagster` database on `url`'s server."""
    from goodseed_dagster.db.engine import dagster_database

    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    os.environ[DAGSTER_PG_URL_ENV] = dagster_database(url)  # dagster.yaml reads it; never printed
    return dagster_home


def materialize_everything(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    sellers: list[str],
    before_notifications: Callable[[], None] = lambda: None,
) -> list[dg.ExecuteInProcessResult]:
    """Sources and FX, then each seller's crawl → listings → offers (one failure never stops the others),
    then the catalogue, the dbt models, the notification batches and one delivery pass. Returns every run's
    result."""
    import dagster as dg

    from goodseed_dagster.jobs import dbt_models

    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    resources = dict(defs.resources or {})

    def run(
        selection: list[str] | dg.AssetSelection, partition: str | None = None
    ) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets,
            selection=selection,
            partition_key=partition,
            instance=instance,
            resources=resources,
            raise_on_error=False,
            tags={"goodseed/trigger": "demo"},
        )

    base = run(["seller_sources", "fx_rates"])
    if not base.success:
        raise SystemExit(f"goodseed demo: sources/FX failed: {_failure(base)}")
    instance.add_dynamic_partitions(
        "sellers", [s for s in sellers if not instance.has_dynamic_partition("sellers", s)]
    )
    results = [base]
    for i, seller in enumerate(sellers, 1):
        started = time.monotonic()
        results.append(run(["raw_pages", "listings", "offers"], seller))
        outcome = "ok" if results[-1].success else _failure(results[-1])
        say(f"  [{i}/{len(sellers)}] {seller}: {outcome} ({time.monotonic() - started:.1f} s)")
    for stage, selection in (("strain_catalogue", ["strain_catalogue"]), ("dbt models", dbt_models)):
        results.append(run(selection))
        if not results[-1].success:
            raise SystemExit(f"goodseed demo: {stage} failed: {_failure(results[-1])}")
        say(f"  {stage}: ok")
    before_notifications()
    results.append(run(["notification_batches"]))
    deliver = defs.resolve_job_def("deliver_notifications")
    results.append(deliver.execute_in_process(instance=instance, resources=resources, raise_on_error=False))
    for stage, result in (("notification batches", results[-2]), ("delivery", results[-1])):
        say(f"  {stage}: {'ok' if result.success else _failure(result)}")
    return results


def _failure(result: Any) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            return f"{event.step_key}: {event.step_failure_data.error.message.strip().splitlines()[0]}"
    return "failed"


@contextmanager
def _child(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own process group, so stopping it stops its grandchildren (code servers) too."""
    with log.open("ab") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_http(url: str, what: str, proc: subprocess.Popen[bytes] | None, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"goodseed demo: the {what} exited with status {proc.returncode}; see its log")
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"goodseed demo: the {what} did not answer at {url} within {timeout:.0f} s")


@contextmanager
def _api_server(settings: Settings) -> Iterator[str]:
    import uvicorn

    from goodseed_dagster.api.main import create_app

    app = create_app(settings=settings)  # as goodseed_api: reads marts, inserts scrape requests, nothing else
    config = uvicorn.Config(app, host=settings.api_host, port=settings.api_port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="goodseed-api", daemon=True)
    thread.start()
    api_url = f"http://{settings.api_host}:{settings.api_port}"
    try:
        _wait_http(f"{api_url}/health", "API", None, timeout=30)
        yield api_url
    finally:
        server.should_exit = True
        thread.join(10)


def _serve_forever(settings: Settings, env: dict[str, str], receiver: AlertReceiver) -> None:
    logs = settings.home / "logs"
    logs.mkdir(exist_ok=True)
    bin_dir = Path(sys.executable).parent
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with ExitStack() as stack:
        port = code_server.free_port()
        server = stack.enter_context(_child(code_server.command(port), env, logs / "dagster-code-server.log"))
        try:
            code_server.wait_until_serving(port, server)
        except RuntimeError as e:
            raise SystemExit(f"goodseed demo: {e}") from e
        workspace = str(code_server.workspace(Path(env["DAGSTER_HOME"]), port))
        ui = stack.enter_context(
            _child(
                [
                    str(bin_dir / "dagster-webserver"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(settings.ui_port),
                    "-w",
                    workspace,
                ],
                env,
                logs / "dagster-webserver.log",
            )
        )
        daemon = stack.enter_context(
            _child(
                [str(bin_dir / "dagster-daemon"), "run", "-w", workspace], env, logs / "dagster-daemon.log"
            )
        )
        api_url = stack.enter_context(_api_server(settings))
        ui_url = f"http://127.0.0.1:{settings.ui_port}"
        _wait_http(f"{ui_url}/server_info", "Dagster webserver", ui)
        say(f"Dagster UI: {ui_url}")
        say(f"API:        {api_url}  (try {api_url}/v1/strains?limit=5, docs at {api_url}/docs)")
        say(f"logs:       {logs}")
        say("ready. Press Ctrl-C to stop.")
        seen = len(receiver.alerts())
        while not stop.wait(1.0):
            for line in summary_lines(receiver.alerts()[seen:]):  # what the daemon's sensors raise meanwhile
                say(f"alert: {line}")
                seen += 1
            if daemon.poll() is not None or ui.poll() is not None or server.poll() is not None:
                say("a Dagster process exited unexpectedly; stopping (see logs)")
                break
        say("stopping ...")


def _child_env(settings: Settings, dagster_home: Path) -> dict[str, str]:
    """The webserver's and daemon's environment: they build the same Settings from it."""
    return {
        **os.environ,
        "GOODSEED_HOME": str(settings.home),
        "GOODSEED_SOURCES_FILE": str(settings.sources_path),
        "GOODSEED_FX_URL": settings.fx_url,
        "DAGSTER_HOME": str(dagster_home),
        DAGSTER_PG_URL_ENV: os.environ[DAGSTER_PG_URL_ENV],
        "GOODSEED_ALERT_URLS": json.dumps([u.get_secret_value() for u in settings.alert_urls]),
        "GOODSEED_SMTP_HOST": settings.smtp_host,
        "GOODSEED_SMTP_PORT": str(settings.smtp_port),
        "GOODSEED_PUBLIC_API_URL": settings.public_api_url or "",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@dataclass
class Listeners:
    """Who the demo shows things to: the data team's alert receiver, the users' SMTP sink and webhook."""

    alerts: AlertReceiver
    readers: Readers
    stack: ExitStack


def _run_pipeline(
    settings: Settings, url: str, sellers: list[str], day: int, dagster_home: Path, listeners: Listeners
) -> None:
    """Materialize in process, with Definitions built from `settings`; runs recorded in `dagster_home`; then
    the alert sensors once (the daemon is not running yet), so the summary lists what the receivers got."""
    import dagster as dg

    from goodseed_dagster.db.engine import engine_for
    from goodseed_dagster.db.summary import last_crawl_id, run_summary
    from goodseed_dagster.definitions import build_defs
    from goodseed_dagster.resources.postgres import Postgres
    from goodseed_dagster.sensors.alerts import evaluate_alerts_now

    with engine_for(url).connect() as conn:
        since = last_crawl_id(conn)
    say(f"materializing the asset graph for {len(sellers)} sellers")
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        defs = build_defs(settings)
        engine, mail = engine_for(url), listeners.readers
        results = materialize_everything(defs, instance, sellers, lambda: seed(engine, mail, listeners.stack))
        evaluate_alerts_now(settings, defs, instance, Postgres(url=url), results)
    (settings.home / "market_day").write_text(str(day))
    with engine_for(url).connect() as conn:
        print_summary(run_summary(conn, since), day)
    print_alerts(listeners.alerts)
    print("\n".join(["notifications:", *(f"  {line}" for line in mail.summary()), ""]), flush=True)


def _demo_settings(
    settings: Settings, market_url: str, sellers: list[dict[str, Any]], receiver: AlertReceiver, mail: Readers
) -> Settings:
    """The pipeline's settings for this demo: its sources file, the market's FX feed, the local receivers."""
    from goodseed_dagster.scraping.sources import dump_sources

    sources_file = settings.home / "sources.yaml"
    sources_file.write_text(dump_sources(sellers))
    return settings.model_copy(
        update={
            "sources_file": sources_file,
            "fx_url": f"{market_url}/fx/eurofxref-daily.xml",
            "alert_urls": [*settings.alert_urls, SecretStr(receiver.apprise_url)],
            "smtp_host": "127.0.0.1",
            "smtp_port": mail.smtp.port,
            "public_api_url": f"http://{settings.api_host}:{settings.api_port}",
        }
    )


def run_demo(opts: DemoOptions) -> int:
    from goodseed_dagster.db import embedded
    from goodseed_dagster.db.engine import database_url, engine_for
    from goodseed_dagster.db.migrate import upgrade
    from goodseed_dagster.db.roles import enable_role_logins
    from goodseed_dagster.dbt_project import prepare_manifest
    from goodseed_dagster.market import Market, serve

    started = time.monotonic()
    settings = Settings()
    if settings.database_url is None and settings.api_role_password is None:
        # the embedded server's API role gets a fresh password each run, so the demo's API runs as it
        settings = settings.model_copy(update={"api_role_password": SecretStr(secrets.token_urlsafe(24))})
    settings.home.mkdir(parents=True, exist_ok=True)
    port = settings.market_port if opts.market_port is None else opts.market_port
    if port:
        _check_port_free(port, "market")
    if opts.serve:
        _check_port_free(settings.ui_port, "ui")
        _check_port_free(settings.api_port, "api")
    say(f"dbt manifest ready ({prepare_manifest().relative_to(PROJECT_ROOT)})")
    external = settings.database_url is not None
    say("starting Postgres" + (" (DATABASE_URL)" if external else f" (embedded, data in {settings.pgdata})"))
    url = database_url(settings)
    try:
        upgrade(url)
        enable_role_logins(url, settings)  # the API's and analysts' roles log in when passwords are set
        say("migrations applied")
        day = _market_day(settings.home, opts.day)
        market = (
            Market(day=day, products_per_shop=opts.products_per_shop)
            if opts.products_per_shop
            else Market(day=day)
        )
        with (
            serve(market, host="127.0.0.1", port=port) as server,
            AlertReceiver() as receiver,
            readers(settings.home) as (mail, stack),
        ):
            say(f"simulated market on {server.url}, day {day}, {len(market.shops)} shops")
            # the market's sellers and one that is down; never a file the user configured
            sellers = [*market.source_configs(server.url), DOWN_SELLER]
            demo = _demo_settings(settings, server.url, sellers, receiver, mail)
            dagster_home = _prepare_dagster_home(settings.home, url)
            listeners = Listeners(receiver, mail, stack)
            _run_pipeline(demo, url, [s["slug"] for s in sellers], day, dagster_home, listeners)
            say(f"pipeline done in {time.monotonic() - started:.1f} s")
            if opts.serve:
                _serve_forever(demo, _child_env(demo, dagster_home), receiver)
    finally:
        engine_for(url).dispose()
        if not external and embedded.stop(settings.pgdata):
            say("embedded Postgres stopped")
    return 0
