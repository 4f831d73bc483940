"""ManageIntegrationsService against in-memory fakes: overview, activation, book automatically, disconnecting."""

import pytest

from dinero_bookkeeping.domain.errors import (
    BookkeepingError,
    ConflictError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from dinero_bookkeeping.domain.integration import ConnectionStatus, connection_id_for, integration_id_for
from dinero_bookkeeping.domain.templates import Template, TemplateKind, TemplateSet
from dinero_bookkeeping.services.manage_integrations import DISCONNECTED_BY_MERCHANT
from support.merchant_world import MERCHANT, NON_PRO_ORG, OTHER_MERCHANT, PRO_ORG, MerchantWorld

PRO_INTEGRATION = integration_id_for(MERCHANT, PRO_ORG.id)
NON_PRO_INTEGRATION = integration_id_for(MERCHANT, NON_PRO_ORG.id)


def test_list_after_connecting_shows_both_organizations_connected_inactive_and_incomplete() -> None:
    # Given
    world = MerchantWorld()
    world.connected()
    # When
    overviews = world.manage.list_integrations(MERCHANT)
    # Then
    assert [o.integration.organization_name for o in overviews] == ["Hobbyværkstedet", "Nordlys Webshop ApS"]
    assert all(o.connected and not o.integration.active for o in overviews)
    assert overviews[1].incomplete_templates == list(TemplateKind)


def test_list_shows_nothing_of_another_merchant() -> None:
    # Given
    world = MerchantWorld()
    world.connected(OTHER_MERCHANT)
    # When
    overviews = world.manage.list_integrations(MERCHANT)
    # Then
    assert overviews == []


def test_get_another_merchants_integration_is_not_found() -> None:
    # Given
    world = MerchantWorld()
    world.connected(OTHER_MERCHANT)
    theirs = integration_id_for(OTHER_MERCHANT, PRO_ORG.id)
    # When
    with pytest.raises(NotFoundError) as raised:
        world.manage.get_integration(MERCHANT, theirs)
    # Then
    assert "not found" in str(raised.value)


def test_activate_pro_integration_creates_the_seven_empty_templates_and_activates() -> None:
    # Given
    world = MerchantWorld()
    world.connected()
    # When
    overview = world.manage.activate(MERCHANT, PRO_INTEGRATION)
    # Then
    assert overview.integration.active
    assert world.integrations.get_templates(PRO_INTEGRATION) == TemplateSet.empty()
    assert overview.incomplete_templates == list(TemplateKind)


def test_activate_again_keeps_what_the_merchant_filled_in() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    filled = Template(kind=TemplateKind.PRODUCT_DOMESTIC, account_number=1000)
    world.integrations.put_template(integration_id, filled)
    world.manage.deactivate(MERCHANT, integration_id)
    # When
    world.manage.activate(MERCHANT, integration_id)
    # Then
    templates = world.integrations.get_templates(integration_id).templates
    assert templates[TemplateKind.PRODUCT_DOMESTIC] == filled
    assert len(templates) == 7


def test_activate_non_pro_integration_is_refused_with_the_reason_and_creates_no_templates() -> None:
    # Given
    world = MerchantWorld()
    world.connected()
    # When
    with pytest.raises(ConflictError) as raised:
        world.manage.activate(MERCHANT, NON_PRO_INTEGRATION)
    # Then
    assert "Hobbyværkstedet has no Dinero Pro subscription" in str(raised.value)
    assert world.integrations.get_templates(NON_PRO_INTEGRATION).templates == {}
    assert not world.integrations.integrations[NON_PRO_INTEGRATION].active


def test_activate_while_disconnected_is_refused() -> None:
    # Given
    world = MerchantWorld()
    world.connected()
    world.manage.disconnect(MERCHANT)
    # When
    with pytest.raises(ConflictError) as raised:
        world.manage.activate(MERCHANT, PRO_INTEGRATION)
    # Then
    assert "connect Dinero again" in str(raised.value)


def test_activate_another_merchants_integration_is_not_found_and_changes_nothing() -> None:
    # Given
    world = MerchantWorld()
    world.connected(OTHER_MERCHANT)
    theirs = integration_id_for(OTHER_MERCHANT, PRO_ORG.id)
    # When
    with pytest.raises(NotFoundError):
        world.manage.activate(MERCHANT, theirs)
    # Then
    assert not world.integrations.integrations[theirs].active


def test_deactivate_turns_the_integration_off() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    overview = world.manage.deactivate(MERCHANT, integration_id)
    # Then
    assert not overview.integration.active
    assert not world.integrations.integrations[integration_id].active


def test_book_automatically_is_off_by_default_and_can_be_turned_on() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    assert not world.manage.get_integration(MERCHANT, integration_id).integration.book_automatically
    # When
    overview = world.manage.set_book_automatically(MERCHANT, integration_id, True)
    # Then
    assert overview.integration.book_automatically
    assert world.integrations.integrations[integration_id].book_automatically


def test_disconnect_drops_tokens_deactivates_everything_and_keeps_the_configuration() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.integrations.put_template(integration_id, Template(kind=TemplateKind.PRODUCT_DOMESTIC, account_number=1000))
    refresh_token = world.connections.token_sets[connection_id_for(MERCHANT)].refresh_token.get_secret_value()
    # When
    revocation = world.manage.disconnect(MERCHANT)
    # Then
    assert revocation == "revoked" and world.visma.revoked == [refresh_token]
    connection = world.connections.connections[connection_id_for(MERCHANT)]
    assert connection.status is ConnectionStatus.DISCONNECTED
    assert connection.status_reason == DISCONNECTED_BY_MERCHANT
    assert world.connections.token_sets == {}
    overview = world.manage.get_integration(MERCHANT, integration_id)
    assert not overview.connected and not overview.integration.active
    assert world.integrations.get_templates(integration_id).templates[TemplateKind.PRODUCT_DOMESTIC].account_number


@pytest.mark.parametrize(
    "failure",
    [
        RetryableError("Visma Connect answered 503 to the revocation"),
        PermanentError("Visma Connect refused the revocation (invalid_client)"),
    ],
)
def test_disconnect_when_visma_cannot_revoke_still_drops_the_tokens_and_reports_it(failure: BookkeepingError) -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.visma.revoke_failure = failure
    # When
    revocation = world.manage.disconnect(MERCHANT)
    # Then: the merchant's decision holds here whatever Visma Connect says
    assert revocation == "failed"
    assert world.connections.token_sets == {}
    assert world.connections.connections[connection_id_for(MERCHANT)].status is ConnectionStatus.DISCONNECTED
    assert not world.integrations.integrations[integration_id].active


def test_disconnect_when_the_tokens_cannot_be_decrypted_still_drops_them_and_reports_it() -> None:
    # Given
    world = MerchantWorld()
    world.activated()
    world.connections.load_failure = RetryableError("KMS could not decrypt the token set")
    # When
    revocation = world.manage.disconnect(MERCHANT)
    # Then
    assert revocation == "failed" and world.visma.revoked == []
    assert world.connections.token_sets == {}


def test_disconnect_again_has_nothing_left_to_revoke() -> None:
    # Given
    world = MerchantWorld()
    world.activated()
    world.manage.disconnect(MERCHANT)
    # When
    revocation = world.manage.disconnect(MERCHANT)
    # Then
    assert revocation == "nothing_to_revoke"
    assert len(world.visma.revoked) == 1


def test_disconnect_without_ever_connecting_is_not_found() -> None:
    # Given
    world = MerchantWorld()
    # When
    with pytest.raises(NotFoundError) as raised:
        world.manage.disconnect(MERCHANT)
    # Then
    assert str(raised.value) == "Dinero is not connected"


def test_disconnect_leaves_another_merchants_connection_alone() -> None:
    # Given
    world = MerchantWorld()
    world.activated(MERCHANT)
    theirs = world.activated(OTHER_MERCHANT)
    # When
    world.manage.disconnect(MERCHANT)
    # Then
    assert world.manage.get_integration(OTHER_MERCHANT, theirs).connected
    assert world.integrations.integrations[theirs].active
