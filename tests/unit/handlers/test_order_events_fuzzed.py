"""Property: whatever arrives on the order queue, the order handler (real SQS event, real handler and service, fakes
behind the ports) ends it as a record with a final status or a rejected event with a reason, on its first delivery:
no exception escapes, nothing is reported back for a retry, nothing stays `processing`."""

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dinero_bookkeeping.domain.order_event import OrderPaidEvent, parse_order_event
from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.handlers import order_handler
from dinero_bookkeeping.settings import WorkerSettings
from infra.local.lambda_context import new_context
from support.events import ORDERS, order_event
from support.worker_world import MERCHANT, WEBSHOP, WorkerWorld

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

SAMPLES = sorted(path.stem for path in ORDERS.glob("*.json"))

# Values that broke the worker before (issue 8 §4) and their kin, besides whatever Hypothesis makes of JSON.
NASTY: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [
            "1234567890123456.78",
            "1E+400",
            "-1E+400",
            "1E-400",
            "NaN",
            "Infinity",
            "9" * 5000,
            10**40,
            2**63,
            -1,
            0,
            "9999-12-31T23:59:59+00:00",
            "0001-01-01T00:00:00+00:00",
            "2026-03-03T09:02:14",
            "",
            "x" * 600,
            "\u0000",
            "DK\u200b",
            [],
            {},
            None,
            True,
        ]
    ),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=20),
)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a JSON document, its root excluded."""
    children: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    found = []
    for key, child in children:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


def _replaced(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of the document with the value at `path` replaced (or, with value `_DELETE`, removed)."""
    copy = json.loads(json.dumps(document))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


_DELETE = object()


# Where a wrong value does the most harm: what is computed with, stored as a number or converted to a date.
_SENSITIVE = {
    "id",
    "order_line_id",
    "fulfillment_id",
    "quantity",
    "shipped_quantity",
    "amount_including_vat",
    "amount_excluding_vat",
    "vat_amount",
    "vat_percent",
    "occurred_at",
    "ordered_at",
    "currency_code",
    "country_code",
}


@st.composite
def mutated_events(draw: st.DrawFn) -> str:
    """A sample event with one to three values replaced by nasty ones or removed, sensitive fields most often."""
    event: Any = order_event(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(event)
        sensitive = [path for path in paths if path[-1] in _SENSITIVE]
        prefer_sensitive = draw(st.booleans())
        path = draw(st.sampled_from(sensitive if sensitive and prefer_sensitive else paths))
        event = _replaced(event, path, draw(st.one_of(NASTY, JSON_VALUES, st.just(_DELETE))))
    return json.dumps(event)


@st.composite
def legal_events(draw: st.DrawFn) -> str:
    """A sample event whose lines carry any amounts and quantities the contract allows."""
    event = order_event(draw(st.sampled_from(SAMPLES)))
    amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=2)
    for line in event["sales_order"]["order_lines"]:
        line["quantity"] = str(draw(st.decimals(min_value="0.0001", max_value=10**6, places=4)))
        line["amount_including_vat"] = str(draw(amounts))
        line["vat_amount"] = str(draw(amounts))
        line["vat_percent"] = str(draw(st.sampled_from(["0", "0.25", "0.19", "0.255"])))
    return json.dumps(event)


BODIES = st.one_of(
    mutated_events(),
    legal_events(),
    JSON_VALUES.map(json.dumps),
    st.text(max_size=200),
    st.integers(min_value=1, max_value=10_000).map(lambda depth: "[" * depth + "]" * depth),
)


def sqs_event(body: str) -> dict[str, Any]:
    """One message as Lambda's SQS event source delivers it, first receive."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "receipt-handle",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1764410400000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1764410400001",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders",
                "awsRegion": "eu-west-1",
            }
        ]
    }


@pytest.fixture
def deliver(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], tuple[Any, WorkerWorld]]:
    """Hands one body to the real order handler, its service wired to a fresh world of fakes."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    # The handler reads the queue's settings (max receives, back-off); the resources behind them are fakes here.
    settings = WorkerSettings(TABLE_NAME="t", TOKEN_KEY_ID="k", ORDER_QUEUE_URL="q", DINERO_CLIENT_ID="c")
    monkeypatch.setattr(order_handler, "worker_settings", lambda: settings)

    def handle(body: str) -> tuple[Any, WorkerWorld]:
        world = WorkerWorld()
        monkeypatch.setattr(order_handler, "worker_service", lambda: world.service)
        result = order_handler.lambda_handler(sqs_event(body), new_context("OrderFunction", 60))
        return result, world

    return handle


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(body=BODIES)
def test_every_order_message_ends_as_a_final_record_or_a_rejected_event_on_its_first_delivery(
    deliver: Callable[[str], tuple[Any, WorkerWorld]], body: str
) -> None:
    # Given any message body on the order queue

    # When the handler receives it for the first time
    result, world = deliver(body)

    # Then it is not handed back for a retry, and it left exactly one trace with its outcome (an order.paid event
    # finds nothing to pay with payments off: nothing to record)
    assert result == {"batchItemFailures": []}
    records = list(world.records.records.values())
    assert len(records) + len(world.records.rejected) == (0 if _nothing_to_pay(body) else 1)
    for record in records:
        assert record.status is not OrderStatus.PROCESSING
        assert record.status is OrderStatus.BOOKED or record.reason
    for rejected in world.records.rejected:
        assert rejected["reason"]
    event(records[0].status.value if records else "rejected")  # shown by --hypothesis-show-statistics


def _nothing_to_pay(body: str) -> bool:
    """An order.paid event of the world's own webshop: with payments off it has nothing to do."""
    try:
        event = parse_order_event(body)
    except ValueError:
        return False
    return isinstance(event, OrderPaidEvent) and (event.merchant_id, event.order_integration_id) == (MERCHANT, WEBSHOP)
