import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.client import HTTPConnection
from typing import Annotated, Any

import pytest
import requests
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Form, Query
from aws_lambda_powertools.shared.cookies import Cookie
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from infra.local.dev_jwt import issue_token, verify_token
from infra.local.http_gateway import MAX_PAYLOAD_BYTES, HttpGateway, Route

pytestmark = pytest.mark.integration

SECRET = "gateway-test-secret"
ISSUER = "https://auth.local"
AUDIENCE = "dinero-bookkeeping"


@dataclass
class EchoHandler:
    """Remembers each event; answers 200 with a small JSON body, or with `response` when one is set."""

    events: list[dict[str, Any]] = field(default_factory=list)
    response: dict[str, Any] | None = None

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
        self.events.append(event)
        if self.response is not None:
            return self.response
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"echo": true}'}

    @property
    def last_event(self) -> dict[str, Any]:
        return self.events[-1]


class NewOrder(BaseModel):
    order_id: str = Field(min_length=1)
    total: str


app = APIGatewayHttpResolver(enable_validation=True)


@app.get("/shops/<shop_id>/orders")
def list_orders(shop_id: str, limit: Annotated[int, Query()]) -> dict[str, Any]:
    return {"shop_id": shop_id, "limit": limit}


@app.post("/shops/<shop_id>/orders")
def create_order(shop_id: str, order: NewOrder) -> Response[dict[str, Any]]:
    return Response(status_code=201, body={"shop_id": shop_id, **order.model_dump()}, content_type="application/json")


@app.post("/connect")
def connect(shop_name: Annotated[str, Form()], agree: Annotated[str, Form()]) -> dict[str, str]:
    return {"shop_name": shop_name, "agree": agree}


@app.get("/me")
def me() -> dict[str, str]:
    claims = app.current_event.request_context.authorizer.jwt_claim
    return {"merchant_id": claims["sub"]}


@app.get("/oauth/start")
def oauth_start() -> Response[str]:
    return Response(
        status_code=302,
        headers={"Location": "https://connect.visma.com/connect/authorize?state=abc"},
        cookies=[Cookie(name="oauth_state", value="abc", http_only=True)],
        body="",
    )


def powertools_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


@pytest.fixture(scope="module")
def shared_echo() -> EchoHandler:
    return EchoHandler()


@pytest.fixture
def echo(shared_echo: EchoHandler) -> EchoHandler:
    """The echo handler behind the module's gateway, with nothing recorded or configured by earlier tests."""
    shared_echo.events.clear()
    shared_echo.response = None
    return shared_echo


