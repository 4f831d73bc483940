"""BookOrderService against in-memory fakes: outcomes, exactly-once and the failure rules."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from dinero_bookkeeping.domain.errors import DineroValidationError, RetryableError
from dinero_bookkeeping.domain.integration import (
    AccountingIntegration,
    Connection,
    ConnectionStatus,
    OrderIntegrationLink,
)
from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.domain.templates import TemplateKind
from dinero_bookkeeping.services.book_order import BOOK_AUTOMATICALLY_OFF, BookOrderService
from dinero_bookkeeping.services.order_steps import Outcome
from support.events import order_event, oss_settings, standard_templates
from support.fakes import FakeDinero, FixedClock, InMemoryConnections, InMemoryIntegrations, InMemoryOrderRecords

INTEGRATION_ID = "integration-1"
VAT_RATES = {
    1000: Decimal("0.25"),
    1010: Decimal("0.25"),
    1350: Decimal("0.25"),
    1100: Decimal("0"),
    1110: Decimal("0"),
    1160: Decimal("0"),
    1255: Decimal("0"),
    1300: Decimal("0"),
    63100: Decimal("0"),
}


class World:
    def __init__(self, *, book_automatically: bool = True, active: bool = True, is_pro: bool = True) -> None:
        self.clock = FixedClock()
        now = self.clock.now()
        self.integrations = InMemoryIntegrations()
        self.integrations.integrations[INTEGRATION_ID] = AccountingIntegration(
            integration_id=INTEGRATION_ID,
            merchant_id="merchant-1",
            connection_id="connection-1",
            organization_id=1001,
            organization_name="Nordlys Webshop ApS",
            is_pro=is_pro,
            active=active,
            book_automatically=book_automatically,
            created_at=now,
            updated_at=now,
        )
        self.integrations.templates[INTEGRATION_ID] = standard_templates()
        self.integrations.link(
            OrderIntegrationLink(
                order_integration_id="webshop-1", integration_id=INTEGRATION_ID, merchant_id="merchant-1", linked_at=now
            )
        )
        self.connections = InMemoryConnections(
            {"connection-1": Connection(connection_id="connection-1", merchant_id="merchant-1", updated_at=now)}
        )
        self.records = InMemoryOrderRecords()
        self.dinero = FakeDinero(vat_rates=dict(VAT_RATES))
        self.service = BookOrderService(
            integrations=self.integrations,
            connections=self.connections,
            contacts=self.integrations,
            records=self.records,
            dinero=self.dinero,
            clock=self.clock,
        )

    def deliver(
        self,
        name: str = "danish_private",
        message_id: str = "m-1",
        *,
        owner: str | None = None,
        final_attempt: bool = False,
        **overrides: object,
    ) -> Outcome:
        (step,) = self.service.handle_message(
            json.dumps(order_event(name, **overrides)),
            message_id,
            owning_integration_id=owner,
            final_attempt=final_attempt,
        )
        return step.outcome

    def add_integration(self, integration_id: str, merchant_id: str) -> None:
        """Another integration (organization 2002) with the same templates and connection."""
        first = self.integrations.integrations[INTEGRATION_ID]
        self.integrations.integrations[integration_id] = first.model_copy(
            update={"integration_id": integration_id, "merchant_id": merchant_id, "organization_id": 2002}
        )
        self.integrations.templates[integration_id] = standard_templates()


def test_handled_danish_order_with_book_automatically_is_booked() -> None:
    # Given
    world = World()
    # When
    outcome = world.deliver()
    # Then
    assert outcome is Outcome.BOOKED
    record = world.records.only()
    assert record.status is OrderStatus.BOOKED
    assert record.invoice_number == 1
    assert record.total_incl_vat == Decimal("527.90")
    assert record.reason is None
    (invoice,) = world.dinero.invoices.values()
    assert invoice["body"]["ExternalReference"] == "10421"
    assert [line["AccountNumber"] for line in invoice["body"]["ProductLines"]] == [1000, 1000, 1350]


def test_book_automatically_off_leaves_a_draft_with_the_reason() -> None:
    # Given
    world = World(book_automatically=False)
    # When
    outcome = world.deliver()
    # Then
    assert outcome is Outcome.DRAFT
    assert world.records.only().reason == BOOK_AUTOMATICALLY_OFF
    assert world.dinero.calls["book_invoice"] == 0


def test_a_rate_the_account_does_not_carry_is_a_draft_naming_line_rate_and_account_before_dinero_sums_up() -> None:
    # Given: Product (Domestic) is the VAT-free EU goods account, and a Danish order charged 25 %
    world = World()
    world.integrations.templates[INTEGRATION_ID] = standard_templates(product_domestic=1100)
    # When
    outcome = world.deliver()
    # Then
    assert outcome is Outcome.DRAFT
    reason = world.records.only().reason or ""
    assert reason.startswith(
        'Line "T-Shirt" is charged 25 % VAT, but Product (Domestic) account 1100 has VAT code UEUV (0 %): Dinero '
        "would book 0 %; choose an account with 25 % VAT"
    )
    assert "Dinero's VAT" not in reason
    assert world.dinero.calls["book_invoice"] == 0


def test_an_account_whose_vat_code_was_not_recorded_is_caught_by_the_totals_after_creation() -> None:
    # Given: templates saved before VAT codes were recorded, Product (Domestic) on the VAT-free 1100
    world = World()
    world.integrations.templates[INTEGRATION_ID] = standard_templates(product_domestic=1100, record_vat=False)
    # When
    outcome = world.deliver()
    # Then: the amounts that differ (only the freight on 1350 carried VAT), and the likely cause
    assert outcome is Outcome.DRAFT
    assert world.records.only().reason == (
        "Dinero's VAT 7,80 DKK differs from the order's 105,58 DKK by 97,78 DKK, more than rounding: the VAT code of "
        "an account may have changed in Dinero since its template was saved; save the template again"
    )


def test_german_consumer_at_danish_vat_is_booked_on_the_domestic_accounts_and_the_record_says_so() -> None:
    # Given: Product (EU) is the VAT-free EU goods account (1100)
    world = World()
    # When
    outcome = world.deliver("eu_private_de")
    # Then
    assert outcome is Outcome.BOOKED
    (invoice,) = world.dinero.invoices.values()
    assert [line["AccountNumber"] for line in invoice["body"]["ProductLines"]] == [1000, 1350]
    assert world.records.only().reason == (
        "Danish VAT on a delivery to DE (a distance sale below the EU threshold): booked on Product (Domestic) 1000, "
        "Shipping (Domestic) 1350"
    )


def test_german_consumer_at_danish_vat_is_booked_on_an_eu_account_that_carries_danish_vat() -> None:
    # Given: EU consumer sales kept on their own 25 % accounts
    world = World()
    world.integrations.templates[INTEGRATION_ID] = standard_templates(product_eu=1010, shipping_eu=1350)
    # When
    outcome = world.deliver("eu_private_de")
    # Then
    assert outcome is Outcome.BOOKED
    (invoice,) = world.dinero.invoices.values()
    assert [line["AccountNumber"] for line in invoice["body"]["ProductLines"]] == [1010, 1350]
    assert "booked on Product (EU) 1010, Shipping (EU) 1350" in (world.records.only().reason or "")


def test_business_with_vat_number_is_booked_with_reverse_charge_on_a_company_contact() -> None:
    # Given
    world = World()
    # When
    outcome = world.deliver("eu_business_de_reverse_charge")
    # Then: EU accounts, the exemption text in English, a company contact found and created by its VAT number
    assert outcome is Outcome.BOOKED
    (invoice,) = world.dinero.invoices.values()
    body = invoice["body"]
    assert [line["AccountNumber"] for line in body["ProductLines"]] == [1100, 1110]
    assert body["Comment"] == (
        "VAT-exempt intra-Community supply of goods (reverse charge: the buyer accounts for the VAT), Danish VAT Act "
        "section 34(1)(1) and Article 138 of Directive 2006/112/EC. Buyer's VAT number: DE123456789."
    )
    (contact,) = world.dinero.contacts.values()
    assert (contact["IsPerson"], contact["VatNumber"], contact["Name"]) == (
        False,
        "DE123456789",
        "Holzwerk Müller GmbH",
    )
    assert contact["AttPerson"] == "Jonas Müller"
    assert world.integrations.get_contact(INTEGRATION_ID, "vat:DE123456789") is not None
    assert world.records.only().reason == (
        "VAT-exempt supply to a business in the EU (DE123456789): booked on the EU accounts with the exemption text"
    )


def test_zero_vat_to_an_eu_business_without_vat_number_is_a_draft_saying_so() -> None:
    # Given
    world = World()
    # When
    outcome = world.deliver("eu_business_de_without_vat_number")
    # Then
    assert outcome is Outcome.DRAFT
    assert world.records.only().reason == (
        "The order charges no VAT on a delivery to DE, but the buyer's VAT number (bill_to.vat_number) is missing: "
        "only a business with a VAT number from another EU country may buy VAT-free (ML § 34, stk. 1, nr. 1). Add "
        "the buyer's VAT number to the invoice in Dinero, or correct the order's VAT"
    )
    (invoice,) = world.dinero.invoices.values()
    assert "Comment" not in invoice["body"]
    assert world.dinero.calls["book_invoice"] == 0


def test_foreign_vat_without_oss_configuration_is_a_draft_naming_country_rate_amount_and_how_to_configure() -> None:
    # Given
    world = World()
    # When
    outcome = world.deliver("eu_private_de_oss")
    # Then: one reason per rate charged
    assert outcome is Outcome.DRAFT
    assert world.records.only().reason == "; ".join(
        f"The order charges DE VAT at {rate} ({amounts}), another country's VAT, which Dinero cannot put on an "
        "invoice line: correct this draft in Dinero, and for the orders to come configure OSS for DE (PUT "
        "/integrations/{id}/oss: a sales account without VAT for DE and the OSS VAT liability account)"
        for rate, amounts in (
            ("7 %", "148,73 DKK incl. 9,73 DKK VAT"),
            ("19 %", "844,00 DKK incl. 134,76 DKK VAT"),
        )
    )


def test_foreign_vat_with_oss_configuration_is_booked_net_with_the_vat_on_the_liability_account() -> None:
    # Given
    world = World()
    world.integrations.oss[INTEGRATION_ID] = oss_settings({"DE": 1160})
    # When
    outcome = world.deliver("eu_private_de_oss")
    # Then: the invoice is what the customer paid; the foreign VAT waits on 63100, Dinero adds no VAT
    assert outcome is Outcome.BOOKED
    (invoice,) = world.dinero.invoices.values()
    lines = [
        (line["Description"], line["BaseAmountValue"], line["AccountNumber"])
        for line in invoice["body"]["ProductLines"]
    ]
    assert lines == [
        ("Uldplaid (Grey) [BLK-200]", 629.41, 1160),
        ("Strikkebog [BOOK-7]", 139.0, 1160),
        ("DHL Europe", 79.83, 1160),
        ("VAT DE 7 % (OSS)", 9.73, 63100),
        ("VAT DE 19 % (OSS)", 134.76, 63100),
    ]
    record = world.records.only()
    assert record.total_incl_vat == Decimal("992.73")
    assert record.reason == (
        "DE VAT 7 % under OSS (148,73 DKK incl. 9,73 DKK VAT): the net amount on account 1160, the VAT on liability "
        "account 63100 for the OSS return; DE VAT 19 % under OSS (844,00 DKK incl. 134,76 DKK VAT): the net amount "
        "on account 1160, the VAT on liability account 63100 for the OSS return"
    )


def test_only_an_eu_order_charged_vat_reads_the_oss_configuration() -> None:
    # Given
    world = World()
    # When
    world.deliver("danish_private", message_id="m-1")
    world.deliver("norway_export", message_id="m-2")
    world.deliver("eu_private_de_oss", message_id="m-3")
    # Then
    assert world.integrations.oss_reads == 1


def test_sub_ore_line_vat_is_booked_with_the_rounding_difference_recorded() -> None:
    # Given: three mugs at 19,99 incl. 25 % (3,998 VAT each) and shipping; the order's VAT is 19,794
    world = World()
    # When
    outcome = world.deliver("sub_ore_vat")
    # Then: Dinero rounds each line (3 lines of 4,00 + 7,80 = 19,80), one øre from the order's 19,79: booked, noted
    assert outcome is Outcome.BOOKED
    assert world.records.only().reason == (
        "Dinero's VAT 19,80 DKK differs from the order's 19,79 DKK by 0,01 DKK: rounding per line, booked as Dinero "
        "computed it"
    )


def test_special_territory_is_booked_as_an_export() -> None:
    # Given: a delivery to Las Palmas (ES 35002, the Canary Islands) without VAT
    world = World()
    # When
    outcome = world.deliver("canary_islands_export")
    # Then
    assert outcome is Outcome.BOOKED
    (invoice,) = world.dinero.invoices.values()
    assert [line["AccountNumber"] for line in invoice["body"]["ProductLines"]] == [1255, 1255]
    assert world.records.only().reason == "Canary Islands (ES) is outside the EU VAT area: booked as an export"


def test_same_event_delivered_twice_creates_one_invoice() -> None:
    # Given
    world = World()
    world.deliver(message_id="m-1")
    # When
    outcome = world.deliver(message_id="m-2")
    # Then
    assert outcome is Outcome.DUPLICATE
    assert len(world.dinero.invoices) == 1
    assert world.dinero.calls["create_invoice"] == 1


def test_order_held_by_another_worker_is_retried_later() -> None:
    # Given: another worker claimed the order a moment ago and still holds its lease
    world = World()
    world.dinero.failures["create_invoice"] = [RetryableError("Dinero answered 500")]
    with pytest.raises(RetryableError):
        world.deliver()
    world.records.records[world.records.only().invoice_guid] = world.records.only().model_copy(
        update={"status": OrderStatus.PROCESSING, "lease_until": world.clock.now() + timedelta(seconds=60)}
    )
    # When / Then
    with pytest.raises(RetryableError, match="Another worker"):
        world.deliver(message_id="m-2")
    assert world.dinero.invoices == {}


def test_lost_answer_after_dinero_created_the_invoice_still_ends_with_one_booked_invoice() -> None:
    # Given: Dinero creates the invoice but the answer never arrives
    world = World()
    world.dinero.lost_answers["create_invoice"] = [RetryableError("Dinero did not answer (outcome unknown)")]
    with pytest.raises(RetryableError):
        world.deliver()
    assert world.records.only().status is OrderStatus.PROCESSING
    # When: the message comes back after its delay
    world.clock.advance(30)
    outcome = world.deliver(message_id="m-1")
    # Then
    assert outcome is Outcome.BOOKED
    assert len(world.dinero.invoices) == 1
    assert world.dinero.calls["create_invoice"] == 1
    assert world.records.only().attempts == 2


def test_lost_answer_after_booking_records_the_booked_invoice_without_booking_again() -> None:
    # Given
    world = World()
    world.dinero.lost_answers["book_invoice"] = [RetryableError("Dinero did not answer (outcome unknown)")]
    with pytest.raises(RetryableError):
        world.deliver()
    # When
    outcome = world.deliver()
    # Then
    assert outcome is Outcome.BOOKED
    assert world.dinero.calls["book_invoice"] == 1
    assert world.records.only().invoice_number == 1


def test_transient_failure_releases_the_order_with_a_reason() -> None:
    # Given
    world = World()
    world.dinero.failures["get_invoice"] = [RetryableError("Dinero answered 503 to GET /v1/{id}/invoices/{id}")]
    # When
    with pytest.raises(RetryableError):
        world.deliver()
    # Then
    record = world.records.only()
    assert record.status is OrderStatus.PROCESSING
    assert record.lease_until == world.clock.now()
    assert record.reason == "Will retry: Dinero answered 503 to GET /v1/{id}/invoices/{id}"


def test_dinero_validation_error_is_recorded_as_a_permanent_failure() -> None:
    # Given
    world = World()
    world.dinero.failures["create_invoice"] = [DineroValidationError("Dinero rejected /invoices: AccountNumber: no")]
    # When
    outcome = world.deliver()
    # Then
    assert outcome is Outcome.FAILED
    assert world.records.only().reason == "Dinero rejected /invoices: AccountNumber: no"


def test_incomplete_template_fails_naming_it_and_a_retry_after_filling_it_books() -> None:
    # Given: a VAT-free order to an EU business while Product (EU) has no account
    world = World()
    world.integrations.templates[INTEGRATION_ID] = standard_templates(product_eu=None)
    assert world.deliver("eu_business_de_reverse_charge") is Outcome.FAILED
    assert world.records.only().reason == "Product (EU) has no account"
    # When: the merchant fills it with the EU goods account and asks for a retry
    world.integrations.templates[INTEGRATION_ID] = standard_templates(product_eu=1100)
    record = world.records.only()
    world.records.records[record.invoice_guid] = record.model_copy(update={"status": OrderStatus.QUEUED})
    outcome = world.deliver("eu_business_de_reverse_charge", message_id="m-retry")
    # Then
    assert outcome is Outcome.BOOKED
    assert len(world.dinero.invoices) == 1


def test_malformed_event_is_rejected_with_field_errors_and_not_retried() -> None:
    # Given
    world = World()
    body = json.dumps({"event_type": "order.handled", "event_id": "e-1"})
    # When
    (step,) = world.service.handle_message(body, "m-bad")
    # Then
    assert step.outcome is Outcome.REJECTED
    (rejected,) = world.records.rejected
    assert rejected["message_id"] == "m-bad" and rejected["body"] == body
    assert "sales_order: Field required" in rejected["reason"]


def test_event_that_is_not_json_is_rejected() -> None:
    # Given
    world = World()
    # When
    (step,) = world.service.handle_message("not json", "m-bad")
    # Then
    assert step.outcome is Outcome.REJECTED
    assert "Not a valid order event" in world.records.rejected[0]["reason"]


def test_event_for_an_unlinked_webshop_is_rejected_naming_it() -> None:
    # Given
    world = World()
    # When
    outcome = world.deliver(order_integration_id="webshop-unknown")
    # Then
    assert outcome is Outcome.REJECTED
    assert world.records.rejected[0]["reason"] == (
        "Webshop webshop-unknown is not linked to an accounting integration of merchant merchant-1"
    )


def test_returning_customer_costs_no_contact_lookup() -> None:
    # Given
    world = World()
    world.deliver("danish_private")
    # When: the same customer orders again
    second = order_event("danish_private")
    second["sales_order"]["id"] = 999
    second["sales_order"]["order_id"] = "10999"
    world.service.handle_message(json.dumps(second), "m-2")
    # Then
    assert world.dinero.calls["find_contact"] == 1
    assert world.dinero.calls["create_contact"] == 1
    assert len(world.dinero.invoices) == 2


def test_organization_without_pro_fails_with_an_actionable_reason() -> None:
    # Given
    world = World(is_pro=False)
    # When
    outcome = world.deliver()
    # Then
    assert outcome is Outcome.FAILED
    assert "no Dinero Pro" in (world.records.only().reason or "")
    assert sum(world.dinero.calls.values()) == 0


def test_disconnected_dinero_fails_asking_to_reconnect() -> None:
    # Given
    world = World()
    connection = world.connections.connections["connection-1"]
    world.connections.connections["connection-1"] = connection.model_copy(
        update={"status": ConnectionStatus.DISCONNECTED}
    )
    # When
    outcome = world.deliver()
    # Then
    assert outcome is Outcome.FAILED
    assert world.records.only().reason == "Dinero is disconnected: connect Dinero again, then retry the order"


def test_inactive_integration_skips_the_order() -> None:
    # Given
    world = World(active=False)
    # When
    outcome = world.deliver()
    # Then
    assert outcome is Outcome.SKIPPED
    assert world.records.only().status is OrderStatus.SKIPPED
    assert sum(world.dinero.calls.values()) == 0


def test_gift_card_order_stays_a_draft_for_review() -> None:
    # Given
    world = World()
    # When
    outcome = world.deliver("with_gift_card")
    # Then
    assert outcome is Outcome.DRAFT
    assert "gift card" in (world.records.only().reason or "")


def test_partial_fulfilments_become_separate_invoices() -> None:
    # Given
    world = World()
    event = order_event("partial_fulfilment")
    second_id = next(f["id"] for f in event["sales_order"]["order_fulfillments"] if f["id"] != event["fulfillment_id"])
    # When
    first = world.deliver("partial_fulfilment", message_id="m-1")
    second = world.deliver("partial_fulfilment", message_id="m-2", fulfillment_id=second_id)
    # Then
    assert (first, second) == (Outcome.BOOKED, Outcome.BOOKED)
    assert len(world.dinero.invoices) == 2
    assert {record.fulfillment_id for record in world.records.records.values()} == {event["fulfillment_id"], second_id}


def test_template_kind_labels_name_the_template_in_reasons() -> None:
    # Given / When / Then
    assert TemplateKind.SHIPPING_OUTSIDE_EU.label == "Shipping (Outside EU)"


def test_unexpected_error_releases_the_order_naming_the_error_type_and_propagates() -> None:
    # Given: Dinero answers something the client does not understand
    world = World()
    world.dinero.failures["create_invoice"] = [KeyError("Guid")]  # type: ignore[list-item]
    # When
    with pytest.raises(KeyError):
        world.deliver()
    # Then: the next delivery may take it over at once, and the record explains what the DLQ may end up holding
    record = world.records.only()
    assert record.status is OrderStatus.PROCESSING
    assert record.lease_until == world.clock.now()
    assert record.reason == "Will retry after an unexpected error (KeyError)"


def test_event_whose_merchant_did_not_link_the_webshop_is_rejected_and_nothing_reaches_dinero() -> None:
    # Given: webshop-1 is linked by merchant-1 only
    world = World()
    # When: an event names another merchant for the same webshop id
    outcome = world.deliver(merchant_id="merchant-2")
    # Then
    assert outcome is Outcome.REJECTED
    assert world.records.rejected[0]["reason"] == (
        "Webshop webshop-1 is not linked to an accounting integration of merchant merchant-2"
    )
    assert world.records.records == {}
    assert sum(world.dinero.calls.values()) == 0


def test_retry_goes_to_the_integration_that_owns_the_record_even_after_a_relink() -> None:
    # Given: the merchant relinked webshop-1 to another of their integrations
    world = World()
    world.add_integration("integration-2", "merchant-1")
    world.integrations.link(
        OrderIntegrationLink(
            order_integration_id="webshop-1",
            integration_id="integration-2",
            merchant_id="merchant-1",
            linked_at=world.clock.now(),
        )
    )
    # When: an order of integration-1 is retried
    outcome = world.deliver(owner=INTEGRATION_ID)
    # Then: it is booked in integration-1's books
    assert outcome is Outcome.BOOKED
    assert world.records.only().integration_id == INTEGRATION_ID


def test_retry_naming_another_merchants_integration_is_rejected() -> None:
    # Given
    world = World()
    world.add_integration("integration-2", "merchant-2")
    # When: merchant-1's event arrives as a retry for merchant-2's integration
    outcome = world.deliver(owner="integration-2")
    # Then
    assert outcome is Outcome.REJECTED
    assert world.records.records == {}
    assert sum(world.dinero.calls.values()) == 0


def test_transient_failure_on_the_last_delivery_records_a_failure_instead_of_leaving_it_processing() -> None:
    # Given
    world = World()
    world.dinero.failures["get_invoice"] = [RetryableError("Dinero answered 503 to GET /v1/{id}/invoices/{id}")]
    # When
    outcome = world.deliver(final_attempt=True)
    # Then
    assert outcome is Outcome.FAILED
    record = world.records.only()
    assert record.status is OrderStatus.FAILED and record.lease_until is None
    assert record.reason == (
        "Gave up after repeated attempts (Dinero answered 503 to GET /v1/{id}/invoices/{id}): retry the order later"
    )


def test_unexpected_error_on_the_last_delivery_records_a_failure_naming_the_error_type() -> None:
    # Given
    world = World()
    world.dinero.failures["create_invoice"] = [KeyError("Guid")]  # type: ignore[list-item]
    # When
    outcome = world.deliver(final_attempt=True)
    # Then
    assert outcome is Outcome.FAILED
    assert world.records.only().reason == "Failed after an unexpected error (KeyError): retry the order"
