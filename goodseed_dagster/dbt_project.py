"""The dbt project: where it lives, its manifest, and the connection profile of one dbt run.

Plain Python (no dagster-dbt, no dbt-core import): resources/ and the demo use it without paying for
dbt-core's import, and `make manifest` / `python -m goodseed_dagster.dbt_project` prepares the manifest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from goodseed_dagster.errors import GoodSeedError
from goodseed_dagster.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

DBT_DIR = PROJECT_ROOT / "dbt"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
MANIFEST = DBT_DIR / "target" / "manifest.json"
PARTIAL_PARSE = "partial_parse.msgpack"  # dbt's parse state, next to the manifest; dagster-dbt copies it in
PREPARE_HINT = "run `make manifest` (or `.venv/bin/python -m goodseed_dagster.dbt_project`)"


class ManifestError(GoodSeedError):
    """The dbt manifest is missing, stale, or `dbt parse` failed."""


def _project_files() -> list[Path]:
    return [
        p
        for p in DBT_DIR.rglob("*")
        if p.suffix in {".sql", ".yml"} and not {"target", "logs", "dbt_packages"} & set(p.parts)
    ]


def stale_file() -> Path | None:
    """A project file newer than the manifest (or the manifest itself when it is missing); None if fresh."""
    if not MANIFEST.exists():
        return MANIFEST
    built = MANIFEST.stat().st_mtime
    return next((p for p in _project_files() if p.stat().st_mtime > built), None)


def require_manifest() -> Path:
    """The manifest the Definitions load from: read, never built, at import (dbt parse takes ~3 s)."""
    stale = stale_file()
    if stale == MANIFEST:
        raise ManifestError(f"the dbt manifest {MANIFEST} is missing: {PREPARE_HINT}")
    if stale is not None:
        raise ManifestError(f"the dbt manifest is older than {stale.relative_to(DBT_DIR)}: {PREPARE_HINT}")
    return MANIFEST


def prepare_manifest() -> Path:
    """`dbt parse` when the manifest is missing or older than a model or yml file (make, the demo, tests)."""
    if stale_file() is None:
        return MANIFEST
    run = subprocess.run(
        [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)],
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise ManifestError(f"dbt parse failed:\n{run.stdout}\n{run.stderr}")
    return MANIFEST


def _verbatim(value: str) -> str:
    """A Jinja string literal of `value`: dbt renders every profile string, and a password may hold `{{`."""
    escaped = "".join(
        c if (c.isascii() and c.isalnum()) or c in "/._-" else f"\\U{ord(c):08x}" for c in value
    )
    return "{{ '" + escaped + "' }}"


def run_profile(url: URL) -> dict[str, Any]:
    """dbt/profiles.yml with its default target pointed at `url` (the pipeline's own database)."""
    profiles: dict[str, Any] = yaml.safe_load((DBT_DIR / "profiles.yml").read_text())
    (profile,) = profiles.values()
    host = url.query.get("host") or url.host or "localhost"  # embedded: the socket dir is a query parameter
    profile["outputs"][profile["target"]].update(
        host=_verbatim(str(host[0] if isinstance(host, tuple) else host)),
        port=url.port or 5432,
        user=_verbatim(url.username or "postgres"),
        password=_verbatim(url.password or ""),
        dbname=_verbatim(url.database or "postgres"),
    )
    return profiles


@contextmanager
def build_target(target: Path, state_dir: Path = MANIFEST.parent) -> Iterator[None]:
    """Around one dbt build in its own target dir (dagster-dbt makes one per invocation): removed after the
    build (they piled up, ~3 MB each, under dbt/target), and after a good build its parse state becomes
    the one the next build starts from. dbt reparses the whole project when the connection differs from
    the state's, and `dbt parse`'s profile is never the run's: ~1 s of every build."""
    try:
        yield
        state = target / PARTIAL_PARSE
        if state.exists():
            staged = state_dir / f".{PARTIAL_PARSE}.{os.getpid()}"
            shutil.copyfile(state, staged)
            os.replace(staged, state_dir / PARTIAL_PARSE)  # builds running at once: the last one wins
    finally:
        shutil.rmtree(target, ignore_errors=True)


@contextmanager
def profiles_dir(url: URL) -> Iterator[Path]:
    """A private profiles dir for one dbt run, removed after it.

    dagster-dbt 0.29 hands dbt its parent's environment and takes no per-call env, and the password must
    not be copied into os.environ: so the run's connection goes in a 0600 file in a 0700 directory.
    """
    with tempfile.TemporaryDirectory(prefix="goodseed-dbt-") as tmp:
        path = Path(tmp) / "profiles.yml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            yaml.safe_dump(run_profile(url), out)
        yield Path(tmp)


if __name__ == "__main__":
    try:
        print(f"dbt manifest: {prepare_manifest()}")
    except ManifestError as e:
        sys.exit(f"goodseed: {e}")
