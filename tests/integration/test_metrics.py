"""The metrics the functions really emit: EMF lines printed by the handlers while orders meet Dinero's faults,
expired tokens, revoked consent and a full budget, read back the way CloudWatch reads them."""

import json
from collections import Counter
from collections.abc import Iterator

import pytest

from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import METRICS_NAMESPACE, SERVICE, metrics
from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID, DEMO_USER
from infra.local.system import LocalSystem
from support.events import order_event
from support.seed import connect_merchant

INVOICES = f"/v1/{DEMO_PRO_ORG_ID}/invoices"


def _system(moto_endpoint: str, **environment: str) -> Iterator[LocalSystem]:
    # Emitted (printed) rather than dropped; transient failures come back at once.
    settings = {"RETRY_BASE_DELAY_SECONDS": "0", "POWERTOOLS_METRICS_DISABLED": "false", **environment}
    with LocalSystem(moto_endpoint=moto_endpoint, environment=settings) as local:
        # Metrics added while an earlier test ran with metrics disabled are never flushed; they are not ours.
        metrics.clear_metrics()
        yield local


@pytest.fixture
def system(moto_endpoint: str) -> Iterator[LocalSystem]:
    yield from _system(moto_endpoint)


@pytest.fixture
def tight_budget_system(moto_endpoint: str) -> Iterator[LocalSystem]:
    """Room for one new customer's order (5 calls) a minute."""
    yield from _system(moto_endpoint, DINERO_RATE_LIMIT_PER_MINUTE="5")


def emitted(output: str) -> Counter[str]:
    """Metric name -> total, from the EMF documents among the printed lines; each must be well-formed for CloudWatch."""
    totals: Counter[str] = Counter()
    for line in output.splitlines():
        document = json.loads(line) if line.startswith("{") else None
        if not (isinstance(document, dict) and "_aws" in document):
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == METRICS_NAMESPACE
            for definition in directive["Metrics"]:
                name = definition["Name"]
                if name == "ColdStart":
                    continue
                assert definition["Unit"] == "Count"
                assert directive["Dimensions"] == [["service"]] and document["service"] == SERVICE
                value = document[name]
                totals[name] += int(sum(value) if isinstance(value, list) else value)
    return totals


def test_orders_through_dinero_faults_and_token_trouble_emit_the_documented_metrics(
    system: LocalSystem, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: a configured merchant
    assert system.sandbox is not None
    faults = system.sandbox.faults
    connect_merchant(system)
    capsys.readouterr()

    # When: an order meets Dinero's 429 and then a 503; the next, after its access token expired, a failed refresh
    # (Visma Connect 503) and then a dropped connection once Dinero created its invoice; the merchant then revokes
    # consent at Visma before a third order; and an event arrives for a webshop nobody linked
    faults.add(method="POST", path=INVOICES, status=429, seconds=0)
    faults.add(method="GET", path=f"{INVOICES}/*", status=503)
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    system.sandbox.state.expire_access_tokens()
    faults.add(method="POST", path="/connect/token", status=503)
    faults.add(method="POST", path=INVOICES, kind="drop_after_commit")
    system.send_order(order_event("with_gift_card"))
    system.drain_orders()
    system.sandbox.state.revoke_consent(DEMO_USER)
    system.sandbox.state.expire_access_tokens()
    system.send_order(order_event("norway_export"))
    system.send_order(order_event("free_shipping", order_integration_id="webshop-nobody-linked"))
    system.drain_orders()
    totals = emitted(capsys.readouterr().out)

    # Then: each event counted under its documented name, and nothing else
    assert totals == {
        Metric.DINERO_THROTTLED: 1,
        Metric.DINERO_SERVER_ERRORS: 1,
        Metric.DINERO_UNANSWERED: 1,
        Metric.ORDERS_RETRIED: 4,
        Metric.ORDERS_BOOKED: 1,
        Metric.ORDERS_DRAFT: 1,  # the gift card order: a draft for the merchant to book by hand
        Metric.TOKEN_REFRESH_FAILED: 2,  # Visma Connect down once, then the revoked consent
        Metric.TOKEN_REFRESHED: 1,
        Metric.CONNECTION_DISCONNECTED: 1,
        Metric.ORDERS_FAILED: 1,
        Metric.ORDERS_REJECTED: 1,
    }


def test_an_order_waiting_for_its_organizations_budget_counts_as_a_budget_wait_not_a_retry(
    tight_budget_system: LocalSystem, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: a configured merchant whose organization's budget has room for one new customer's order a minute
    connect_merchant(tight_budget_system)
    capsys.readouterr()

    # When: two orders arrive together
    tight_budget_system.send_order(order_event("danish_private"))
    tight_budget_system.send_order(order_event("eu_private_de"))
    tight_budget_system.drain_orders()
    totals = emitted(capsys.readouterr().out)

    # Then: one booked, one waiting for its turn, and no retry counted
    assert totals[Metric.ORDERS_BOOKED] == 1
    assert totals[Metric.ORDERS_WAITING] == 1
    assert Metric.ORDERS_RETRIED not in totals
