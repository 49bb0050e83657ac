"""`goodseed users` and `goodseed watch` against a real database: what an operator types, what lands in app.*.

Bad input must be one stderr line and status 2 (an operator's typo is not a crash), and a strain name must resolve
to exactly one strain or be refused with candidates: a watch on the wrong strain would alert nobody, silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg
import pytest
from pipeline_harness import Pipeline

from goodseed_dagster import cli
from goodseed_dagster.db.engine import libpq_url

STRAINS = [  # strain_key, breeder, name
    ("sensi-northern-lights", "Sensi Seeds", "Northern Lights"),
    ("dutch-passion-northern-lights", "Dutch Passion", "Northern Lights"),
    ("sensi-northern-lights-auto", "Sensi Seeds", "Northern Lights Auto"),
    ("barneys-gorilla-glue", "Barney's Farm", "Gorilla Glue #4"),
    ("royal-queen-amnesia", "Royal Queen Seeds", "Amnesia Haze"),
] + [(f"breeder-{i}-kush", f"Breeder {i}", f"Kush {i}") for i in range(7)]

Run = tuple[int, str, str]
Invoke = Callable[..., Run]


@pytest.fixture
def db(fresh_pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated empty database with a small catalogue, reached by the CLI through DATABASE_URL."""
    with psycopg.connect(libpq_url(fresh_pg_url)) as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO core.strains (strain_key, breeder, name) VALUES (%s, %s, %s)", STRAINS)
    monkeypatch.setenv("DATABASE_URL", fresh_pg_url)
    return fresh_pg_url


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Invoke:
    def invoke(*argv: str) -> Run:
        status = cli.main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return invoke


def rows(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute(sql, params).fetchall()


def refused(result: Run, *fragments: str) -> None:
    """Status 2, nothing on stdout, exactly one stderr line naming the problem, no traceback."""
    status, out, err = result
    assert status == 2, result
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_users_add_list_remove_and_idempotent_re_add(db: str, run: Invoke) -> None:
    status, out, _ = run(
        "users", "add", "Ann@Example.org", "--timezone", "Europe/Berlin", "--digest", "weekly"
    )
    assert status == 0
    user_id = int(re.search(r"added user (\d+) ann@example.org", out).group(1))  # type: ignore[union-attr]
    assert "secret" not in out  # no webhook: nothing generated, nothing shown
    (secret,) = rows(db, "SELECT unsubscribe_secret FROM app.users WHERE id = %s", user_id)[0]
    assert re.fullmatch(r"[0-9a-f]{64}", str(secret))

    status, out, _ = run("users", "add", "ann@example.org", "--locale", "de")
    assert status == 0 and f"updated user {user_id}" in out
    assert rows(db, "SELECT id, email, timezone, locale, digest, unsubscribe_secret FROM app.users") == [
        (user_id, "ann@example.org", "Europe/Berlin", "de", "weekly", secret)  # fields not given are kept
    ]

    assert run("users", "add", "bob@example.org")[0] == 0
    status, out, _ = run("users", "list")
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == [
        "ID", "EMAIL", "TIMEZONE", "LOCALE", "DIGEST", "WEBHOOK", "WATCHES", "STATUS"
    ]  # fmt: skip
    assert lines[1].split() == [
        str(user_id),
        "ann@example.org",
        "Europe/Berlin",
        "de",
        "weekly",
        "-",
        "0",
        "active",
    ]
    assert lines[2].split()[1:5] == ["bob@example.org", "UTC", "en", "instant"]
    assert str(secret) not in out

    status, out, _ = run("users", "remove", "ANN@example.org")
    assert status == 0 and f"removed user {user_id}" in out
    assert rows(db, "SELECT email FROM app.users") == [("bob@example.org",)]
    refused(run("users", "remove", "ann@example.org"), "no user ann@example.org")


def test_webhook_secret_is_generated_once_shown_once_and_kept(db: str, run: Invoke) -> None:
    status, out, _ = run("users", "add", "hook@example.org", "--webhook", "http://127.0.0.1:9/hook")
    assert status == 0
    shown = re.search(r"webhook secret \(shown once\): ([0-9a-f]{64})$", out, re.M).group(1)  # type: ignore[union-attr]
    assert rows(db, "SELECT webhook_url, webhook_secret FROM app.users") == [
        ("http://127.0.0.1:9/hook", shown)
    ]

    status, out, _ = run("users", "add", "hook@example.org", "--webhook", "https://example.org/new")
    assert status == 0 and "secret" not in out  # a receiver already verifying with it keeps working
    assert rows(db, "SELECT webhook_url, webhook_secret FROM app.users") == [
        ("https://example.org/new", shown)
    ]
    status, out, _ = run("users", "list")
    assert "https://example.org/new" in out and shown not in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["users", "add", "not-an-email"], "not an email address"),
        (["users", "add", "a@b"], "not an email address"),
        (["users", "add", "x@example.org", "--timezone", "Mars/Olympus"], "unknown timezone"),
        (["users", "add", "x@example.org", "--timezone", "../etc/passwd"], "unknown timezone"),
        (["users", "add", "x@example.org", "--digest", "daily"], "digest must be one of"),
        (["users", "add", "x@example.org", "--locale", "english please"], "not a locale"),
        (["users", "add", "x@example.org", "--webhook", "ftp://example.org"], "not an http(s) URL"),
        (["users", "add"], "missing EMAIL"),
        (["watch", "add", "user@example.org"], "missing STRAIN"),
        (["watch", "add", "nobody@example.org", "Amnesia Haze"], "no user nobody@example.org"),
        (["watch", "add", "user@example.org", "Purple Unicorn"], "no strain matches 'Purple Unicorn'"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--target-per-seed", "-2"], "above 0"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--target-pack", "0"], "above 0"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--target-pack", "cheap"], "must be a number"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--target-pack", "NaN"], "above 0"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--min-drop", "100"], "below 100"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--pack", "2.5"], "whole number"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--pack", "0"], "whole number"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--folder", " "], "folder name is empty"),
        (["watch", "add", "user@example.org", "Amnesia Haze", "--seller", ""], "seller is empty"),
        (["watch", "remove", "user@example.org", "first"], "is a number"),
        (["watch", "follow", "user@example.org", "Nobody Genetics"], "no breeder matches"),
        (["watch", "unfollow", "user@example.org", "Sensi Seeds"], "does not follow"),
    ],
)
def test_bad_input_is_one_line_and_status_2_and_changes_nothing(
    db: str,
    run: Invoke,
    argv: list[str],
    fragment: str,
) -> None:
    assert run("users", "add", "user@example.org")[0] == 0
    refused(run(*argv), fragment)
    assert rows(db, "SELECT email FROM app.users") == [("user@example.org",)]
    assert rows(db, "SELECT count(*) FROM app.watch_items") == [(0,)]
    assert rows(db, "SELECT count(*) FROM app.watch_folders") == [(0,)]


