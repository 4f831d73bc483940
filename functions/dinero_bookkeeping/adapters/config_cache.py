"""What the order worker reads for every order but rarely changes, kept per warm container for a short time.

The link, the integration, its templates and the connection are read through `CachedConfiguration` (the Payment
template through `CachedPaymentTemplates`) and kept for CONFIG_CACHE_SECONDS (0: not at all), known contacts as long.
So a change made through the configuration API (deactivating, a template, unlinking, disconnecting) reaches a warm
worker within that time, never later: short enough for a merchant, long enough that a busy organization's orders cost
only their own reads and writes. Where a stale view would matter it is not used: what does not exist (a webshop not
linked yet, an unknown customer) is not kept, so a new link or contact is seen at once, and an order the merchant
retried (after fixing its cause) forgets what was kept of its integration. Token sets are kept by the TokenProvider (a
refresh replaces them, a 401 drops them).
"""

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from dinero_bookkeeping.domain.integration import AccountingIntegration, Connection, OrderIntegrationLink
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.payment import PaymentTemplate
from dinero_bookkeeping.domain.templates import TemplateSet
from dinero_bookkeeping.ports import Clock, ConnectionRepository, ContactCache, IntegrationRepository, PaymentTemplates

V = TypeVar("V")


def _found(value: object) -> bool:
    """Only what exists is kept: a webshop linked, or a customer created, a moment ago is seen at once."""
    return value is not None


class TtlCache:
    """Values by key, each kept for `ttl` from when it was read."""

    def __init__(self, clock: Clock, ttl: timedelta) -> None:
        self._clock = clock
        self._ttl = ttl
        self._values: dict[Hashable, tuple[datetime, object]] = {}

    def get(self, key: Hashable, load: Callable[[], V], *, keep: Callable[[V], bool] = lambda _: True) -> V:
        now = self._clock.now()
        cached = self._values.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]  # type: ignore[return-value]  # stored by this method under the same key
        value = load()
        if self._ttl > timedelta(0) and keep(value):
            self._values[key] = (now, value)
        else:
            self._values.pop(key, None)
        return value

    def put(self, key: Hashable, value: object) -> None:
        if self._ttl > timedelta(0):
            self._values[key] = (self._clock.now(), value)

    def drop(self, key: Hashable) -> None:
        self._values.pop(key, None)


PAYMENT_TEMPLATE = "payment_template"


class CachedPaymentTemplates:
    """The Payment template, read through the TtlCache the configuration uses (so forgetting an integration forgets
    it too): every paid order asks for it."""

    def __init__(self, templates: PaymentTemplates, cache: TtlCache) -> None:
        self._templates = templates
        self._cache = cache

    def get_payment_template(self, integration_id: str) -> PaymentTemplate:
        key = (PAYMENT_TEMPLATE, integration_id)
        return self._cache.get(key, lambda: self._templates.get_payment_template(integration_id))


class CachedConfiguration:
    """The order worker's view of integrations, connections and contacts, read through a TtlCache."""

    def __init__(
        self,
        integrations: IntegrationRepository,
        connections: ConnectionRepository,
        contacts: ContactCache,
        cache: TtlCache,
    ) -> None:
        self._integrations = integrations
        self._connections = connections
        self._contacts = contacts
        self._cache = cache

    def get_link(self, merchant_id: str, order_integration_id: str) -> OrderIntegrationLink | None:
        key = ("link", merchant_id, order_integration_id)
        return self._cache.get(key, lambda: self._integrations.get_link(merchant_id, order_integration_id), keep=_found)

    def get_integration(self, integration_id: str) -> AccountingIntegration | None:
        key = ("integration", integration_id)
        return self._cache.get(key, lambda: self._integrations.get_integration(integration_id), keep=_found)

    def get_templates(self, integration_id: str) -> TemplateSet:
        return self._cache.get(("templates", integration_id), lambda: self._integrations.get_templates(integration_id))

    def get_oss_settings(self, integration_id: str) -> OssSettings | None:
        """Like a link, an OSS configuration not there yet is not remembered: once saved, the next order uses it."""
        key = ("oss", integration_id)
        return self._cache.get(key, lambda: self._integrations.get_oss_settings(integration_id), keep=_found)

    def get_connection(self, connection_id: str) -> Connection | None:
        key = ("connection", connection_id)
        return self._cache.get(key, lambda: self._connections.get_connection(connection_id), keep=_found)

    def forget(self, integration: AccountingIntegration) -> None:
        for key in (
            ("integration", integration.integration_id),
            ("templates", integration.integration_id),
            ("oss", integration.integration_id),
            (PAYMENT_TEMPLATE, integration.integration_id),
            ("connection", integration.connection_id),
        ):
            self._cache.drop(key)

    def get_contact(self, integration_id: str, lookup_key: str) -> UUID | None:
        key = ("contact", integration_id, lookup_key)
        return self._cache.get(key, lambda: self._contacts.get_contact(integration_id, lookup_key), keep=_found)

    def put_contact(self, integration_id: str, lookup_key: str, contact_guid: UUID) -> None:
        self._contacts.put_contact(integration_id, lookup_key, contact_guid)
        self._cache.put(("contact", integration_id, lookup_key), contact_guid)
