"""The order worker's short-lived cache of what rarely changes (adapters/config_cache.py), over in-memory fakes."""

from datetime import timedelta
from uuid import UUID, uuid4

from dinero_bookkeeping.adapters.config_cache import CachedConfiguration, CachedPaymentTemplates, TtlCache
from dinero_bookkeeping.domain.integration import AccountingIntegration, OrderIntegrationLink
from dinero_bookkeeping.domain.oss_settings import OssAccount, OssSettings
from dinero_bookkeeping.domain.templates import TemplateSet
from support.events import standard_templates
from support.fakes import FixedClock, InMemoryConnections, InMemoryIntegrations, InMemoryPaymentTemplates
from support.seed import PAYMENTS


class CountingIntegrations(InMemoryIntegrations):
    reads = 0

    def get_link(self, merchant_id: str, order_integration_id: str) -> OrderIntegrationLink | None:
        self.reads += 1
        return super().get_link(merchant_id, order_integration_id)

    def get_contact(self, integration_id: str, lookup_key: str) -> UUID | None:
        self.reads += 1
        return super().get_contact(integration_id, lookup_key)


def configuration(seconds: float) -> tuple[CachedConfiguration, CountingIntegrations, FixedClock]:
    clock = FixedClock()
    integrations = CountingIntegrations()
    cache = TtlCache(clock, timedelta(seconds=seconds))
    return CachedConfiguration(integrations, InMemoryConnections(), integrations, cache), integrations, clock


def test_link_is_read_once_while_fresh_and_again_after_the_configured_time() -> None:
    # Given
    cached, store, clock = configuration(30)
    store.link(
        OrderIntegrationLink(
            order_integration_id="webshop-1", integration_id="integration-1", merchant_id="m", linked_at=clock.now()
        )
    )
    # When
    first = [cached.get_link("m", "webshop-1") for _ in range(3)]
    del store.links[("m", "webshop-1")]
    clock.advance(29)
    still = cached.get_link("m", "webshop-1")
    clock.advance(1)
    gone = cached.get_link("m", "webshop-1")
    # Then: the unlink reaches the worker within the configured time, never later
    assert first[0] is not None and first == [first[0]] * 3 and still == first[0]
    assert gone is None and store.reads == 2


def test_zero_seconds_reads_every_time() -> None:
    # Given
    cached, store, _ = configuration(0)
    # When
    for _ in range(3):
        cached.get_link("m", "webshop-1")
    # Then
    assert store.reads == 3


def test_unknown_contact_is_not_remembered_and_a_stored_one_is() -> None:
    # Given
    cached, store, _ = configuration(30)
    guid = uuid4()
    # When: unknown twice (another container may store it any moment), then this worker stores it
    assert cached.get_contact("integration-1", "a@example.dk") is None
    assert cached.get_contact("integration-1", "a@example.dk") is None
    cached.put_contact("integration-1", "a@example.dk", guid)
    found = cached.get_contact("integration-1", "a@example.dk")
    # Then
    assert found == guid and store.reads == 2
    assert store.contacts[("integration-1", "a@example.dk")] == guid


def test_unlinked_webshop_is_not_remembered_so_a_new_link_is_seen_at_once() -> None:
    # Given: an order for a webshop not linked yet
    cached, store, clock = configuration(30)
    assert cached.get_link("m", "webshop-1") is None
    # When: the merchant links it
    store.link(
        OrderIntegrationLink(
            order_integration_id="webshop-1", integration_id="integration-1", merchant_id="m", linked_at=clock.now()
        )
    )
    # Then
    assert cached.get_link("m", "webshop-1") is not None


def test_forgetting_an_integration_reads_its_templates_anew() -> None:
    # Given: templates kept, then changed in the table
    cached, store, clock = configuration(30)
    integration = AccountingIntegration(
        integration_id="integration-1",
        merchant_id="m",
        connection_id="connection-1",
        organization_id=1001,
        organization_name="Organization 1001",
        is_pro=True,
        active=True,
        book_automatically=True,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    store.templates[integration.integration_id] = standard_templates()
    kept = cached.get_templates(integration.integration_id)
    store.templates[integration.integration_id] = TemplateSet(templates={})
    # When
    still = cached.get_templates(integration.integration_id)
    cached.forget(integration)
    fresh = cached.get_templates(integration.integration_id)
    # Then
    assert still == kept and fresh == TemplateSet(templates={})


def test_missing_oss_configuration_is_not_remembered_so_a_saved_one_is_used_at_once() -> None:
    # Given: an EU order found no OSS configuration
    cached, store, _ = configuration(30)
    assert cached.get_oss_settings("integration-1") is None
    # When: the merchant saves one
    settings = OssSettings(
        liability=OssAccount(account_number=63100), countries={"DE": OssAccount(account_number=1160)}
    )
    store.oss["integration-1"] = settings
    # Then: the next order reads it
    assert cached.get_oss_settings("integration-1") == settings


def test_payment_template_is_kept_while_fresh_and_forgotten_with_its_integration() -> None:
    # Given payments off, read once through the worker's cache
    clock = FixedClock()
    cache = TtlCache(clock, timedelta(seconds=30))
    store = InMemoryPaymentTemplates()
    cached = CachedPaymentTemplates(store, cache)
    configuration = CachedConfiguration(InMemoryIntegrations(), InMemoryConnections(), InMemoryIntegrations(), cache)
    assert cached.get_payment_template("integration-1").register_payments is False
    # When the merchant turns payments on
    store.put_payment_template("integration-1", PAYMENTS)
    # Then a warm worker sees the change after the configured time, or at once when the integration is forgotten
    assert cached.get_payment_template("integration-1").register_payments is False
    configuration.forget(_integration(clock))
    assert cached.get_payment_template("integration-1") == PAYMENTS


def _integration(clock: FixedClock) -> AccountingIntegration:
    return AccountingIntegration(
        integration_id="integration-1",
        merchant_id="m",
        connection_id="connection-1",
        organization_id=1001,
        organization_name="Nordlys Webshop ApS",
        is_pro=True,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
