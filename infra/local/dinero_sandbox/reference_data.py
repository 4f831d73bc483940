"""Read-only endpoints: the user's organizations, and an organization's accounts (entry and deposit), VAT types,
layouts, settings."""

from infra.local.dinero_sandbox.api_context import ApiContext
from infra.local.dinero_sandbox.listing import field_selection, project
from infra.local.dinero_sandbox.messages import Response, SandboxRequest, json_response
from infra.local.dinero_sandbox.state import SandboxState

ORGANIZATION_FIELDS = (
    *("Name", "Id", "Type", "IsPro", "IsPayingPro", "IsVatFree", "Email", "Phone", "Street", "City", "ZipCode"),
    *("AttPerson", "IsTaxFreeUnion", "VatNumber", "CountryKey", "Website"),
)
ACCOUNT_FIELDS = (
    *("AccountNumber", "PublicStandardNumber", "Name", "VatCode", "Category", "CategoryName", "IsHidden"),
    "IsDefaultSalesAccount",
)


def list_organizations(state: SandboxState, user: str, request: SandboxRequest) -> Response:
    """Every organization the user can reach, Pro or not (this is how a client learns which are Pro)."""
    selection = field_selection(request.query.get("fields"), "id,name,isPro", ORGANIZATION_FIELDS)
    owned = sorted((org for org in state.organizations.values() if org.owner == user), key=lambda org: org.id)
    return json_response(200, [project(org.profile, selection) for org in owned])


def list_entry_accounts(context: ApiContext) -> Response:
    query = context.request.query
    selection = field_selection(query.get("fields"), "AccountNumber,Name,IsHidden", ACCOUNT_FIELDS)
    category = query.get("categoryFilter", "").strip().lower()
    accounts = sorted(context.organization.accounts.values(), key=lambda account: account.number)
    chosen = [account for account in accounts if not category or account.category.lower() == category]
    return json_response(200, [project(account.read_model(), selection) for account in chosen])


DEPOSIT_FIELDS = (
    *("AccountNumber", "PublicStandardNumber", "Name", "IsDefault", "IsHidden", "BankRegistrationNumber"),
    *("BankAccountNumber", "BankSwiftNumber", "BankIbanNumber"),
)


def list_deposit_accounts(context: ApiContext) -> Response:
    selection = field_selection(context.request.query.get("fields"), "AccountNumber,Name", DEPOSIT_FIELDS)
    accounts = sorted(context.organization.deposit_accounts.values(), key=lambda account: account.number)
    return json_response(200, [project(account.read_model(), selection) for account in accounts])


def list_vat_types(context: ApiContext) -> Response:
    return json_response(200, [vat_type.read_model() for vat_type in context.organization.vat_types.values()])


def list_layout_templates(context: ApiContext) -> Response:
    return json_response(200, [layout.read_model() for layout in context.organization.layouts])


def get_sales_settings(context: ApiContext) -> Response:
    return json_response(200, context.organization.sales_settings)
