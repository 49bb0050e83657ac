"""The `goodseed` command: demo, database, market, API, extraction, matching, re-parsing, users and watchlists."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goodseed_dagster.settings import Settings


def _demo(args: argparse.Namespace) -> int:
    from goodseed_dagster.demo import DemoOptions, run_demo

    return run_demo(
        DemoOptions(
            serve=not args.no_serve,
            day=args.day,
            products_per_shop=args.products_per_shop,
            market_port=args.market_port,
        )
    )


def _db(args: argparse.Namespace) -> int:
    from goodseed_dagster.db import embedded
    from goodseed_dagster.db.engine import database_url, libpq_url
    from goodseed_dagster.db.migrate import upgrade
    from goodseed_dagster.settings import get_settings

    settings = get_settings()
    if args.action == "stop":
        print("stopped" if embedded.stop(settings.pgdata) else "not running")
        return 0
    url = database_url(settings)
    if args.action in ("backup", "restore"):
        return _db_backup(args, url, settings)
    if args.action == "migrate":
        upgrade(url)
        print("migrations applied")
    elif args.action == "roles":
        from goodseed_dagster.db.roles import RoleError, enable_role_logins

        try:
            enabled = enable_role_logins(url, settings)
        except RoleError as e:
            print(f"goodseed db roles: {e}", file=sys.stderr)
            return 1
        unset = "no role password set (GOODSEED_API_ROLE_PASSWORD, GOODSEED_ANALYST_ROLE_PASSWORD)"
        print(f"login enabled: {', '.join(enabled)}" if enabled else unset)
    else:
        print(libpq_url(url))
    return 0


def _db_backup(args: argparse.Namespace, url: str, settings: Settings) -> int:
    """`db backup`: dump into the archive store's backups/ (keeping --keep); `db restore FILE`: into a
    fresh database, whose URL (password masked) is printed."""
    from sqlalchemy.engine import make_url

    from goodseed_dagster.errors import GoodSeedError
    from goodseed_dagster.resources import archive_resource
    from goodseed_dagster.stages.backup import backup_database, blob_store, restore_backup

    store = blob_store(archive_resource(settings).get_store())
    try:
        if args.action == "backup":
            out = backup_database(url, store, keep=args.keep or settings.backup_keep)
            print(f"backup {out.key} ({out.size_bytes} bytes) -> {out.location}")
            for key in out.deleted:
                print(f"deleted (retention {args.keep or settings.backup_keep}): {key}")
            return 0
        if not args.file:
            print("goodseed db restore: FILE is required", file=sys.stderr)
            return 2
        restored = restore_backup(url, args.file, store, into=args.into, force=args.force)
    except (GoodSeedError, FileNotFoundError, ValueError) as e:
        print(f"goodseed db {args.action}: {e}", file=sys.stderr)
        return 1
    print(make_url(restored).set(drivername="postgresql").render_as_string(hide_password=True))
    return 0


def _market(args: argparse.Namespace) -> int:
    from goodseed_dagster.market.__main__ import main as market_main

    market_main(["--port", str(args.port), "--day", str(args.day)])
    return 0


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from goodseed_dagster.api.main import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port)
    return 0


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number >= 0")
    return value


def _extract(args: argparse.Namespace) -> int:
    from goodseed_dagster.extraction import run_extract

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # JSON Lines are UTF-8 whatever the locale says
    limits: dict[str, Any] = {} if args.max_bytes is None else {"max_bytes": int(args.max_bytes)}
    if args.budget is not None:
        limits["budget_s"] = args.budget or None  # 0: no budget
    try:
        status = run_extract(args.paths, url=args.url, currency=args.currency, explain=args.explain, **limits)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as a filter killed by SIGPIPE
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail again
        return 128 + signal.SIGPIPE
    return status


def _match(args: argparse.Namespace) -> int:
    from goodseed_dagster.matching import run_match

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # the CSV is UTF-8 whatever the locale says
    return run_match(args.path)


def _reparse(args: argparse.Namespace) -> int:
    from goodseed_dagster.db.engine import database_url, engine_for
    from goodseed_dagster.errors import GoodSeedError
    from goodseed_dagster.resources import archive_resource
    from goodseed_dagster.settings import get_settings
    from goodseed_dagster.stages.extract import extract_listings

    s = get_settings()
    store = archive_resource(s).get_store()
    try:
        out = extract_listings(engine_for(database_url(s)), store, args.seller, args.crawl, s.page_budget_s)
    except (GoodSeedError, LookupError) as e:
        print(f"goodseed reparse: {e}", file=sys.stderr)
        return 1
    summary = {
        "crawl_id": out.crawl_id,
        "listings": out.listings.height,
        "pages_parsed": out.pages,
        "pages_unparseable": len(out.errors),
        "rows_quarantined": out.rejected.height,
        "duplicate_offers_dropped": out.duplicates,
    }
    print(json.dumps(summary, indent=2))
    return 0


def _add_db_parser(sub: Any) -> None:
    db = sub.add_parser(
        "db",
        help="the database: url | migrate | roles (logins from settings) | stop (the embedded server) | backup"
        " | restore FILE",
    )
    db.add_argument("action", choices=["url", "migrate", "roles", "stop", "backup", "restore"])
    db.add_argument("file", nargs="?", metavar="FILE", help="restore: a dump file or a backups/ key")
    db.add_argument("--keep", type=int, help="backup: how many backups to keep (default: GOODSEED_BACKUP_KEEP, 14)")
    db.add_argument("--into", help="restore: target database (default <name>_restore_<UTC time>)")
    db.add_argument("--force", action="store_true", help="restore: over a non-empty --into database")
    db.set_defaults(func=_db)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="goodseed", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser(
        "demo", help="Postgres + market + full materialization, then the Dagster UI and the API."
    )
    d.add_argument("--no-serve", action="store_true", help="materialize, print the summary and exit")
    d.add_argument(
        "--day", type=int, help="market day (default: one after the previous run, 0 the first time)"
    )
    d.add_argument("--products-per-shop", type=int, help="size of each simulated shop")
    d.add_argument(
        "--market-port", type=int, help="port of the simulated market (default GOODSEED_MARKET_PORT)"
    )
    d.set_defaults(func=_demo)

    _add_db_parser(sub)

    m = sub.add_parser("market", help="run the simulated market in the foreground")
    m.add_argument("--port", type=int, default=8765)
    m.add_argument("--day", type=int, default=0)
    m.set_defaults(func=_market)

    a = sub.add_parser("api", help="serve the read API")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=8000)
    a.set_defaults(func=_api)

    e = sub.add_parser("extract", help="saved pages → JSON Lines, one object per offer")
    e.add_argument("paths", nargs="+", metavar="PATH")
    e.add_argument("--url", help="the page's URL (resolves relative links; default file://PATH)")
    e.add_argument("--currency", help="fallback ISO 4217 code where the page states none")
    e.add_argument(
        "--explain", action="store_true", help="add adapter, regular_price and per-field source keys"
    )
    e.add_argument("--max-bytes", type=_non_negative, help="refuse larger files (default 20000000)")
    e.add_argument(
        "--budget", type=_non_negative, metavar="SECONDS", help="CPU seconds per page (default 2; 0: none)"
    )
    e.set_defaults(func=_extract)

    mt = sub.add_parser(
        "match", help="CSV of offers (seller, name[, breeder, url]) → the same rows + strain_key"
    )
    mt.add_argument("path", metavar="PATH.csv")
    mt.set_defaults(func=_match)

    r = sub.add_parser("reparse", help="rebuild a seller's listings from the archive (no network)")
    r.add_argument("--seller", required=True)
    r.add_argument("--crawl", type=int, help="crawl id (default: the newest)")
    r.set_defaults(func=_reparse)

    from goodseed_dagster.cli_users import add_parsers as add_user_parsers

    add_user_parsers(sub)  # users, watch
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