def test_ambiguous_names_list_candidates_and_a_narrower_name_resolves(db: str, run: Invoke) -> None:
    assert run("users", "add", "user@example.org")[0] == 0
    refused(
        run("watch", "add", "user@example.org", "northern lights"),
        "several strains",
        "dutch-passion-northern-lights (Northern Lights, Dutch Passion)",
        "sensi-northern-lights (Northern Lights, Sensi Seeds)",
    )
    status, _, err = run("watch", "add", "user@example.org", "kush")
    assert (
        status == 2 and err.count("breeder-") == 5 and err.rstrip().endswith(", ...")
    )  # at most 5 candidates

    for name in ["northern lights sensi", "Northern Lights Auto", "gorilla glue", "sensi-northern-lights"]:
        assert run("watch", "add", "user@example.org", name)[0] == 0, name
    assert rows(db, "SELECT strain_key FROM app.watch_items ORDER BY id") == [
        ("sensi-northern-lights",), ("sensi-northern-lights-auto",), ("barneys-gorilla-glue",),
        ("sensi-northern-lights",),
    ]  # fmt: skip
    refused(run("watch", "add", "user@example.org", "%"), "no strain matches")  # LIKE wildcards are literal


def test_watch_by_name_with_options_and_folders_then_list(db: str, run: Invoke) -> None:
    assert run("users", "add", "user@example.org")[0] == 0
    status, out, _ = run(
        "watch", "add", "user@example.org", "amnesia haze", "--seller", "seedshop", "--pack", "5",
        "--target-per-seed", "4.5", "--target-pack", "20", "--min-drop", "15", "--folder", "Sativas",
    )  # fmt: skip
    assert status == 0 and "royal-queen-amnesia (Amnesia Haze)" in out
    assert run("watch", "add", "user@example.org", "Gorilla Glue #4", "--folder", "Sativas")[0] == 0
    assert run("watch", "add", "user@example.org", "Gorilla Glue #4")[0] == 0
    assert rows(db, "SELECT name FROM app.watch_folders") == [("Sativas",)]  # created once, then reused
    assert rows(
        db,
        "SELECT f.name, w.strain_key, w.seller, w.pack_seeds, w.target_price_per_seed::text,"
        " w.target_price_pack::text, w.min_drop_pct::text"
        " FROM app.watch_items w LEFT JOIN app.watch_folders f ON f.id = w.folder_id ORDER BY w.id",
    ) == [
        ("Sativas", "royal-queen-amnesia", "seedshop", 5, "4.5000", "20.0000", "15.00"),
        ("Sativas", "barneys-gorilla-glue", None, None, None, None, None),
        (None, "barneys-gorilla-glue", None, None, None, None, None),
    ]
    assert run("watch", "follow", "user@example.org", "sensi seeds") == (0, "following Sensi Seeds\n", "")
    status, out, _ = run("watch", "list", "USER@example.org")
    lines = out.splitlines()
    assert status == 0 and lines[0].split()[:4] == ["ID", "FOLDER", "STRAIN_KEY", "STRAIN"]
    assert [line.split()[1] for line in lines[1:4]] == ["-", "Sativas", "Sativas"]  # unfiled first
    assert "seedshop" in lines[2] and "4.5000" in lines[2] and "Amnesia Haze" in lines[2]
    assert lines[-1] == "followed breeders: Sensi Seeds"
    assert rows(db, "SELECT breeder FROM app.followed_breeders") == [("Sensi Seeds",)]
    assert run("watch", "unfollow", "user@example.org", "SENSI SEEDS")[0] == 0
    assert rows(db, "SELECT count(*) FROM app.followed_breeders") == [(0,)]
    status, out, _ = run("users", "list")
    assert out.splitlines()[1].split()[6] == "3"  # WATCHES


