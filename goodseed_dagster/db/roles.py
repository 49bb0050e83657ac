"""Logins of the serving roles: goodseed_api (the API) and goodseed_analyst (people, BI tools).

Migration 0005 creates both roles NOLOGIN with their grants; this gives a role LOGIN and its password from
settings (GOODSEED_API_ROLE_PASSWORD, GOODSEED_ANALYST_ROLE_PASSWORD) and leaves a role without a password as
it is. The password is hashed here (SCRAM-SHA-256, by libpq) and only the verifier reaches the server, so the plain
password never appears in a statement, the server log or pg_stat_activity.
"""

from __future__ import annotations

from collections.abc import Mapping

import psycopg
from psycopg import sql

from goodseed_dagster.db.engine import libpq_url
from goodseed_dagster.errors import GoodSeedError
from goodseed_dagster.settings import Settings

API_ROLE = "goodseed_api"
ANALYST_ROLE = "goodseed_analyst"


class RoleError(GoodSeedError):
    """A serving role is missing: the database is not at migration 0005."""


def role_passwords(settings: Settings) -> dict[str, str]:
    """{role: password} for the roles whose password is set."""
    wanted = {API_ROLE: settings.api_role_password, ANALYST_ROLE: settings.analyst_role_password}
    return {role: secret.get_secret_value() for role, secret in wanted.items() if secret is not None}


def set_logins(url: str, passwords: Mapping[str, str]) -> list[str]:
    """LOGIN with `passwords[role]` for each role (idempotent); the roles changed, sorted."""
    if not passwords:
        return []
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        existing = {
            r
            for (r,) in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [list(passwords)]
            )
        }
        missing = sorted(set(passwords) - existing)
        if missing:
            raise RoleError(f"roles {', '.join(missing)} do not exist: run `goodseed db migrate` first")
        for role, password in sorted(passwords.items()):
            verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
            conn.execute(
                sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(verifier.decode())
                )
            )
    return sorted(passwords)


def enable_role_logins(url: str, settings: Settings) -> list[str]:
    """`goodseed db roles`, the demo and the API start: the roles whose password settings give can log in."""
    return set_logins(url, role_passwords(settings))
