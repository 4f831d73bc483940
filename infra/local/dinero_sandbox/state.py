"""Everything the sandbox knows: users, OAuth clients and tokens, organizations and what was written to them.

One re-entrant lock guards it all; the HTTP server holds it while it handles a request, and every public
method takes it, so tests may read and change the state while the server runs.
"""

import copy
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from infra.local.dinero_sandbox import demo_data
from infra.local.dinero_sandbox.messages import Json
from infra.local.dinero_sandbox.oauth_tokens import TokenPair, TokenStore
from infra.local.dinero_sandbox.organization import Organization
from infra.local.dinero_sandbox.rate_limit import SlidingWindowLimiter

# The scope Dinero asks integrations to request (api.dinero.dk/docs, "Scopes").
DINERO_SCOPE = "dineropublicapi:read dineropublicapi:write offline_access"
REQUEST_LOG_LIMIT = 100_000  # keeps a long `make run` from growing without bound


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: frozenset[str] | None  # None: any redirect_uri (local runtimes pick their port at start)


@dataclass(frozen=True)
class RequestLogEntry:
    method: str
    path: str
    organization_id: int | None
    status: int  # what was (or, for drop_after_commit, would have been) answered
    client_id: str | None
    fault: str | None = None  # the injected fault kind, if any
    at: float | None = None  # the sandbox clock when it was answered (and counted by the rate limit)


class SandboxState:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.RLock()
        self.clock = clock  # seconds; drives token expiry, codes, grace and rate windows
        self.access_token_lifetime_seconds = 3600
        self.authorization_code_lifetime_seconds = 60.0
        self.refresh_grace_seconds = 0.0
        self.rate_limit_per_minute = 100
        # Every answer of Visma Connect and the Dinero API takes this long after processing, as over the internet.
        self.latency_seconds = 0.0
        self.users: set[str] = set()
        self.clients: dict[str, OAuthClient] = {}
        self.organizations: dict[int, Organization] = {}
        self.tokens = TokenStore()
        self.rate_limiter = SlidingWindowLimiter()
        self._request_log: deque[RequestLogEntry] = deque(maxlen=REQUEST_LOG_LIMIT)
        self._counters: Counter[str] = Counter()
        self._last_timestamp = 0x00000000020A5EA8  # the spec's example value; any start would do

    @classmethod
    def with_demo_data(cls) -> "SandboxState":
        """demo-user owns a Pro and a non-Pro organization; other-user owns one Pro organization."""
        state = cls()
        state.add_client(demo_data.DEMO_CLIENT_ID, demo_data.DEMO_CLIENT_SECRET)
        state.add_user(demo_data.DEMO_USER)
        state.add_organization(demo_data.DEMO_PRO_ORG_ID, "Nordlys Webshop ApS", demo_data.DEMO_USER)
        state.add_organization(demo_data.DEMO_NON_PRO_ORG_ID, "Hobbyværkstedet", demo_data.DEMO_USER, is_pro=False)
        state.add_user(demo_data.DEMO_OTHER_USER)
        state.add_organization(demo_data.DEMO_OTHER_ORG_ID, "Andet Firma ApS", demo_data.DEMO_OTHER_USER)
        return state

    # --- seeding -------------------------------------------------------------------------------------------

    def add_client(self, client_id: str, client_secret: str, redirect_uris: frozenset[str] | None = None) -> None:
        with self.lock:
            self.clients[client_id] = OAuthClient(client_id, client_secret, redirect_uris)

    def add_user(self, user: str) -> None:
        with self.lock:
            self.users.add(user)

    def add_organization(self, organization_id: int, name: str, owner: str, *, is_pro: bool = True) -> Organization:
        """A new organization with Dinero's standard chart, VAT types, two layouts and default sales settings."""
        with self.lock:
            if owner not in self.users:
                raise ValueError(f"unknown user {owner!r}: add_user first")
            organization = demo_data.standard_organization(organization_id, name, owner, is_pro)
            self.organizations[organization_id] = organization
            return organization

    def issue_tokens(self, user: str, client_id: str) -> TokenPair:
        """A grant as if `user` had consented in the browser, without the authorize round trip."""
        with self.lock:
            if user not in self.users or client_id not in self.clients:
                raise ValueError("unknown user or client")
            grant = self.tokens.grant(user, client_id, DINERO_SCOPE)
            return self.tokens.issue(grant, self.clock(), self.access_token_lifetime_seconds)

    # --- switches for tests --------------------------------------------------------------------------------

    def revoke_consent(self, user: str) -> None:
        """The user withdrew the app's access: refresh → invalid_grant, access tokens → 401."""
        with self.lock:
            if user not in self.users:
                raise ValueError(f"unknown user {user!r}")
            self.tokens.revoke_user(user)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far expires now; refresh tokens keep working."""
        with self.lock:
            self.tokens.expire_access_tokens(self.clock())

    def reset(self) -> None:
        """Forgets contacts, invoices, credit notes, payments, the request log, counters and rate windows.

        Users, clients, organizations (with their charts), tokens and settings stay.
        """
        with self.lock:
            for organization in self.organizations.values():
                organization.clear_vouchers()
            self._request_log.clear()
            self._counters.clear()
            self.rate_limiter.clear()

    # --- inspection ----------------------------------------------------------------------------------------

    def invoices(self, organization_id: int) -> list[Json]:
        """Full InvoiceReadModels (amounts as Decimal), in creation order."""
        with self.lock:
            return copy.deepcopy(list(self.organizations[organization_id].invoices.values()))

    def credit_notes(self, organization_id: int) -> list[Json]:
        """Full SalesCreditNoteReadModels (amounts as Decimal), in creation order."""
        with self.lock:
            return copy.deepcopy(list(self.organizations[organization_id].credit_notes.values()))

    def payments(self, organization_id: int, voucher_guid: str) -> list[Json]:
        """The payments registered on an invoice or credit note, in order."""
        with self.lock:
            return copy.deepcopy(self.organizations[organization_id].payments.get(voucher_guid.lower(), []))

    def contacts(self, organization_id: int) -> list[Json]:
        with self.lock:
            return copy.deepcopy(list(self.organizations[organization_id].contacts.values()))

    @property
    def request_log(self) -> list[RequestLogEntry]:
        with self.lock:
            return list(self._request_log)

    @property
    def counters(self) -> dict[str, int]:
        """Counts so far: authorize_requests, token_requests, api_requests, authorization_codes_issued,
        tokens_issued, tokens_refreshed, revocation_requests, tokens_revoked, contacts_created, invoices_created,
        invoices_booked, invoices_deleted, payments_created, credit_notes_created, credit_notes_booked, rate_limited,
        faults_injected (absent until the first one)."""
        with self.lock:
            return dict(self._counters)

    def snapshot(self) -> dict[str, Any]:
        """The JSON of GET /_sandbox/state."""
        with self.lock:
            return {
                "organizations": [organization.summary() for organization in self.organizations.values()],
                "request_log": [asdict(entry) for entry in self._request_log],
                "counters": dict(self._counters),
            }

    # --- used by the request handlers (caller holds the lock) ----------------------------------------------

    def record(self, entry: RequestLogEntry) -> None:
        self._request_log.append(entry)

    def count(self, counter: str) -> None:
        self._counters[counter] += 1

    def next_timestamp(self) -> str:
        """Dinero's opaque 16-hex-digit version stamp; every write of an entity gets a new one."""
        self._last_timestamp += 1
        return f"{self._last_timestamp:016X}"