@pytest.fixture(scope="module")
def gateway_url(shared_echo: EchoHandler) -> Iterator[str]:
    def explode(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        raise RuntimeError("bug in handler")

    routes = [
        Route("GET", "/echo/{id}", shared_echo, "echo", authorized=False),
        Route("POST", "/echo/{id}", shared_echo, "echo", authorized=False),
        Route("GET", "/echo/literal", shared_echo, "echo", authorized=False),
        Route("ANY", "/files/{proxy+}", shared_echo, "echo", authorized=False),
        Route("GET", "/private/echo", shared_echo, "echo", authorized=True),
        Route("GET", "/explode", explode, "explode", authorized=False),
        Route("GET", "/shops/{shop_id}/orders", powertools_handler, "api", authorized=False),
        Route("POST", "/shops/{shop_id}/orders", powertools_handler, "api", authorized=False),
        Route("POST", "/connect", powertools_handler, "api", authorized=False),
        Route("GET", "/me", powertools_handler, "api", authorized=True),
        Route("GET", "/oauth/start", powertools_handler, "api", authorized=False),
    ]
    verifier = partial(verify_token, secret=SECRET, issuer=ISSUER, audience=AUDIENCE)
    gateway = HttpGateway(routes, jwt_verifier=verifier)
    gateway.start()
    try:
        yield gateway.url
    finally:
        gateway.stop()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as loopback:
        loopback.trust_env = False  # loopback only: never route through a proxy from the environment
        yield loopback


def _bearer(subject: str = "merchant-1", **extra_claims: Any) -> dict[str, str]:
    token = issue_token(SECRET, subject=subject, issuer=ISSUER, audience=AUDIENCE, extra_claims=extra_claims)
    return {"Authorization": f"Bearer {token}"}


def test_gateway_path_and_query_parameters_build_payload_v2_event(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given
    url = f"{gateway_url}/echo/order%20A?x=1&x=2&empty="

    # When
    response = session.get(url, headers={"User-Agent": "gateway-test"})

    # Then
    assert response.status_code == 200
    assert response.json() == {"echo": True}
    event = echo.last_event
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /echo/{id}"
    assert event["rawPath"] == "/echo/order A"  # HTTP APIs decode the path, rawPath too; the query stays encoded
    assert event["rawQueryString"] == "x=1&x=2&empty="
    assert event["queryStringParameters"] == {"x": "1,2", "empty": ""}
    assert event["pathParameters"] == {"id": "order A"}
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/echo/order A",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "gateway-test",
    }
    assert context["routeKey"] == "GET /echo/{id}"
    assert context["stage"] == "$default"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert isinstance(context["timeEpoch"], int)
    assert "authorizer" not in context
    APIGatewayProxyEventV2Model.model_validate(event)  # Powertools' own schema of the v2 event accepts it


def test_gateway_literal_route_beats_parameter_route(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given routes GET /echo/{id} and GET /echo/literal

    # When
    session.get(f"{gateway_url}/echo/literal")

    # Then
    assert echo.last_event["routeKey"] == "GET /echo/literal"
    assert "pathParameters" not in echo.last_event


def test_gateway_greedy_route_any_method_captures_rest_of_path(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given
    url = f"{gateway_url}/files/invoices/2024/1001.pdf"

    # When
    response = session.delete(url)

    # Then
    assert response.status_code == 200
    assert echo.last_event["routeKey"] == "ANY /files/{proxy+}"
    assert echo.last_event["pathParameters"] == {"proxy": "invoices/2024/1001.pdf"}
    assert echo.last_event["requestContext"]["http"]["method"] == "DELETE"


def test_gateway_duplicate_headers_comma_joined_and_cookies_split_out(gateway_url: str, echo: EchoHandler) -> None:
    # Given a raw request with a repeated header and a cookie header
    host, port = gateway_url.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port))
    connection.putrequest("GET", "/echo/1")
    connection.putheader("X-Shop", "one")
    connection.putheader("X-Shop", "two")
    connection.putheader("Cookie", "session=s1; theme=dark")
    connection.endheaders()

    # When
    status = connection.getresponse().status
    connection.close()

    # Then
    assert status == 200
    assert echo.last_event["headers"]["x-shop"] == "one,two"
    assert echo.last_event["cookies"] == ["session=s1", "theme=dark"]
    assert "cookie" not in echo.last_event["headers"]


def test_gateway_json_body_arrives_as_text(gateway_url: str, session: requests.Session, echo: EchoHandler) -> None:
    # Given
    payload = {"order_id": "1001", "total": "99.95"}

    # When
    session.post(f"{gateway_url}/echo/1", json=payload)

    # Then
    assert echo.last_event["isBase64Encoded"] is False
    assert json.loads(echo.last_event["body"]) == payload
    assert echo.last_event["headers"]["content-type"] == "application/json"


def test_gateway_form_body_arrives_base64_encoded_like_http_api(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given
    form = {"shop_name": "Bike Shop", "agree": "yes"}

    # When
    session.post(f"{gateway_url}/echo/1", data=form)

    # Then
    assert echo.last_event["isBase64Encoded"] is True
    assert base64.b64decode(echo.last_event["body"]) == b"shop_name=Bike+Shop&agree=yes"


def test_gateway_without_token_on_authorized_route_returns_401_without_calling_handler(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given no Authorization header

    # When
    response = session.get(f"{gateway_url}/private/echo")

    # Then
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert echo.events == []


def test_gateway_token_from_other_secret_returns_401(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given
    forged = issue_token("not-the-secret", subject="merchant-1", issuer=ISSUER, audience=AUDIENCE)

    # When
    response = session.get(f"{gateway_url}/private/echo", headers={"Authorization": f"Bearer {forged}"})

    # Then
    assert response.status_code == 401
    assert echo.events == []


def test_gateway_valid_token_puts_claims_as_strings_in_authorizer_context(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given
    headers = _bearer("merchant-7", roles=["owner", "admin"], pro=True)

    # When
    response = session.get(f"{gateway_url}/private/echo", headers=headers)

    # Then
    assert response.status_code == 200
    authorizer = echo.last_event["requestContext"]["authorizer"]
    assert authorizer["jwt"]["scopes"] is None
    parsed = APIGatewayProxyEventV2Model.model_validate(echo.last_event)
    assert parsed.requestContext.authorizer is not None
    claims = authorizer["jwt"]["claims"]
    assert claims["sub"] == "merchant-7"
    assert claims["aud"] == AUDIENCE
    assert claims["exp"].isdigit()
    assert claims["roles"] == "[owner admin]"
    assert claims["pro"] == "true"


def test_gateway_unknown_route_returns_404_not_found(gateway_url: str, session: requests.Session) -> None:
    # Given a path and a method no route serves

    # When
    unknown_path = session.get(f"{gateway_url}/nowhere")
    unknown_method = session.delete(f"{gateway_url}/echo/1")

    # Then
    assert unknown_path.status_code == 404
    assert unknown_path.json() == {"message": "Not Found"}
    assert unknown_method.status_code == 404


def test_gateway_handler_raises_returns_500_internal_server_error(gateway_url: str, session: requests.Session) -> None:
    # Given a route whose handler raises

    # When
    response = session.get(f"{gateway_url}/explode")

    # Then
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_gateway_response_without_status_code_is_inferred_as_json_200(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given
    echo.response = {"order_id": "1001"}

    # When
    response = session.get(f"{gateway_url}/echo/1")

    # Then
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"order_id": "1001"}


def test_powertools_app_path_and_query_parameters_validated(gateway_url: str, session: requests.Session) -> None:
    # Given a resolver route with a path parameter and a required integer query parameter

    # When
    valid = session.get(f"{gateway_url}/shops/s-1/orders", params={"limit": "5"})
    missing_query = session.get(f"{gateway_url}/shops/s-1/orders")

    # Then
    assert valid.status_code == 200
    assert valid.json() == {"shop_id": "s-1", "limit": 5}
    assert missing_query.status_code == 422


def test_powertools_app_json_body_parsed_and_status_passed_through(gateway_url: str, session: requests.Session) -> None:
    # Given
    order = {"order_id": "1001", "total": "99.95"}

    # When
    created = session.post(f"{gateway_url}/shops/s-1/orders", json=order)
    invalid = session.post(f"{gateway_url}/shops/s-1/orders", json={"order_id": "", "total": "1"})

    # Then
    assert created.status_code == 201
    assert created.json() == {"shop_id": "s-1", "order_id": "1001", "total": "99.95"}
    assert invalid.status_code == 422


def test_powertools_app_form_body_parsed(gateway_url: str, session: requests.Session) -> None:
    # Given
    form = {"shop_name": "Bike Shop", "agree": "yes"}

    # When
    response = session.post(f"{gateway_url}/connect", data=form)

    # Then
    assert response.status_code == 200
    assert response.json() == form


def test_powertools_app_sees_merchant_id_from_token_claims(gateway_url: str, session: requests.Session) -> None:
    # Given
    headers = _bearer("merchant-42")

    # When
    response = session.get(f"{gateway_url}/me", headers=headers)

    # Then
    assert response.status_code == 200
    assert response.json() == {"merchant_id": "merchant-42"}


def test_powertools_app_redirect_with_cookie_passes_through(gateway_url: str, session: requests.Session) -> None:
    # Given a route answering 302 with a Location header and a cookie

    # When
    response = session.get(f"{gateway_url}/oauth/start", allow_redirects=False)

    # Then
    assert response.status_code == 302
    assert response.headers["Location"] == "https://connect.visma.com/connect/authorize?state=abc"
    assert response.headers["Set-Cookie"].startswith("oauth_state=abc")


def test_gateway_base64_response_body_decoded_to_bytes(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given
    png = base64.b64encode(b"\x89PNG\x00\x01").decode()
    echo.response = {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": png, "isBase64Encoded": True}

    # When
    response = session.get(f"{gateway_url}/echo/logo")

    # Then
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content == b"\x89PNG\x00\x01"


def test_http_gateway_authorized_route_without_verifier_raises_value_error(echo: EchoHandler) -> None:
    # Given
    routes = [Route("GET", "/private", echo, "echo", authorized=True)]

    # When
    with pytest.raises(ValueError) as raised:
        HttpGateway(routes)

    # Then
    assert "jwt_verifier" in str(raised.value)


def test_gateway_body_over_api_gateways_10_mb_is_a_413_without_calling_the_handler(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given: one byte more than an HTTP API accepts
    body = b"x" * (MAX_PAYLOAD_BYTES + 1)

    # When
    response = session.post(f"{gateway_url}/echo/1", data=body, headers={"Content-Type": "text/plain"})
    at_the_limit = session.post(f"{gateway_url}/echo/1", data=body[:-1], headers={"Content-Type": "text/plain"})

    # Then: refused like API Gateway, and the connection still serves the next request
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}
    assert at_the_limit.status_code == 200
    assert len(echo.events) == 1


@pytest.mark.parametrize(
    ("function_timeout_s", "status", "message"),
    [(5.0, 503, "Service Unavailable"), (0.2, 500, "Internal Server Error")],
    ids=["integration-timeout", "function-timeout"],
)
def test_gateway_handler_slower_than_the_timeout_is_answered_like_api_gateway(
    session: requests.Session, function_timeout_s: float, status: int, message: str
) -> None:
    # Given: a handler that takes longer than both the integration timeout (scaled down from 30 s) and its function's
    release = threading.Event()

    def slow(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        release.wait(10)
        return {"statusCode": 200, "body": "too late"}

    route = Route("GET", "/slow", slow, "slow", authorized=False, timeout_s=function_timeout_s)
    gateway = HttpGateway([route], integration_timeout_s=0.5)
    gateway.start()
    try:
        # When
        response = session.get(f"{gateway.url}/slow")
    finally:
        release.set()
        gateway.stop()

    # Then: answered while the handler still waits (it would answer 200): API Gateway's integration timeout is a
    # 503, a function that times out first a failed function (500)
    assert response.status_code == status
    assert response.json() == {"message": message}


def test_gateway_path_parameters_arrive_decoded_as_from_an_http_api(
    gateway_url: str, session: requests.Session, echo: EchoHandler
) -> None:
    # Given: a webshop id with a space and a Danish letter, percent-encoded by the client
    url = f"{gateway_url}/echo/my%20shop%C3%B8"

    # When
    session.get(url)

    # Then: the path parameter and the path itself, which Powertools routes on, carry the decoded id
    event = echo.last_event
    assert event["pathParameters"] == {"id": "my shopø"}
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/echo/my shopø"
