"""What a new organization looks like in the sandbox: Dinero's Danish standard chart, VAT types, layouts, settings.

The chart's sales part follows Dinero's standard chart of accounts ("standardkontoplan"), VAT codes as Dinero names
them (U25 domestic sales, UEUV/UEUV2/UEUY EU sales, UVV/UVY exports, I25 purchases, "none" for no VAT).
"""

from decimal import Decimal

from infra.local.dinero_sandbox.organization import (
    DepositAccount,
    EntryAccount,
    LayoutTemplate,
    Organization,
    VatType,
    layout_id,
)

DEMO_CLIENT_ID = "isv_sandbox_client"
DEMO_CLIENT_SECRET = "sandbox-secret"  # a published demo credential, valid only against the sandbox
DEMO_USER = "demo-user"
DEMO_PRO_ORG_ID = 1001
DEMO_NON_PRO_ORG_ID = 1002
DEMO_OTHER_USER = "other-user"
DEMO_OTHER_ORG_ID = 2001

STANDARD_CHART = (
    EntryAccount(1000, "Salg af varer/ydelser m/moms", "U25", is_default_sales_account=True),
    EntryAccount(1050, "Salg af varer/ydelser u/moms", "none"),
    EntryAccount(1090, "Salg af varer (gammel konto)", "U25", is_hidden=True),
    EntryAccount(1100, "EU-leverancer varer - indberettes (rubrik B-varer)", "UEUV"),
    EntryAccount(1150, "EU-leverancer varer - indberettes ikke (rubrik B-varer)", "UEUV2"),
    EntryAccount(1200, "EU-leverancer ydelser (rubrik B-ydelser)", "UEUY"),
    EntryAccount(1255, "Salg af varer til udlandet (rubrik C)", "UVV"),
    EntryAccount(1260, "Salg af ydelser til udlandet (rubrik C)", "UVY"),
    EntryAccount(1300, "Salg af fragt - momsfrie", "none"),
    EntryAccount(1350, "Salg af fragt - momspligtig", "U25"),
    EntryAccount(1400, "Rykkergebyrer, administrationsgebyr", "none"),
    EntryAccount(2000, "Varekøb", "I25", "Variable Expenses", "Variable omkostninger"),
    EntryAccount(2200, "Fragtomkostninger", "I25", "Variable Expenses", "Variable omkostninger"),
)

# Accounts a Danish webshop adds to the standard chart (the sandbox's organizations have them, as the demo merchant's
# would): EU consumer sales with Danish VAT kept apart per the threshold, EU business freight with the goods' code, and
# for OSS a sales account per country without VAT plus a liability account for the foreign VAT.
WEBSHOP_ACCOUNTS = (
    EntryAccount(1010, "Salg af varer til EU-forbrugere m/dansk moms", "U25"),
    EntryAccount(1110, "EU-leverancer fragt (rubrik B-varer)", "UEUV"),
    EntryAccount(1160, "Salg af varer til Tyskland (OSS)", "none"),
    EntryAccount(1165, "Salg af varer til Frankrig (OSS)", "none"),
    EntryAccount(63100, "Skyldig OSS-moms", "none", "Vat Due", "Moms"),
)

# Bank and clearing accounts (Dinero's standard chart keeps them at 55000-55999).
STANDARD_DEPOSIT_ACCOUNTS = (
    DepositAccount(55000, "Bank", is_default=True),
    DepositAccount(55010, "Kortindløser (clearing)"),
    DepositAccount(55020, "MobilePay (clearing)"),
    DepositAccount(55090, "Gammel bankkonto", is_hidden=True),
)

STANDARD_VAT_TYPES = (
    VatType("U25", "Dansk salgsmoms 25%", Decimal("0.25")),
    VatType("UEUV", "Salg af varer til andre EU-lande", Decimal("0")),
    VatType("UEUV2", "Salg af varer til andre EU-lande (indberettes ikke)", Decimal("0")),
    VatType("UEUY", "Salg af ydelser til andre EU-lande", Decimal("0")),
    VatType("UVV", "Salg af varer til lande uden for EU", Decimal("0")),
    VatType("UVY", "Salg af ydelser til lande uden for EU", Decimal("0")),
    VatType("I25", "Dansk købsmoms 25%", Decimal("0.25")),
    VatType("none", "Ingen moms", Decimal("0")),
)


def standard_organization(organization_id: int, name: str, owner: str, is_pro: bool) -> Organization:
    layouts = [
        LayoutTemplate(layout_id(organization_id, "Standard"), "Standard", is_default=True, theme="Standard"),
        LayoutTemplate(layout_id(organization_id, "Webshop"), "Webshop", is_default=False, theme="Box"),
    ]
    profile = {
        "Name": name,
        "Id": organization_id,
        "Type": "Default",
        "IsPro": is_pro,
        "IsPayingPro": is_pro,
        "IsVatFree": False,
        "Email": None,
        "Phone": None,
        "Street": None,
        "City": None,
        "ZipCode": None,
        "AttPerson": None,
        "IsTaxFreeUnion": False,
        "VatNumber": None,
        "CountryKey": "DK",
        "Website": None,
    }
    settings = {
        "LinesInclVat": False,
        "FikCode": None,
        "UseFikCode": False,
        "DefaultAccountNumber": 1000,
        "InvoiceTemplateId": layouts[0].id,
        "AddVoucherAsPdfAttachment": True,
        "ReminderFee": Decimal("100"),
        "ReminderInterestRate": Decimal("0.7"),
        "TrustPilotEmail": None,
        "PaymentConditionNumberOfDays": 8,
        "PaymentConditionType": "Netto",
    }
    return Organization(
        id=organization_id,
        name=name,
        owner=owner,
        is_pro=is_pro,
        profile=profile,
        accounts={account.number: account for account in (*STANDARD_CHART, *WEBSHOP_ACCOUNTS)},
        deposit_accounts={account.number: account for account in STANDARD_DEPOSIT_ACCOUNTS},
        vat_types={vat_type.code: vat_type for vat_type in STANDARD_VAT_TYPES},
        layouts=layouts,
        sales_settings=settings,
    )
