"""The committed OpenAPI document (infra/api/openapi.json) is the one the code generates, and covers every route."""

import json

from infra.api.generate_openapi import DOCUMENT_PATH, document
from support.gateway_api import template_routes


def test_committed_openapi_document_matches_the_code() -> None:
    # Given
    committed = DOCUMENT_PATH.read_text(encoding="utf-8")
    # When
    generated = document()
    # Then
    assert committed == generated, "infra/api/openapi.json is out of date: run python -m infra.api.generate_openapi"


def test_openapi_document_describes_exactly_the_templates_api_routes() -> None:
    # Given: every route but the settings page's, which serves HTML rather than the API
    routes = {(route.method, route.path) for route in template_routes() if route.function.logical_id != "WebFunction"}
    # When
    paths = json.loads(document())["paths"]
    # Then
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert documented == routes


def test_openapi_document_requires_the_merchant_jwt_everywhere_but_the_callback_and_shipmondos_webhook() -> None:
    # Given
    paths = json.loads(document())["paths"]
    # When
    public = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if not operation.get("security")
    }
    # Then
    assert public == {
        ("GET", "/oauth/callback"),
        ("POST", "/oauth/callback"),
        ("POST", "/shipmondo/webhooks/{hook_id}"),
    }
