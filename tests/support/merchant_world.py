"""The connect and configuration use cases wired to in-memory fakes, with one Dinero user who has a Pro and a
non-Pro organization. Service and handler unit tests drive the real services through it."""

from urllib.parse import parse_qs, urlsplit

from dinero_bookkeeping.domain.integration import integration_id_for
from dinero_bookkeeping.services.connect_dinero import CallbackOutcome, ConnectDineroService
from dinero_bookkeeping.services.manage_integrations import ManageIntegrationsService
from dinero_bookkeeping.services.manage_links import ManageLinksService
from dinero_bookkeeping.services.manage_payment_template import ManagePaymentTemplateService
from dinero_bookkeeping.services.manage_templates import ManageTemplatesService
from dinero_bookkeeping.services.order_history import OrderHistoryService
from support.fakes import (
    FakeDineroChoices,
    FakeOrganization,
    FakeOrganizationDirectory,
    FakeVismaConnect,
    FixedClock,
    InMemoryConnectionStore,
    InMemoryIntegrationStore,
    InMemoryOAuthStates,
    InMemoryOrderHistory,
    InMemoryOrderQueue,
    InMemoryPaymentTemplates,
    InMemoryPendingConnections,
    InMemoryRateLimiter,
)

MERCHANT = "merchant-1"
OTHER_MERCHANT = "merchant-2"
PRO_ORG = FakeOrganization(1001, "Nordlys Webshop ApS", is_pro=True)
NON_PRO_ORG = FakeOrganization(1002, "Hobbyværkstedet", is_pro=False)
APP_URL = "https://app.example/settings?tab=dinero"
REDIRECT_URI = "https://api.example/oauth/callback"
STANDARD_LAYOUT = "5b3f7c1e-2a4d-4e8f-9c0b-1d2e3f4a5b6c"
WEBSHOP_LAYOUT = "8a9b0c1d-2e3f-4a5b-8c7d-9e0f1a2b3c4d"


def _account(number: int, name: str, vat_code: str, *, hidden: bool = False) -> dict[str, object]:
    return {"AccountNumber": number, "Name": name, "VatCode": vat_code, "IsHidden": hidden}


# Part of Dinero's standard chart, with one hidden account (an old one "that should not be used").
CHART = [
    _account(1000, "Salg af varer/ydelser m/moms", "U25"),
    _account(1090, "Salg af varer (gammel konto)", "U25", hidden=True),
    _account(1100, "EU-leverancer varer", "UEUV"),
    _account(1255, "Salg af varer til udlandet", "UVV"),
    _account(1300, "Salg af fragt - momsfrie", "none"),
    _account(1350, "Salg af fragt - momspligtig", "U25"),
    _account(1010, "Salg af varer til EU-forbrugere m/dansk moms", "U25"),
    _account(1110, "EU-leverancer fragt", "UEUV"),
    _account(1160, "Salg af varer til Tyskland (OSS)", "none"),
    _account(63100, "Skyldig OSS-moms", "none"),
]
VAT_TYPES = [
    {"VatCode": "U25", "Name": "Dansk salgsmoms 25%", "VatRate": 0.25},
    {"VatCode": "UEUV", "Name": "Salg af varer til andre EU-lande", "VatRate": 0},
    {"VatCode": "UVV", "Name": "Salg af varer til lande uden for EU", "VatRate": 0},
    {"VatCode": "none", "Name": "Ingen moms", "VatRate": 0},
]
DEPOSIT_ACCOUNTS = [
    {"AccountNumber": 55000, "Name": "Bank", "IsDefault": True, "IsHidden": False},
    {"AccountNumber": 55010, "Name": "Kortindløser (clearing)", "IsDefault": False, "IsHidden": False},
    {"AccountNumber": 55090, "Name": "Gammel bankkonto", "IsDefault": False, "IsHidden": True},
]
LAYOUTS = [
    {"Id": STANDARD_LAYOUT, "Name": "Standard", "IsDefault": True},
    {"Id": WEBSHOP_LAYOUT, "Name": "Webshop", "IsDefault": False},
]


class MerchantWorld:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.states = InMemoryOAuthStates()
        self.pending = InMemoryPendingConnections()
        self.visma = FakeVismaConnect()
        self.directory = FakeOrganizationDirectory([PRO_ORG, NON_PRO_ORG])
        self.connections = InMemoryConnectionStore()
        self.integrations = InMemoryIntegrationStore()
        self.dinero = FakeDineroChoices(
            accounts=list(CHART),
            layouts=list(LAYOUTS),
            vat_types=list(VAT_TYPES),
            deposit_accounts=list(DEPOSIT_ACCOUNTS),
        )
        self.records = InMemoryOrderHistory()
        self.queue = InMemoryOrderQueue()
        self.connect = ConnectDineroService(
            states=self.states,
            pending=self.pending,
            visma=self.visma,
            organizations=self.directory,
            connections=self.connections,
            integrations=self.integrations,
            clock=self.clock,
            redirect_uri=REDIRECT_URI,
            app_url=APP_URL,
        )
        self.manage = ManageIntegrationsService(self.integrations, self.connections, self.visma, self.clock)
        self.limiter = InMemoryRateLimiter(limit=95)
        self.templates = ManageTemplatesService(
            self.integrations, self.connections, self.dinero, self.clock, self.limiter, sleep=self.clock.advance
        )
        self.links = ManageLinksService(self.integrations, self.clock)
        self.payment_templates = InMemoryPaymentTemplates()
        self.payments = ManagePaymentTemplateService(
            self.integrations,
            self.payment_templates,
            self.connections,
            self.dinero,
            self.clock,
            self.limiter,
            sleep=self.clock.advance,
        )
        self.history = OrderHistoryService(self.integrations, self.records, self.queue, self.clock)

    def authorize(self, merchant_id: str = MERCHANT) -> tuple[str, str]:
        """Start connecting and consent in the "browser": the state and code Visma Connect sends back."""
        query = parse_qs(urlsplit(self.connect.start_connect(merchant_id).url).query)
        return query["state"][0], self.visma.consent(query["code_challenge"][0])

    def consented(self, merchant_id: str = MERCHANT) -> CallbackOutcome:
        """Started by `merchant_id`, consent given, and the callback answered: the handle is in the redirect."""
        state, code = self.authorize(merchant_id)
        return self.connect.complete_callback(state=state, code=code, error=None)

    def connected(self, merchant_id: str = MERCHANT) -> int:
        """The whole flow, completed by the merchant's own app: the number of organizations."""
        return self.connect.complete_connection(merchant_id, outcome_query(self.consented(merchant_id))["handle"])

    def activated(self, merchant_id: str = MERCHANT) -> str:
        """A connected merchant with the Pro organization's integration activated; returns its id."""
        self.connected(merchant_id)
        integration_id = integration_id_for(merchant_id, PRO_ORG.id)
        self.manage.activate(merchant_id, integration_id)
        return integration_id

    def second_integration(self, merchant_id: str = MERCHANT) -> str:
        """The connected merchant's other organization's integration (not Pro, not active); returns its id."""
        return integration_id_for(merchant_id, NON_PRO_ORG.id)


def outcome_query(outcome: CallbackOutcome) -> dict[str, str]:
    """The query of the URL the browser is sent back to, one value per name."""
    return {name: values[-1] for name, values in parse_qs(urlsplit(outcome.redirect_url).query).items()}
