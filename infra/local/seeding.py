"""A connected, configured merchant written straight through the adapters, skipping the OAuth and config API.

For benchmarks and tests of the order pipeline; the merchant journey itself is exercised through the API elsewhere.
"""

from datetime import UTC, datetime
from uuid import UUID

from pydantic import SecretStr

from dinero_bookkeeping.domain.integration import (
    AccountingIntegration,
    Connection,
    OrderIntegrationLink,
    connection_id_for,
    integration_id_for,
)
from dinero_bookkeeping.domain.payment import PaymentTemplate
from dinero_bookkeeping.domain.templates import PaymentConditionType, Template, TemplateKind
from dinero_bookkeeping.domain.tokens import TokenSet
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_PRO_ORG_ID, DEMO_USER, DineroSandbox

# Dinero's standard chart: 1000 sales with VAT, 1100 EU goods, 1255 export, 1350 freight w/ VAT; freight follows
# the goods, so EU freight on 1110 (UEUV, a webshop's own account) and export freight on the export account.
STANDARD_ACCOUNTS = {
    TemplateKind.PRODUCT_DOMESTIC: 1000,
    TemplateKind.PRODUCT_EU: 1100,
    TemplateKind.PRODUCT_OUTSIDE_EU: 1255,
    TemplateKind.SHIPPING_DOMESTIC: 1350,
    TemplateKind.SHIPPING_EU: 1110,
    TemplateKind.SHIPPING_OUTSIDE_EU: 1255,
}


def seed_configured_merchant(
    sandbox: DineroSandbox,
    *,
    merchant_id: str,
    webshop_id: str,
    organization_id: int = DEMO_PRO_ORG_ID,
    user: str = DEMO_USER,
    book_automatically: bool = True,
    accounts: dict[TemplateKind, int | None] | None = None,
    payments: PaymentTemplate | None = None,
) -> str:
    """Connected to the sandbox as `user`, organization active, templates filled (the Payment template if given),
    `webshop_id` linked."""
    adapters = worker_adapters()
    now = datetime.now(UTC)
    issued = sandbox.state.issue_tokens(user, DEMO_CLIENT_ID)
    connection = Connection(connection_id=connection_id_for(merchant_id), merchant_id=merchant_id, updated_at=now)
    tokens = TokenSet(
        access_token=SecretStr(issued.access_token),
        refresh_token=SecretStr(issued.refresh_token),
        access_expires_at=datetime.fromtimestamp(now.timestamp() + issued.expires_in, UTC),
    )
    adapters.connections.save_grant(connection, tokens)
    integration_id = integration_id_for(merchant_id, organization_id)
    organization = sandbox.state.organizations[organization_id]
    adapters.integrations.put_integration(
        AccountingIntegration(
            integration_id=integration_id,
            merchant_id=merchant_id,
            connection_id=connection.connection_id,
            organization_id=organization_id,
            organization_name=organization.name,
            is_pro=organization.is_pro,
            active=True,
            book_automatically=book_automatically,
            created_at=now,
            updated_at=now,
        )
    )
    chosen = {**STANDARD_ACCOUNTS, **(accounts or {})}
    for kind, number in chosen.items():
        # With the account's VAT code and rate recorded, as the configuration API stores a template.
        account = organization.accounts.get(number) if number is not None else None
        vat = (account.vat_code, organization.vat_rate(account)) if account else (None, None)
        template = Template(kind=kind, account_number=number, vat_code=vat[0], vat_rate=vat[1])
        adapters.integrations.put_template(integration_id, template)
    invoice = Template(
        kind=TemplateKind.INVOICE,
        layout_id=UUID(organization.default_layout().id),
        payment_condition_type=PaymentConditionType.NETTO,
        payment_condition_days=8,
    )
    adapters.integrations.put_template(integration_id, invoice)
    if payments is not None:
        adapters.payment_templates.put_payment_template(integration_id, payments)
    link = OrderIntegrationLink(
        order_integration_id=webshop_id, integration_id=integration_id, merchant_id=merchant_id, linked_at=now
    )
    adapters.integrations.add_link(link)
    return integration_id
