"""Dinero's HTTP API. Maps every answer to our error kinds; retries nothing itself except one 401 → refresh.

A POST is never repeated here: when its outcome is unknown (timeout, dropped connection) the caller's next attempt
looks the result up by its Guid first. Amounts are parsed as Decimal straight from the JSON text.
"""

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

import requests
from pydantic import BaseModel, ConfigDict, SecretStr

from dinero_bookkeeping.adapters.token_provider import TokenProvider
from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice
from dinero_bookkeeping.domain.errors import (
    DineroValidationError,
    NotFoundError,
    OrganizationNotProError,
    PermanentError,
    RetryableError,
)
from dinero_bookkeeping.domain.payment import PaymentsOverview
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count
from dinero_bookkeeping.ports import RequestMeter

# Dinero's error codes (developer.dinero.dk "error and status"): 58 stale Timestamp; 90 (older docs: 48) no Pro.
STALE_TIMESTAMP = 58
NO_PRO_CODES = frozenset({48, 90})
DEFAULT_RETRY_AFTER_S = 60.0


class DineroOrganization(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    is_pro: bool


class _Unauthorized(Exception):
    """The access token was refused: refresh once and repeat (Dinero did not act on the request)."""


class DineroHttp:
    def __init__(self, session: requests.Session, base_url: str, timeout: float) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        token: SecretStr,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """The parsed JSON answer, or None for a 404. Raises our error kinds for everything else."""
        headers = {"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._session.request(
                method,
                f"{self._base_url}{path}",
                headers=headers,
                data=json.dumps(body) if body is not None else None,
                params=params,
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            count(Metric.DINERO_UNANSWERED)
            raise RetryableError(f"Dinero did not answer {method} {_template(path)} (outcome unknown)") from error
        if response.status_code == 404:
            return None
        if response.status_code == 401:
            raise _Unauthorized
        if response.status_code == 429:
            count(Metric.DINERO_THROTTLED)
        elif response.status_code >= 500:
            count(Metric.DINERO_SERVER_ERRORS)
        if response.status_code >= 300:
            raise _error_for(response, method, path)
        return json.loads(response.text, parse_float=Decimal) if response.text else None


class DineroClient:
    """The DineroGateway: one client per Lambda, bound to an organization per use."""

    def __init__(self, http: DineroHttp, tokens: TokenProvider) -> None:
        self._http = http
        self._tokens = tokens

    def for_organization(
        self, connection_id: str, organization_id: int, meter: RequestMeter
    ) -> "DineroOrganizationClient":
        return DineroOrganizationClient(self._http, self._tokens, connection_id, organization_id, meter)

    def list_organizations(self, access_token: SecretStr) -> list[DineroOrganization]:
        """Right after the code exchange, with the fresh token in hand (nothing stored yet)."""
        try:
            items = self._http.request("GET", "/v1/organizations", access_token, params={"fields": "Id,Name,IsPro"})
        except _Unauthorized as error:
            raise PermanentError("Dinero refused the new access token") from error
        return [DineroOrganization(id=i["Id"], name=i["Name"], is_pro=bool(i["IsPro"])) for i in items or []]


class DineroOrganizationClient:
    """Dinero as one organization sees it: the DineroOrganizationApi, DineroLedgerApi and DineroChoicesApi ports.

    Every request goes through `meter` first, the repeat after a 401 too: each counts against the organization's
    budget, which Dinero's own limit does as well.
    """

    def __init__(
        self, http: DineroHttp, tokens: TokenProvider, connection_id: str, organization_id: int, meter: RequestMeter
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._connection_id = connection_id
        self._meter = meter
        self._prefix = f"/v1/{organization_id}"
        self._token: SecretStr | None = None

    def find_contact(self, *, email: str | None, name: str, vat_number: str | None = None) -> UUID | None:
        field, value = ("VatNumber", vat_number) if vat_number else ("Email", email) if email else ("Name", name)
        if "'" in value:
            return None  # the filter grammar has no escape for quotes; a new contact is the safe answer
        params = {"queryFilter": f"{field} eq '{value}'", "fields": "ContactGuid,Name", "pageSize": "1"}
        found = self._call("GET", "/contacts", params=params)
        collection = (found or {}).get("Collection") or []
        return UUID(str(collection[0]["ContactGuid"])) if collection else None

    def create_contact(self, body: dict[str, Any]) -> UUID:
        created = self._call("POST", "/contacts", body=body)
        return UUID(str(created["ContactGuid"]))

    def create_invoice(self, body: dict[str, Any]) -> None:
        self._call("POST", "/invoices", body=body)

    def get_invoice(self, guid: UUID) -> DineroInvoice | None:
        found = self._call("GET", f"/invoices/{guid}")
        return _invoice(found) if found else None

    def book_invoice(self, guid: UUID, timestamp: str) -> DineroInvoice:
        booked = self._call("POST", f"/invoices/{guid}/book", body={"Timestamp": timestamp})
        if not booked:
            raise NotFoundError(f"Invoice {guid} disappeared from Dinero before it was booked")
        return _invoice(booked)

    def list_entry_accounts(self) -> list[dict[str, Any]]:
        params = {"fields": "AccountNumber,Name,VatCode,IsHidden"}
        return list(self._call("GET", "/accounts/entry", params=params) or [])

    def list_invoice_layouts(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/invoices/templates") or [])

    def list_vat_types(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/vatTypes") or [])

    def list_deposit_accounts(self) -> list[dict[str, Any]]:
        params = {"fields": "AccountNumber,Name,IsDefault,IsHidden"}
        return list(self._call("GET", "/accounts/deposit", params=params) or [])

    # --- after the invoice: payments, deletion, credit notes (the DineroLedgerApi port) ---

    def invoice_total_in_dkk(self, guid: UUID, external_reference: str) -> Decimal | None:
        if "'" in external_reference:
            return None
        params = {
            "queryFilter": f"ExternalReference eq '{external_reference}'",
            "fields": "Guid,TotalInclVat,TotalInclVatInDkk",
            "pageSize": "100",
        }
        found = self._call("GET", "/invoices", params=params)
        for item in (found or {}).get("Collection") or []:
            if UUID(str(item["Guid"])) == guid and item.get("TotalInclVatInDkk") is not None:
                return Decimal(item["TotalInclVatInDkk"])
        return None

    def list_invoice_payments(self, guid: UUID) -> PaymentsOverview | None:
        # Dinero lists an invoice's payments under /v2 only.
        found = self._call("GET", f"/invoices/{guid}/payments", version=2)
        return _payments(found) if found else None

    def create_invoice_payment(self, guid: UUID, body: dict[str, Any]) -> None:
        self._call("POST", f"/invoices/{guid}/payments", body=body)

    def delete_invoice(self, guid: UUID, timestamp: str) -> None:
        self._call("DELETE", f"/invoices/{guid}", body={"Timestamp": timestamp})

    def create_credit_note(self, body: dict[str, Any]) -> None:
        self._call("POST", "/sales/creditnotes", body=body)

    def get_credit_note(self, guid: UUID) -> DineroInvoice | None:
        found = self._call("GET", f"/sales/creditnotes/{guid}")
        return _invoice(found) if found else None

    def book_credit_note(self, guid: UUID, timestamp: str) -> DineroInvoice:
        booked = self._call("POST", f"/sales/creditnotes/{guid}/book", body={"Timestamp": timestamp})
        if not booked:
            raise NotFoundError(f"Credit note {guid} disappeared from Dinero before it was booked")
        return _invoice(booked)

    def list_credit_note_payments(self, guid: UUID) -> PaymentsOverview | None:
        found = self._call("GET", f"/sales/creditnotes/{guid}/payments")
        return _payments(found) if found else None

    def create_credit_note_payment(self, guid: UUID, body: dict[str, Any]) -> None:
        self._call("POST", f"/sales/creditnotes/{guid}/payments", body=body)

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        version: int = 1,
    ) -> Any:
        url = self._prefix.replace("/v1/", f"/v{version}/", 1) + path
        if self._token is None:
            self._token = self._tokens.access_token(self._connection_id)
        self._meter()
        try:
            return self._http.request(method, url, self._token, body=body, params=params)
        except _Unauthorized:
            self._token = self._tokens.access_token(self._connection_id, rejected=self._token)
        self._meter()
        try:
            return self._http.request(method, url, self._token, body=body, params=params)
        except _Unauthorized as error:
            raise RetryableError("Dinero refused a freshly refreshed access token") from error


def _invoice(data: dict[str, Any]) -> DineroInvoice:
    return DineroInvoice(
        guid=data["Guid"],
        timestamp=data["TimeStamp"],
        status=data["Status"],
        number=data.get("Number") or None,
        currency=data.get("Currency") or "DKK",
        total_incl_vat=Decimal(data["TotalInclVat"]),
        total_vat=Decimal(data["TotalVat"]),
        contact_guid=data.get("ContactGuid") or None,
    )


def _payments(data: dict[str, Any]) -> PaymentsOverview:
    """An InvoicePaymentsModel (invoices and credit notes alike)."""
    return PaymentsOverview(
        external_references=[
            str(p["ExternalReference"]) for p in data.get("Payments") or [] if p.get("ExternalReference")
        ],
        remaining_amount=Decimal(data["RemainingAmount"]),
        paid_amount=Decimal(data["PaidAmount"]),
    )


def _error_for(response: requests.Response, method: str, path: str) -> Exception:
    status = response.status_code
    if status == 429:
        return RetryableError("Dinero's rate limit was reached", retry_after_seconds=_retry_after(response))
    if status >= 500 or status == 480:
        return RetryableError(f"Dinero answered {status} to {method} {_template(path)}")
    code, message, fields = _error_body(response)
    if status == 403:
        if code in NO_PRO_CODES:
            return OrganizationNotProError("The organization has no Dinero Pro subscription, which the API requires")
        return PermanentError("Dinero refused access to the organization: the connected user may have lost access")
    if status == 400 and code == STALE_TIMESTAMP:
        return RetryableError("The invoice changed in Dinero meanwhile (stale timestamp)")
    details = "; ".join(f"{field}: {text}" for field, text in fields.items())
    return DineroValidationError(
        f"Dinero rejected {_template(path)}: {message}" + (f" ({details})" if details else ""), frozenset(fields)
    )


def _error_body(response: requests.Response) -> tuple[int | None, str, dict[str, str]]:
    """Dinero's error bodies vary by version (code/errorCode, message/errorMessage); read them defensively."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200] or f"HTTP {response.status_code}", {}
    if not isinstance(body, dict):
        return None, f"HTTP {response.status_code}", {}
    code = body.get("code", body.get("errorCode"))
    message = str(body.get("message") or body.get("errorMessage") or f"HTTP {response.status_code}")
    fields = body.get("validationErrors") or {}
    return (
        (int(code) if isinstance(code, int | str) and str(code).isdigit() else None),
        message,
        {str(k): str(v) for k, v in (fields.items() if isinstance(fields, dict) else [])},
    )


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.replace(".", "", 1).isdigit() else DEFAULT_RETRY_AFTER_S


def _template(path: str) -> str:
    """The path without ids, for messages and logs."""
    return "/".join("{id}" if part and (part[0].isdigit() or len(part) == 36) else part for part in path.split("/"))
