"""Property: whatever a client sends, the configuration and OAuth functions (real API Gateway v2 events through the
local gateway, fakes behind the ports) answer 2xx or 4xx, never 5xx, and the public callback always sends the browser
back to the app."""

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dinero_bookkeeping.domain.integration import integration_id_for
from support.gateway_api import Api
from support.merchant_world import MERCHANT, PRO_ORG, MerchantWorld

pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
    pytest.mark.filterwarnings("ignore:Received multipart/form-data without base64 encoding"),
]

PRO = integration_id_for(MERCHANT, PRO_ORG.id)
APP_URL = "https://app.example/settings?"

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["enabled", "account_number", "layout_id", "payment_condition_type", "payment_condition_days", "code", "state"]
)
NASTY_NUMBERS = st.sampled_from(["9" * 5000, "1E+400", "-1E+400", "NaN", "Infinity", "1e-400", "0.1" + "0" * 100])
BODIES: st.SearchStrategy[bytes] = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(FIELDS, JSON_VALUES, max_size=4).map(lambda value: json.dumps(value).encode()),
    st.tuples(FIELDS, NASTY_NUMBERS).map(lambda pair: f'{{"{pair[0]}": {pair[1]}}}'.encode()),
    st.integers(min_value=1, max_value=20_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.text(max_size=100).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
    ]
)
ROUTES = st.sampled_from(
    [
        ("PUT", f"/integrations/{PRO}/book-automatically"),
        ("PUT", f"/integrations/{PRO}/templates/product_domestic"),
        ("PUT", f"/integrations/{PRO}/templates/invoice"),
        ("POST", f"/integrations/{PRO}/activate"),
        ("POST", "/oauth/connect"),
        ("POST", "/oauth/callback"),
    ]
)

FUZZ = settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_answered(path: str, status: int, location: str | None) -> None:
    if path == "/oauth/callback":
        assert status == 302
        assert location is not None and location.startswith(APP_URL) and "dinero=" in location
    else:
        assert 200 <= status < 500


@FUZZ
@given(route=ROUTES, body=BODIES, content_type=CONTENT_TYPES)
def test_every_body_is_answered_without_a_server_error(
    api: Api, world: MerchantWorld, route: tuple[str, str], body: bytes, content_type: str | None
) -> None:
    # Given a connected merchant (the route's own rules may still refuse), and any body of any type
    world.connected()
    method, path = route
    headers = {"Content-Type": content_type} if content_type else {}

    # When
    response = api.call(method, path, merchant=MERCHANT, headers=headers, raw_body=body)

    # Then
    assert_answered(path, response.status, response.header("Location"))
    event(f"{path.rsplit('/', 1)[-1]} {response.status}")


@FUZZ
@given(webshop_id=st.text(min_size=1, max_size=80), method=st.sampled_from(["PUT", "GET", "DELETE"]))
def test_every_webshop_id_in_the_path_is_answered_without_a_server_error(
    api: Api, world: MerchantWorld, webshop_id: str, method: str
) -> None:
    # Given
    world.activated()

    # When the id is sent percent-encoded, as a client must
    response = api.call(method, f"/integrations/{PRO}/links/{quote(webshop_id, safe='')}", merchant=MERCHANT)

    # Then
    assert_answered("/links", response.status, None)
    event(f"links {response.status}")


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["code", "state", "error", "scope"]), st.text(max_size=300), max_size=4))
def test_every_callback_query_sends_the_browser_back_to_the_app(
    api: Api, world: MerchantWorld, query: dict[str, str]
) -> None:
    # Given any answer in the callback's query

    # When
    response = api.call("GET", "/oauth/callback", query=query)

    # Then
    assert_answered("/oauth/callback", response.status, response.header("Location"))
