"""The demo `make run` shows: a merchant's whole journey over HTTP, then sample orders through the queue.

Everything goes through the same doors a real merchant and order platform use: the HTTP gateway (the deployed
routes and handlers, a development JWT) and the SQS queue. The end-to-end test runs this very function.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from dinero_bookkeeping.domain.money import format_amount
from infra.local.demo_shipmondo import run_shipmondo_demo
from infra.local.system import REPO_ROOT, LocalSystem

SAMPLE_ORDERS = REPO_ROOT / "tests" / "data" / "orders"
MERCHANT = "demo-merchant"
WEBSHOP = "webshop-1"
# As an accountant fills them on Dinero's standard chart: goods and freight with Danish VAT; exports (freight follows
# the goods: same code); EU goods to businesses (UEUV, box B) and their freight on the webshop's UEUV freight account.
# An EU consumer charged Danish VAT is then booked on the Domestic accounts, which carry it.
ACCOUNTS = {
    "product_domestic": 1000,
    "shipping_domestic": 1350,
    "product_outside_eu": 1255,
    "shipping_outside_eu": 1255,
    "shipping_eu": 1110,
}
LATER_ACCOUNTS = {"product_eu": 1100}  # left empty at first, to show an incomplete template and a retry
# Payments registered on the bank, card payments through QuickPay on its clearing account (acquirers pay out net).
PAYMENT_METHOD_ACCOUNTS = {"quickpay": 55010}
# OSS for Germany: sales to German consumers without Danish VAT, the German VAT on a liability account.
OSS = {"liability_account_number": 63100, "countries": {"DE": 1160}}


@dataclass(frozen=True)
class DemoResult:
    integration_id: str
    organizations: list[dict[str, Any]]
    orders: list[dict[str, Any]]


class MerchantApi:
    """The configuration API as the merchant's app calls it."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.session.request(method, self.base_url + path, json=body, allow_redirects=False, timeout=30)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None


def connect_dinero(api: MerchantApi) -> str:
    """Consent as a browser would: authorize → Visma Connect's form_post page → our callback. Returns the app URL it
    redirects to (`?dinero=complete&handle=…`), where the app finishes the connection with POST /oauth/complete."""
    authorize_url = api.call("POST", "/oauth/connect")["authorize_url"]
    page = requests.get(authorize_url, allow_redirects=False, timeout=30)
    if page.status_code != 200:
        raise RuntimeError(f"Visma Connect answered {page.status_code} to the authorize request")
    action, fields = read_form(page.text)
    back = requests.post(action, data=fields, allow_redirects=False, timeout=30)
    return back.headers["Location"]


def read_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of a response_mode=form_post page."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    if action is None:
        raise RuntimeError("the authorize page holds no form")
    fields = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)
    return unescape(action.group(1)), {name: unescape(value) for name, value in fields}


def run_demo(system: LocalSystem, say: Callable[[str], None] = print) -> DemoResult:
    api = MerchantApi(system.gateway_url, system.merchant_token(MERCHANT))

    say("1. The merchant connects Dinero (Visma Connect OAuth with PKCE)")
    outcome = parse_qs(urlsplit(connect_dinero(api)).query)
    say(f"   back in the app with dinero={outcome['dinero'][0]} and a one-time handle")
    completed = api.call("POST", "/oauth/complete", {"handle": outcome["handle"][0]})
    say(f"   the app completes it with the merchant's token: {_plain_json(completed)}")
    organizations = api.call("GET", "/integrations")
    for org in organizations:
        pro = "Dinero Pro" if org["is_pro"] else "no Dinero Pro: cannot be activated"
        say(f"   - {org['organization_name']} (organization {org['organization_id']}): {pro}")
    pro_org = next(org for org in organizations if org["is_pro"])
    other = next(org for org in organizations if not org["is_pro"])
    integration = f"/integrations/{pro_org['integration_id']}"

    say(f"2. Activate {pro_org['organization_name']}: 7 templates, accounts empty")
    api.call("POST", f"{integration}/activate")
    refused = api.call("POST", f"/integrations/{other['integration_id']}/activate", expect=409)
    say(f"   activating {other['organization_name']} is refused: {refused['message']}")

    say("3. Fill the templates from the organization's own choices")
    accounts = {account["number"]: account for account in api.call("GET", f"{integration}/choices/accounts")}
    layout = next(layout for layout in api.call("GET", f"{integration}/choices/layouts") if layout["is_default"])
    api.call(
        "PUT",
        f"{integration}/templates/invoice",
        {"layout_id": layout["id"], "payment_condition_type": "Netto", "payment_condition_days": 8},
    )
    say(f"   Invoice: layout '{layout['name']}', net 8 days")
    for kind, number in ACCOUNTS.items():
        saved = api.call("PUT", f"{integration}/templates/{kind}", {"account_number": number})
        warning = f"  (warning: {'; '.join(saved['warnings'])})" if saved["warnings"] else ""
        say(f"   {saved['label']}: {number} {accounts[number]['name']} [{accounts[number]['vat_code']}]{warning}")
    say("   Product (EU) is left empty for now")

    deposits = {account["number"]: account for account in api.call("GET", f"{integration}/choices/deposit-accounts")}
    bank = next(number for number, account in deposits.items() if account["is_default"])
    payments = {"register_payments": True, "deposit_account": bank, "method_accounts": PAYMENT_METHOD_ACCOUNTS}
    api.call("PUT", f"{integration}/payment-template", payments)
    for method, number in {"(default)": bank, **PAYMENT_METHOD_ACCOUNTS}.items():
        say(f"   Payment {method}: deposit account {number} {deposits[number]['name']}")

    say("4. Book automatically: on;  5. link webshop-1")
    api.call("PUT", f"{integration}/book-automatically", {"enabled": True})
    api.call("PUT", f"{integration}/links/{WEBSHOP}")

    say(
        "6. The webshop handles orders: Danish, Norwegian (export), German consumer at Danish VAT, German business "
        "with and without its VAT number (0 %), mugs at 19,99 (VAT finer than an øre), and the Danish one twice"
    )
    for name in (
        "danish_private",
        "norway_export",
        "eu_private_de",
        "eu_business_de_reverse_charge",
        "eu_business_de_without_vat_number",
        "sub_ore_vat",
        "danish_private",
    ):
        system.send_order({**_sample(name), "merchant_id": MERCHANT})
    system.drain_orders()
    _print_orders(api.call("GET", f"{integration}/orders")["orders"], say)

    say("7. The merchant fills Product (EU) and retries the failed orders, configures OSS for Germany, and a German")
    say("   consumer order charged German VAT (19 % and 7 %) arrives")
    for kind, number in LATER_ACCOUNTS.items():
        saved = api.call("PUT", f"{integration}/templates/{kind}", {"account_number": number})
        say(f"   {saved['label']}: {number} {accounts[number]['name']} [{accounts[number]['vat_code']}]")
    oss = api.call("PUT", f"{integration}/oss", OSS)
    for country, held in oss["countries"].items():
        say(f"   OSS {country}: sales on {held['account_number']} {accounts[held['account_number']]['name']}")
    liability = oss["liability_account"]["account_number"]
    say(f"   OSS VAT liability: {liability} {accounts[liability]['name']}")
    for order in api.call("GET", f"{integration}/orders")["orders"]:
        if order["status"] == "failed":
            api.call("POST", f"{integration}/orders/{order['order_id']}/retry", expect=202)
    system.send_order({**_sample("eu_private_de_oss"), "merchant_id": MERCHANT})
    system.drain_orders()
    _print_orders(api.call("GET", f"{integration}/orders")["orders"], say)

    say("8. After the invoice: an order with a gift card (a draft) is cancelled; one T-shirt of 10421 comes back")
    system.send_order({**_sample("with_gift_card"), "merchant_id": MERCHANT})
    system.drain_orders()
    for name in ("cancelled_order", "returned_partial", "returned_partial"):
        system.send_order({**_sample(name), "merchant_id": MERCHANT})
    system.drain_orders()
    orders = api.call("GET", f"{integration}/orders")["orders"]
    _print_orders(orders, say)
    _print_invoices(system, pro_org["organization_id"], say)
    run_shipmondo_demo(system, api, pro_org["integration_id"], say)
    return DemoResult(integration_id=pro_org["integration_id"], organizations=organizations, orders=orders)


