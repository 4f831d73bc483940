"""Seeding a connected, configured merchant straight through the adapters (for tests of the order pipeline)."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from boto3.dynamodb.conditions import Key
from pydantic import SecretStr

from dinero_bookkeeping.domain.integration import (
    AccountingIntegration,
    Connection,
    OrderIntegrationLink,
    connection_id_for,
    integration_id_for,
)
from dinero_bookkeeping.domain.tokens import TokenSet
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_PRO_ORG_ID, DEMO_USER
from infra.local.system import LocalSystem
from support.events import standard_templates

MERCHANT = "merchant-1"
WEBSHOP = "webshop-1"


def connect_merchant(
    system: LocalSystem, *, book_automatically: bool = True, merchant_id: str = MERCHANT, **accounts: int | None
) -> str:
    """A merchant who connected Dinero, activated org 1001, filled the templates and linked webshop-1."""
    assert system.sandbox is not None
    adapters = worker_adapters()
    now = datetime.now(UTC)
    issued = system.sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
    connection = Connection(connection_id=connection_id_for(merchant_id), merchant_id=merchant_id, updated_at=now)
    adapters.connections.save_grant(
        connection,
        TokenSet(
            access_token=SecretStr(issued.access_token),
            refresh_token=SecretStr(issued.refresh_token),
            access_expires_at=datetime.fromtimestamp(now.timestamp() + issued.expires_in, UTC),
        ),
    )
    integration_id = integration_id_for(merchant_id, DEMO_PRO_ORG_ID)
    adapters.integrations.put_integration(
        AccountingIntegration(
            integration_id=integration_id,
            merchant_id=merchant_id,
            connection_id=connection.connection_id,
            organization_id=DEMO_PRO_ORG_ID,
            organization_name="Nordlys Webshop ApS",
            is_pro=True,
            active=True,
            book_automatically=book_automatically,
            created_at=now,
            updated_at=now,
        )
    )
    layout_id = UUID(system.sandbox.state.organizations[DEMO_PRO_ORG_ID].default_layout().id)
    for kind, template in standard_templates(layout_id, **accounts).templates.items():
        assert kind is template.kind
        adapters.integrations.put_template(integration_id, template)
    adapters.integrations.put_link(
        OrderIntegrationLink(
            order_integration_id=WEBSHOP, integration_id=integration_id, merchant_id=merchant_id, linked_at=now
        )
    )
    return integration_id


def order_records(integration_id: str) -> list[dict[str, Any]]:
    """The integration's order records as stored, oldest first."""
    table = worker_adapters().table
    response = table.query(
        KeyConditionExpression=Key("pk").eq(f"INTEGRATION#{integration_id}") & Key("sk").begins_with("ORDER#"),
        ConsistentRead=True,
    )
    return sorted(response["Items"], key=lambda item: str(item["created_at"]))


def rejected_events() -> list[dict[str, Any]]:
    table = worker_adapters().table
    return list(table.query(KeyConditionExpression=Key("pk").eq("REJECTED_EVENTS"), ConsistentRead=True)["Items"])
