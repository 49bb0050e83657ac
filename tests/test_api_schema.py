"""Property tests of the whole API against its own OpenAPI (schemathesis, the ASGI app in-process): every
generated request, valid or not, answers without a server error and with a body its schema describes.

schemathesis' pytest plugin (`from_fixture`) sets `node._nodeid`, which pytest 9 no longer has, so each
operation is a parametrized test running a hypothesis `@given` over the operation's strategy instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from test_api import TOKEN, marts_db, marts_template, settings_for  # noqa: F401 (fixtures)

from goodseed_dagster.api.main import create_app

EXAMPLES = 40
# the operations, read from an app that never connects (building the OpenAPI needs no database)
_OPENAPI = create_app(settings_for(), "postgresql://x@127.0.0.1:1/x").openapi()
OPERATIONS = [(method.upper(), path) for path, ops in _OPENAPI["paths"].items() for method in ops]


@pytest.fixture(scope="module")
def app(marts_db: str) -> FastAPI:  # noqa: F811
    return create_app(settings_for(), marts_db)


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Iterator[schemathesis.schemas.BaseSchema]:
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_server_errors_and_responses_match_the_schema(
    api_schema: schemathesis.schemas.BaseSchema, method: str, path: str
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"} if method == "POST" else None
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

    check()


def test_openapi_documents_every_route() -> None:
    assert set(_OPENAPI["paths"]) == {
        "/health", "/metrics", "/v1/strains", "/v1/strains/{strain_id}", "/v1/strains/{strain_id}/price-history",
        "/v1/sellers", "/v1/sellers/{slug}", "/v1/deals", "/v1/crawls", "/v1/admin/scrape-requests",
        "/v1/unsubscribe",
    }  # fmt: skip
    assert set(_OPENAPI["paths"]["/v1/strains/{strain_id}"]["get"]["responses"]) == {"200", "404", "422"}
    assert set(_OPENAPI["paths"]["/v1/admin/scrape-requests"]["post"]["responses"]) == {
        "202", "401", "404", "422", "503",
    }  # fmt: skip