def test_remove_only_own_items_and_user_removal_cascades(db: str, run: Invoke) -> None:
    for email in ["ann@example.org", "bob@example.org"]:
        assert run("users", "add", email)[0] == 0
    run("watch", "add", "ann@example.org", "amnesia haze", "--folder", "A")
    run("watch", "add", "bob@example.org", "amnesia haze")
    run("watch", "follow", "ann@example.org", "Dutch Passion")
    ((ann_item,), (bob_item,)) = rows(db, "SELECT id FROM app.watch_items ORDER BY id")

    refused(run("watch", "remove", "ann@example.org", str(bob_item)), f"has no watch item {bob_item}")
    assert rows(db, "SELECT count(*) FROM app.watch_items") == [(2,)]
    assert run("watch", "remove", "ann@example.org", str(ann_item)) == (0, f"removed watch {ann_item}\n", "")
    refused(run("watch", "remove", "ann@example.org", str(ann_item)), "has no watch item")

    run("watch", "add", "ann@example.org", "gorilla glue")
    assert run("users", "remove", "ann@example.org")[0] == 0
    owners = "SELECT u.email FROM app.{} x JOIN app.users u ON u.id = x.user_id"
    assert rows(db, owners.format("watch_items")) == [("bob@example.org",)]
    assert rows(db, owners.format("watch_folders")) == []
    assert rows(db, owners.format("followed_breeders")) == []


def test_names_resolve_through_the_strain_search_mart_when_built(db: str, run: Invoke) -> None:
    """With marts.strain_search present its search text (name, breeder, aliases) is what a name matches."""
    with psycopg.connect(libpq_url(db)) as conn:
        conn.execute(
            "CREATE TABLE marts.strain_search AS SELECT strain_key, name AS strain_name, breeder,"
            " lower(name || ' ' || breeder || CASE WHEN strain_key = 'royal-queen-amnesia' THEN ' ahz' ELSE '' END)"
            " AS search_text FROM core.strains"
        )
    assert run("users", "add", "user@example.org")[0] == 0
    assert run("watch", "add", "user@example.org", "AHZ")[0] == 0  # an alias only the mart knows
    assert rows(db, "SELECT strain_key FROM app.watch_items") == [("royal-queen-amnesia",)]


def test_watch_a_crawled_strain_by_its_name(
    crawled: Pipeline, run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalogue the crawl built: a name borne by one strain resolves to it, whatever its case."""
    url = crawled.resources["pg"].url
    monkeypatch.setenv("DATABASE_URL", url)
    ((key, name),) = rows(
        url,
        "SELECT min(strain_key), min(name) FROM core.strains GROUP BY lower(name) HAVING count(*) = 1"
        " ORDER BY 1 LIMIT 1",
    )
    assert run("users", "add", "grower@example.org")[0] == 0
    status, out, _ = run("watch", "add", "grower@example.org", str(name).upper(), "--target-per-seed", "3")
    assert status == 0 and f"{key} ({name})" in out
    assert rows(url, "SELECT strain_key FROM app.watch_items") == [(key,)]
