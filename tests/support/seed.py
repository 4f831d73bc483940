"""Seeding and reading the system's state for tests of the order pipeline."""

from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from dinero_bookkeeping.domain.order_record import RejectedEvent
from dinero_bookkeeping.domain.payment import PaymentTemplate
from dinero_bookkeeping.domain.templates import TemplateKind
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.seeding import seed_configured_merchant
from infra.local.system import LocalSystem

MERCHANT = "merchant-1"
WEBSHOP = "webshop-1"


# Payments registered: the bank by default, card payments through QuickPay on its clearing account.
PAYMENTS = PaymentTemplate(register_payments=True, deposit_account=55000, method_accounts={"quickpay": 55010})


def connect_merchant(
    system: LocalSystem,
    *,
    book_automatically: bool = True,
    payments: PaymentTemplate | None = None,
    **accounts: int | None,
) -> str:
    """merchant-1 connected to the sandbox, org 1001 active, templates filled (override by kind), webshop-1 linked;
    `payments`: the Payment template (payments off without one)."""
    assert system.sandbox is not None
    return seed_configured_merchant(
        system.sandbox,
        merchant_id=MERCHANT,
        webshop_id=WEBSHOP,
        book_automatically=book_automatically,
        payments=payments,
        accounts={TemplateKind(kind): number for kind, number in accounts.items()},
    )


def order_records(integration_id: str) -> list[dict[str, Any]]:
    """The integration's order records as stored, oldest first."""
    table = worker_adapters().table
    response = table.query(
        KeyConditionExpression=Key("pk").eq(f"INTEGRATION#{integration_id}") & Key("sk").begins_with("ORDER#"),
        ConsistentRead=True,
    )
    return sorted(response["Items"], key=lambda item: str(item["created_at"]))


def rejected_events() -> list[RejectedEvent]:
    """The events rejected today and yesterday (a test may run across midnight), oldest first."""
    today = datetime.now(UTC).date()
    return worker_adapters().records.rejected_events([today - timedelta(days=1), today])
