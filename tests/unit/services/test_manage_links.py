"""ManageLinksService against in-memory fakes: many webshops per integration, one integration per webshop, and every
link in its merchant's own namespace."""

import pytest

from dinero_bookkeeping.domain.errors import ConflictError, NotFoundError
from support.merchant_world import MERCHANT, OTHER_MERCHANT, MerchantWorld


def test_linked_webshop_is_listed_and_found_by_the_order_worker() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    link = world.links.link(MERCHANT, integration_id, "webshop-1")
    # Then
    assert world.links.list_links(MERCHANT, integration_id) == [link]
    assert world.integrations.get_link(MERCHANT, "webshop-1") == link
    assert world.integrations.get_link(OTHER_MERCHANT, "webshop-1") is None
    assert link.integration_id == integration_id and link.merchant_id == MERCHANT


def test_several_webshops_can_feed_one_integration() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    world.links.link(MERCHANT, integration_id, "webshop-2")
    world.links.link(MERCHANT, integration_id, "webshop-1")
    # Then
    listed = world.links.list_links(MERCHANT, integration_id)
    assert [link.order_integration_id for link in listed] == ["webshop-1", "webshop-2"]


def test_linking_again_to_the_same_integration_keeps_the_first_link() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    first = world.links.link(MERCHANT, integration_id, "webshop-1")
    world.clock.advance(3600)
    # When
    again = world.links.link(MERCHANT, integration_id, "webshop-1")
    # Then
    assert again == first


def test_webshop_linked_to_another_of_the_merchants_integrations_cannot_be_linked_and_stays_where_it_is() -> None:
    # Given: the merchant's two organizations, the webshop linked to the first
    world = MerchantWorld()
    first = world.activated()
    second = world.second_integration()
    world.links.link(MERCHANT, first, "webshop-1")
    # When
    with pytest.raises(ConflictError) as raised:
        world.links.link(MERCHANT, second, "webshop-1")
    # Then
    assert "already linked to another of your accounting integrations" in str(raised.value)
    link = world.integrations.get_link(MERCHANT, "webshop-1")
    assert link is not None and link.integration_id == first


def test_another_merchant_linking_the_same_webshop_id_learns_nothing_and_takes_nothing() -> None:
    # Given: the other merchant linked webshop-1 first
    world = MerchantWorld()
    theirs = world.activated(OTHER_MERCHANT)
    their_link = world.links.link(OTHER_MERCHANT, theirs, "webshop-1")
    mine = world.activated(MERCHANT)
    # When: this merchant links an id of the same name
    my_link = world.links.link(MERCHANT, mine, "webshop-1")
    # Then: linked in this merchant's own namespace, no conflict revealing the other's; theirs is untouched
    assert my_link.integration_id == mine and my_link.merchant_id == MERCHANT
    assert world.integrations.get_link(OTHER_MERCHANT, "webshop-1") == their_link
    assert world.links.list_links(MERCHANT, mine) == [my_link]
    assert world.links.list_links(OTHER_MERCHANT, theirs) == [their_link]


def test_unlinked_webshop_is_gone_for_the_order_worker() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.links.link(MERCHANT, integration_id, "webshop-1")
    # When
    world.links.unlink(MERCHANT, integration_id, "webshop-1")
    # Then
    assert world.integrations.get_link(MERCHANT, "webshop-1") is None
    assert world.links.list_links(MERCHANT, integration_id) == []


def test_unlinking_a_webshop_that_is_not_linked_here_is_not_found_and_keeps_the_other_link() -> None:
    # Given: the same webshop id linked by another merchant
    world = MerchantWorld()
    theirs = world.activated(OTHER_MERCHANT)
    world.links.link(OTHER_MERCHANT, theirs, "webshop-1")
    mine = world.activated(MERCHANT)
    # When
    with pytest.raises(NotFoundError):
        world.links.unlink(MERCHANT, mine, "webshop-1")
    # Then
    assert world.integrations.get_link(OTHER_MERCHANT, "webshop-1") is not None


def test_links_of_another_merchants_integration_are_not_found() -> None:
    # Given
    world = MerchantWorld()
    theirs = world.activated(OTHER_MERCHANT)
    world.links.link(OTHER_MERCHANT, theirs, "webshop-9")
    world.connected(MERCHANT)
    # When / Then
    with pytest.raises(NotFoundError):
        world.links.list_links(MERCHANT, theirs)
    with pytest.raises(NotFoundError):
        world.links.link(MERCHANT, theirs, "webshop-1")
    with pytest.raises(NotFoundError):
        world.links.unlink(MERCHANT, theirs, "webshop-9")
    assert world.integrations.get_link(MERCHANT, "webshop-1") is None
    assert world.integrations.get_link(OTHER_MERCHANT, "webshop-9") is not None
