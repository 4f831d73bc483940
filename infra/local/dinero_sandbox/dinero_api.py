"""The Dinero API under /v1 (and the /v2 route the client uses): bearer auth, rate limit, organization access and
Pro, then routing.

Order of checks for an organization's endpoint: 401 (token) → 429 (rate limit per client and organization)
→ 404 (no such organization) → 403 (not the token user's) → 403 code 90 (not Pro) → route.
"""

import re
from collections.abc import Callable
from dataclasses import replace

from infra.local.dinero_sandbox import contacts, credit_notes, invoices, payments, reference_data
from infra.local.dinero_sandbox.api_context import ApiContext
from infra.local.dinero_sandbox.messages import (
    NOT_FOUND,
    NOT_PRO,
    UNAUTHORIZED,
    ApiError,
    Handled,
    Response,
    SandboxRequest,
    json_response,
    text_response,
)
from infra.local.dinero_sandbox.state import SandboxState

Endpoint = Callable[[ApiContext], Response]

_ORGANIZATION_PATH = re.compile(r"/v(?P<version>[12])/(?P<organization>\d+)(?P<rest>/.*)?")
# Dinero's routes are case-insensitive (ASP.NET); the first match wins, so fixed segments come before {guid}.
# Routes are /v1 unless their pattern starts with the version ("2:").
_ROUTES: list[tuple[str, re.Pattern[str], Endpoint]] = [
    (method, re.compile(pattern if pattern.startswith("2:") else f"1:{pattern}", re.IGNORECASE), endpoint)
    for method, pattern, endpoint in (
        ("GET", r"/accounts/entry", reference_data.list_entry_accounts),
        ("GET", r"/accounts/deposit", reference_data.list_deposit_accounts),
        ("GET", r"/vatTypes", reference_data.list_vat_types),
        ("GET", r"/invoices/templates", reference_data.list_layout_templates),
        ("GET", r"/sales/settings", reference_data.get_sales_settings),
        ("GET", r"/contacts", contacts.list_contacts),
        ("POST", r"/contacts", contacts.create_contact),
        ("GET", r"/contacts/(?P<guid>[^/]+)", contacts.get_contact),
        ("GET", r"/invoices", invoices.list_invoices),
        ("POST", r"/invoices", invoices.create_invoice),
        ("POST", r"/invoices/fetch", invoices.fetch_invoice),
        ("GET", r"/invoices/(?P<guid>[^/]+)", invoices.get_invoice),
        ("DELETE", r"/invoices/(?P<guid>[^/]+)", invoices.delete_invoice),
        ("POST", r"/invoices/(?P<guid>[^/]+)/book", invoices.book_invoice),
        ("GET", r"2:/invoices/(?P<guid>[^/]+)/payments", payments.list_invoice_payments),
        ("POST", r"/invoices/(?P<guid>[^/]+)/payments", payments.create_invoice_payment),
        ("POST", r"/invoices/(?P<guid>[^/]+)/generate-creditnote", credit_notes.generate_credit_note),
        ("POST", r"/sales/creditnotes", credit_notes.create_credit_note),
        ("POST", r"/sales/creditnotes/fetch", credit_notes.fetch_credit_note),
        ("GET", r"/sales/creditnotes/(?P<guid>[^/]+)", credit_notes.get_credit_note),
        ("POST", r"/sales/creditnotes/(?P<guid>[^/]+)/book", credit_notes.book_credit_note),
        ("GET", r"/sales/creditnotes/(?P<guid>[^/]+)/payments", payments.list_credit_note_payments),
        ("POST", r"/sales/creditnotes/(?P<guid>[^/]+)/payments", payments.create_credit_note_payment),
    )
]


def organization_in_path(path: str) -> int | None:
    match = _ORGANIZATION_PATH.fullmatch(path)
    return int(match["organization"]) if match else None


def bearer_token(request: SandboxRequest) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorized() -> Response:
    body = {"code": UNAUTHORIZED, "message": "Authorization has been denied for this request."}
    return json_response(401, body, (("WWW-Authenticate", 'Bearer error="invalid_token"'),))


def _quota_exceeded(limit: int, retry_after: int) -> Response:
    # Dinero answers 429 in plain text (developer.dinero.dk "best practices"), worded like AspNetCoreRateLimit.
    response = text_response(429, f"API calls quota exceeded! maximum admitted {limit} per 1m.")
    return replace(response, headers=(("Retry-After", str(retry_after)),))


def _route(context: ApiContext, version: str, rest: str) -> Response:
    allowed = False
    for method, pattern, endpoint in _ROUTES:
        match = pattern.fullmatch(f"{version}:{rest}")
        if match and method == context.request.method:
            return endpoint(ApiContext(context.state, context.organization, context.request, match.groupdict()))
        allowed = allowed or match is not None
    if allowed:
        raise ApiError(405, NOT_FOUND, f"{context.request.method} is not supported here")
    raise ApiError(404, NOT_FOUND, "No HTTP resource was found that matches the request URI")


def handle(state: SandboxState, request: SandboxRequest) -> Handled:
    """Answers one /v1 request. The caller holds the state lock."""
    match = _ORGANIZATION_PATH.fullmatch(request.path)
    organization_id = int(match["organization"]) if match else None
    token = bearer_token(request)
    grant = state.tokens.authenticate(token, state.clock()) if token else None
    if grant is None:
        return Handled(_unauthorized(), organization_id, state.tokens.client_of(token) if token else None)
    try:
        if request.path.lower() == "/v1/organizations" and request.method == "GET":
            return Handled(reference_data.list_organizations(state, grant.user, request), None, grant.client_id)
        if match is None or organization_id is None:
            raise ApiError(404, NOT_FOUND, "No HTTP resource was found that matches the request URI")
        retry_after = state.rate_limiter.admit(
            grant.client_id, organization_id, state.rate_limit_per_minute, state.clock()
        )
        if retry_after is not None:
            state.count("rate_limited")
            return Handled(_quota_exceeded(state.rate_limit_per_minute, retry_after), organization_id, grant.client_id)
        organization = state.organizations.get(organization_id)
        if organization is None:
            raise ApiError(404, NOT_FOUND, "The organization was not found")
        if organization.owner != grant.user:
            raise ApiError(403, UNAUTHORIZED, "The user has no access to this organization")
        if not organization.is_pro:
            raise ApiError(403, NOT_PRO, "The organization has no Dinero Pro subscription, which the API requires")
        response = _route(ApiContext(state, organization, request, {}), match["version"], match["rest"] or "")
    except ApiError as error:
        response = error.response()
    return Handled(response, organization_id, grant.client_id)
