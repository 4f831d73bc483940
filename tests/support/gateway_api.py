"""The HTTP API of template.yaml in front of the real handlers, driven without a socket.

Requests become real API Gateway v2 events through the local gateway's `handle` (with its JWT authorizer
stand-in), so unit tests exercise exactly the events a deployed HTTP API sends.
"""

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from infra.local.aws_resources import HttpRoute, load_template, read_http_routes
from infra.local.dev_jwt import issue_token, verify_token
from infra.local.http_gateway import HttpGateway, HttpRequest, HttpResponse, Route
from infra.local.lambda_context import LambdaHandler

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
JWT_SECRET = "handler-unit-tests"
JWT_ISSUER = "https://issuer.example"
JWT_AUDIENCE = "dinero-bookkeeping"


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


class Api:
    def __init__(self, gateway: HttpGateway) -> None:
        self._gateway = gateway

    def call(
        self,
        method: str,
        path: str,
        *,
        merchant: str | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw_body: bytes = b"",
    ) -> ApiResponse:
        """`merchant`: send a valid token for that merchant; `headers` may carry any Authorization instead.
        `raw_body`: bytes sent as they are (with whatever Content-Type `headers` give)."""
        all_headers = {"Host": "api.example", **(headers or {})}
        body = raw_body
        if merchant is not None:
            all_headers["Authorization"] = f"Bearer {token_for(merchant)}"
        if json_body is not None:
            all_headers["Content-Type"] = "application/json"
            body = json.dumps(json_body).encode()
        if form is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form).encode()
        request = HttpRequest(
            method=method,
            raw_path=path,
            raw_query=urlencode(query or {}),
            headers=list(all_headers.items()),
            body=body,
            source_ip="203.0.113.7",
            protocol="HTTP/1.1",
            domain_name="api.example",
        )
        response: HttpResponse = self._gateway.handle(request)
        return ApiResponse(response.status, response.headers, response.body)


def token_for(merchant_id: str) -> str:
    return issue_token(JWT_SECRET, subject=merchant_id, issuer=JWT_ISSUER, audience=JWT_AUDIENCE)


def verify_merchant_token(token: str) -> dict[str, Any]:
    return verify_token(token, JWT_SECRET, issuer=JWT_ISSUER, audience=JWT_AUDIENCE)


def template_routes() -> tuple[HttpRoute, ...]:
    return read_http_routes(load_template(TEMPLATE))


def _handler(path: str) -> LambdaHandler:
    module, _, name = path.rpartition(".")
    handler: LambdaHandler = getattr(importlib.import_module(module), name)
    return handler


def build_api(*, authorizer: bool) -> Api:
    routes = [
        Route(
            method=route.method,
            path=route.path,
            handler=_handler(route.function.handler),
            function_name=route.function.logical_id,
            authorized=route.requires_auth and authorizer,
        )
        for route in template_routes()
    ]
    return Api(HttpGateway(routes, jwt_verifier=verify_merchant_token))
