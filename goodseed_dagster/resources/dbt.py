"""dagster-dbt's DbtCliResource without the `dbt --version` it runs before every build."""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class DbtResource(DbtCliResource):
    """dagster-dbt asks `dbt --version` for the CLI's version before each build: a fresh interpreter that
    imports dbt-core, ~2 s of every build. The `dbt` we run is this environment's (DBT_EXECUTABLE), whose
    version the installed dbt-core's metadata states (tests/test_definitions.py holds them equal)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))