def _sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SAMPLE_ORDERS / f"{name}.json").read_text())
    return event


_KIND_ORDER = ("invoice", "payment", "credit_note", "cancellation")


def _print_orders(orders: list[dict[str, Any]], say: Callable[[str], None]) -> None:
    """Per order: its invoice, payment, credit notes (with refunds) and cancellation, with status and reason."""
    say("   orders:")
    for order in sorted(orders, key=lambda o: (o["order_number"], _KIND_ORDER.index(o["kind"]), o["created_at"])):
        number = "credit note" if order["kind"] == "credit_note" else "invoice"
        document = f"{number} {order['invoice_number']}" if order["invoice_number"] else ""
        total = f"{order['total_incl_vat']} {order['currency']}" if order["total_incl_vat"] else ""
        reason = f" — {order['reason']}" if order["reason"] else ""
        say(
            f"   - order {order['order_number']} {order['kind']:<12} {order['status']:<7} {document:<14} "
            f"{total:>14}{reason}"
        )
        if order["payment"]:
            payment = order["payment"]
            what = "refunded" if order["kind"] == "credit_note" else "paid"
            currency = payment["currency"]
            remaining = Decimal(payment["remaining_amount"] or "0")
            say(
                f"       {what} {format_amount(Decimal(payment['amount']), currency)} on {payment['deposit_account']} "
                f"on {payment['payment_date']}; remaining {format_amount(remaining, currency)}"
            )


def _print_invoices(system: LocalSystem, organization_id: int, say: Callable[[str], None]) -> None:
    if system.sandbox is None:
        return  # real Dinero: look in Dinero itself
    say("   invoices in the Dinero sandbox:")
    for invoice in system.sandbox.state.invoices(organization_id):
        number = invoice.get("Number") or "-"
        say(
            f"   - #{number} {invoice['PaymentStatus']:<6} order {invoice['ExternalReference']}: "
            f"{invoice['TotalInclVat']} {invoice['Currency']} incl. {invoice['TotalVat']} VAT"
        )
        for line in invoice["ProductLines"]:
            if line.get("LineType") != "Text":
                say(
                    f"       {line['Quantity']} x {line['Description']:<40} "
                    f"{line['BaseAmountValueInclVat']:>9} on {line['AccountNumber']}"
                )
    say("   credit notes in the Dinero sandbox:")
    for credit_note in system.sandbox.state.credit_notes(organization_id):
        refunds = system.sandbox.state.payments(organization_id, credit_note["Guid"])
        refunded = sum((Decimal(str(refund["Amount"])) for refund in refunds), Decimal(0))
        say(
            f"   - #{credit_note.get('Number') or '-'} {credit_note['Status']:<6} order "
            f"{credit_note['ExternalReference']}: {credit_note['TotalInclVat']} {credit_note['Currency']}, "
            f"refunded {refunded}"
        )


def _plain_json(body: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in body.items())
