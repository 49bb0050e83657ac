"""`goodseed users add|list|remove` and `goodseed watch add|list|remove|follow|unfollow`.

Bad input (email, timezone, strain, price...) is one line on stderr and exit status 2, never a traceback.
Secrets: `users add` prints a webhook secret once, when it generates one; `users list` never shows secrets.
Breeders are followed with `watch follow EMAIL BREEDER` (a separate verb: a breeder is not a watch item and has
no prices or folder).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection

from goodseed_dagster.db import users as db


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(headers)] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def _in_transaction(command: str, action: Callable[[Connection], None]) -> int:
    """Run one command in one transaction; InputError becomes `goodseed <command>: <reason>` and status 2."""
    from goodseed_dagster.db.engine import database_url, engine_for
    from goodseed_dagster.settings import get_settings

    try:
        with engine_for(database_url(get_settings())).begin() as conn:
            action(conn)
    except db.InputError as e:
        print(f"goodseed {command}: {e}", file=sys.stderr)
        return 2
    return 0


def _users(args: argparse.Namespace) -> int:
    def add(conn: Connection) -> None:
        out = db.add_user(
            conn,
            args.email,
            timezone=args.timezone,
            locale=args.locale,
            digest=args.digest,
            webhook_url=args.webhook,
        )
        print(f"{'added' if out.created else 'updated'} user {out.user.id} {out.user.email}")
        if out.webhook_secret:
            print(f"webhook secret (shown once): {out.webhook_secret}")

    def listing(conn: Connection) -> None:
        rows = [
            (u.id, u.email, u.timezone, u.locale, u.digest, u.webhook_url or "-", u.watches,
             "unsubscribed" if u.unsubscribed_at else "active")
            for u in db.list_users(conn)
        ]  # fmt: skip
        print(_table(("ID", "EMAIL", "TIMEZONE", "LOCALE", "DIGEST", "WEBHOOK", "WATCHES", "STATUS"), rows))

    def remove(conn: Connection) -> None:
        user = db.remove_user(conn, args.email)
        print(f"removed user {user.id} {user.email} (with their watch items, alerts and messages)")

    actions = {"add": add, "list": listing, "remove": remove}
    if (status := _missing(args, {"add": ["email"], "remove": ["email"]})) is not None:
        return status
    return _in_transaction(f"users {args.action}", actions[args.action])


def _watch_add(args: argparse.Namespace, conn: Connection) -> None:
    spec = db.WatchSpec(
        strain=args.target,
        seller=args.seller,
        pack=args.pack,
        target_per_seed=args.target_per_seed,
        target_pack=args.target_pack,
        min_drop=args.min_drop,
        folder=args.folder,
    )
    w = db.add_watch(conn, args.email, spec)
    print(f"added watch {w.id}: {w.strain_key} ({w.strain_name}) for {w.email}")


def _watch_list(args: argparse.Namespace, conn: Connection) -> None:
    rows = [
        (w.id, w.folder or "-", w.strain_key, w.strain_name or "?", w.seller or "any", w.pack_seeds or "any",
         w.target_price_per_seed or "-", w.target_price_pack or "-", w.min_drop_pct or "-")
        for w in db.list_watches(conn, args.email)
    ]  # fmt: skip
    headers = (
        "ID",
        "FOLDER",
        "STRAIN_KEY",
        "STRAIN",
        "SELLER",
        "PACK",
        "TARGET/SEED",
        "TARGET/PACK",
        "MIN_DROP%",
    )
    print(_table(headers, rows))
    breeders = db.followed_breeders(conn, args.email)
    print(f"followed breeders: {', '.join(breeders) if breeders else '-'}")


def _watch(args: argparse.Namespace) -> int:
    def remove(conn: Connection) -> None:
        try:
            watch_id = int(args.target)
        except ValueError:
            raise db.InputError(f"a watch item id is a number, got {args.target!r}") from None
        db.remove_watch(conn, args.email, watch_id)
        print(f"removed watch {watch_id}")

    def follow(conn: Connection) -> None:
        print(f"following {db.follow_breeder(conn, args.email, args.target)}")

    def unfollow(conn: Connection) -> None:
        db.unfollow_breeder(conn, args.email, args.target)
        print(f"unfollowed {args.target}")

    actions: dict[str, Callable[[Connection], None]] = {
        "add": lambda conn: _watch_add(args, conn),
        "list": lambda conn: _watch_list(args, conn),
        "remove": remove,
        "follow": follow,
        "unfollow": unfollow,
    }
    both = ["email", "target"]
    wanted = {"add": both, "list": ["email"], "remove": both, "follow": both, "unfollow": both}
    if (status := _missing(args, wanted)) is not None:
        return status
    return _in_transaction(f"watch {args.action}", actions[args.action])


def _missing(args: argparse.Namespace, wanted: dict[str, list[str]]) -> int | None:
    """Positional arguments an action requires (argparse cannot say so per choice): one line and status 2."""
    missing = [name for name in wanted.get(args.action, []) if getattr(args, name) is None]
    if not missing:
        return None
    names = " ".join(
        {"email": "EMAIL", "target": "STRAIN" if args.action == "add" else "ID"}.get(m, m) for m in missing
    )
    print(f"goodseed {args.command} {args.action}: missing {names}", file=sys.stderr)
    return 2


def add_parsers(sub: Any) -> None:
    """Register `users` and `watch` on the top-level subparsers."""
    u = sub.add_parser("users", help="notification users: add EMAIL [options] | list | remove EMAIL")
    u.add_argument("action", choices=["add", "list", "remove"])
    u.add_argument("email", nargs="?", metavar="EMAIL")
    u.add_argument("--timezone", help="IANA name, e.g. Europe/Berlin, for digest times (default UTC)")
    u.add_argument("--locale", help="language of messages (default en)")
    u.add_argument("--digest", help="instant | weekly | off (default instant)")
    u.add_argument("--webhook", metavar="URL", help="also POST signed JSON here (a secret is generated once)")
    u.set_defaults(func=_users)

    w = sub.add_parser(
        "watch",
        help="watchlists: add EMAIL STRAIN [options] | list EMAIL | remove EMAIL ID | follow|unfollow EMAIL BREEDER",
    )
    w.add_argument("action", choices=["add", "list", "remove", "follow", "unfollow"])
    w.add_argument("email", nargs="?", metavar="EMAIL")
    w.add_argument(
        "target", nargs="?", metavar="STRAIN|ID|BREEDER", help="strain_key or name; item id; breeder"
    )
    w.add_argument("--seller", help="only this seller's offers")
    w.add_argument("--pack", metavar="SEEDS", help="only packs of this many seeds")
    w.add_argument(
        "--target-per-seed", metavar="PRICE", help="alert at or below this price per seed (base currency)"
    )
    w.add_argument("--target-pack", metavar="PRICE", help="alert at or below this pack price (base currency)")
    w.add_argument("--min-drop", metavar="PCT", help="alert on drops of at least this percent")
    w.add_argument("--folder", metavar="NAME", help="file the item in this folder (created when missing)")
    w.set_defaults(func=_watch)
