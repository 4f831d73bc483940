"""ConnectDineroService against in-memory fakes: the authorize URL, the callback's outcomes, completing the
connection under the merchant's identity, reconnecting."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from dinero_bookkeeping.domain.errors import ConsentRevokedError, NotFoundError, PermanentError, RetryableError
from dinero_bookkeeping.domain.integration import ConnectionStatus, connection_id_for, integration_id_for
from dinero_bookkeeping.domain.oauth_state import s256_code_challenge
from dinero_bookkeeping.services.connect_dinero import HANDLE_NOT_FOUND
from support.fakes import FakeOrganization
from support.merchant_world import (
    MERCHANT,
    NON_PRO_ORG,
    OTHER_MERCHANT,
    PRO_ORG,
    REDIRECT_URI,
    MerchantWorld,
    outcome_query,
)


def test_start_connect_returns_authorize_url_bound_to_a_stored_state_with_pkce() -> None:
    # Given
    world = MerchantWorld()
    # When
    started = world.connect.start_connect(MERCHANT)
    # Then
    query = parse_qs(urlsplit(started.url).query)
    (state,) = world.states.states.values()
    assert query["state"] == [state.state]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["code_challenge"] == [s256_code_challenge(state.code_verifier.get_secret_value())]
    assert state.merchant_id == MERCHANT
    assert started.expires_at == state.expires_at == world.clock.now() + timedelta(minutes=10)


def test_start_connect_twice_issues_different_states() -> None:
    # Given
    world = MerchantWorld()
    # When
    first, second = world.connect.start_connect(MERCHANT), world.connect.start_connect(MERCHANT)
    # Then
    assert first.url != second.url
    assert len(world.states.states) == 2


def test_callback_with_consent_parks_the_code_under_a_handle_and_exchanges_nothing() -> None:
    # Given
    world = MerchantWorld()
    state, code = world.authorize()
    verifier = world.states.states[state].code_verifier
    # When
    outcome = world.connect.complete_callback(state=state, code=code, error=None)
    # Then: back to the app with a handle; the code is still unused at Visma Connect and nothing is connected
    assert outcome.result == "complete"
    query = outcome_query(outcome)
    assert set(query) == {"tab", "dinero", "handle"} and query["dinero"] == "complete"
    assert outcome.redirect_url.startswith("https://app.example/settings?")
    (pending,) = world.pending.pending.values()
    assert pending.handle == query["handle"] and len(pending.handle) >= 43
    assert pending.merchant_id == MERCHANT and pending.code_verifier == verifier
    assert pending.code.get_secret_value() == code
    assert pending.expires_at == world.clock.now() + timedelta(minutes=10)
    assert code in world.visma.codes and world.visma.issued == []
    assert world.connections.connections == {} and world.integrations.integrations == {}
    assert world.states.states == {}


def test_completing_as_the_merchant_who_started_creates_one_inactive_integration_per_organization() -> None:
    # Given
    world = MerchantWorld()
    handle = outcome_query(world.consented())["handle"]
    # When
    organizations = world.connect.complete_connection(MERCHANT, handle)
    # Then
    assert organizations == 2
    integrations = {i.organization_id: i for i in world.integrations.list_integrations(MERCHANT)}
    assert set(integrations) == {PRO_ORG.id, NON_PRO_ORG.id}
    assert [i.active for i in integrations.values()] == [False, False]
    assert integrations[PRO_ORG.id].is_pro and not integrations[NON_PRO_ORG.id].is_pro
    assert integrations[PRO_ORG.id].integration_id == integration_id_for(MERCHANT, PRO_ORG.id)
    connection = world.connections.connections[connection_id_for(MERCHANT)]
    assert connection.status is ConnectionStatus.CONNECTED
    assert world.connections.token_sets[connection.connection_id] == world.visma.issued[0]
    assert world.directory.tokens_seen == [world.visma.issued[0].access_token.get_secret_value()]
    assert world.pending.pending == {}


def test_completing_another_merchants_handle_connects_nobody_and_uses_the_handle_up() -> None:
    # Given: merchant-1 started connecting; the consent came back in merchant-2's browser (login CSRF)
    world = MerchantWorld()
    handle = outcome_query(world.consented(MERCHANT))["handle"]
    # When merchant-2's app completes it
    with pytest.raises(NotFoundError) as raised:
        world.connect.complete_connection(OTHER_MERCHANT, handle)
    # Then nothing is exchanged or connected for either, the answer says nothing of merchant-1, and it stays unusable
    assert str(raised.value) == HANDLE_NOT_FOUND and MERCHANT not in str(raised.value)
    assert world.visma.issued == [] and world.connections.connections == {} and world.integrations.integrations == {}
    with pytest.raises(NotFoundError):
        world.connect.complete_connection(MERCHANT, handle)
    assert world.visma.issued == []


def test_completing_a_used_handle_again_is_not_found_and_exchanges_nothing_more() -> None:
    # Given
    world = MerchantWorld()
    handle = outcome_query(world.consented())["handle"]
    world.connect.complete_connection(MERCHANT, handle)
    # When
    with pytest.raises(NotFoundError) as raised:
        world.connect.complete_connection(MERCHANT, handle)
    # Then
    assert str(raised.value) == HANDLE_NOT_FOUND
    assert len(world.visma.issued) == 1


def test_completing_an_expired_handle_is_not_found_and_exchanges_nothing() -> None:
    # Given a handle 10 minutes old (the store's TTL has not removed it yet)
    world = MerchantWorld()
    handle = outcome_query(world.consented())["handle"]
    world.clock.advance(10 * 60)
    # When
    with pytest.raises(NotFoundError):
        world.connect.complete_connection(MERCHANT, handle)
    # Then
    assert world.visma.issued == [] and world.connections.connections == {}
    assert world.pending.pending == {}


@pytest.mark.parametrize("handle", ["made-up-handle", "x" * 5000, ""])
def test_completing_an_unknown_or_overlong_handle_is_not_found(handle: str) -> None:
    # Given
    world = MerchantWorld()
    world.consented()
    # When
    with pytest.raises(NotFoundError):
        world.connect.complete_connection(MERCHANT, handle)
    # Then
    assert len(world.pending.pending) == 1 and world.visma.issued == []


def test_reconnect_replaces_the_token_set_and_keeps_integrations_and_their_settings() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.manage.set_book_automatically(MERCHANT, integration_id, True)
    world.directory.organizations = [FakeOrganization(PRO_ORG.id, "Nordlys Webshop A/S", is_pro=True), NON_PRO_ORG]
    # When
    organizations = world.connected()
    # Then
    assert organizations == 2
    assert len(world.integrations.list_integrations(MERCHANT)) == 2
    integration = world.integrations.integrations[integration_id]
    assert integration.active and integration.book_automatically
    assert integration.organization_name == "Nordlys Webshop A/S"
    assert world.connections.token_sets[connection_id_for(MERCHANT)] == world.visma.issued[1]


def test_callback_with_replayed_state_is_rejected_and_parks_nothing() -> None:
    # Given
    world = MerchantWorld()
    state, code = world.authorize()
    world.connect.complete_callback(state=state, code=code, error=None)
    _, second_code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=second_code, error=None)
    # Then
    assert outcome_query(outcome)["dinero"] == "error"
    assert outcome_query(outcome)["reason"] == "invalid_state"
    assert second_code in world.visma.codes
    assert [p.code.get_secret_value() for p in world.pending.pending.values()] == [code]


def test_callback_with_foreign_state_creates_nothing() -> None:
    # Given
    world = MerchantWorld()
    _, code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state="made-up-by-someone", code=code, error=None)
    # Then
    assert outcome.result == "error"
    assert outcome_query(outcome)["reason"] == "invalid_state"
    assert world.pending.pending == {}


def test_callback_with_expired_state_creates_nothing_and_uses_the_state_up() -> None:
    # Given
    world = MerchantWorld()
    state, code = world.authorize()
    world.clock.advance(10 * 60)
    # When
    outcome = world.connect.complete_callback(state=state, code=code, error=None)
    # Then
    assert outcome_query(outcome)["reason"] == "expired_state"
    assert world.pending.pending == {}
    assert world.states.states == {}


def test_callback_with_an_overlong_state_is_rejected_without_a_lookup() -> None:
    # Given
    world = MerchantWorld()
    _, code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state="x" * 5000, code=code, error=None)
    # Then
    assert outcome_query(outcome)["reason"] == "invalid_state"
    assert len(world.states.states) == 1


def test_callback_without_state_is_rejected() -> None:
    # Given
    world = MerchantWorld()
    _, code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=None, code=code, error=None)
    # Then
    assert outcome_query(outcome)["reason"] == "invalid_state"
    assert world.pending.pending == {}


def test_callback_with_access_denied_redirects_denied_and_consumes_the_state() -> None:
    # Given
    world = MerchantWorld()
    state, _ = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=None, error="access_denied")
    # Then
    assert outcome.result == "denied"
    assert outcome_query(outcome) == {"tab": "dinero", "dinero": "denied"}
    assert world.states.states == {}
    assert world.pending.pending == {}


def test_callback_with_other_oauth_error_names_it_in_the_reason() -> None:
    # Given
    world = MerchantWorld()
    state, _ = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=None, error="invalid_scope")
    # Then
    assert outcome_query(outcome) == {"tab": "dinero", "dinero": "error", "reason": "invalid_scope"}


def test_callback_with_odd_error_text_does_not_echo_it() -> None:
    # Given
    world = MerchantWorld()
    state, _ = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=None, error="<script>alert(1)</script>")
    # Then
    assert outcome_query(outcome)["reason"] == "oauth_error"
    assert "script" not in outcome.redirect_url


def test_callback_without_code_is_an_error() -> None:
    # Given
    world = MerchantWorld()
    state, _ = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=None, error=None)
    # Then
    assert outcome_query(outcome)["reason"] == "missing_code"


def test_callback_with_an_overlong_code_is_an_error_and_parks_nothing() -> None:
    # Given
    world = MerchantWorld()
    state, _ = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code="c" * 5000, error=None)
    # Then
    assert outcome_query(outcome)["reason"] == "invalid_code"
    assert world.pending.pending == {}


def test_callback_when_the_consent_cannot_be_parked_reports_unavailable() -> None:
    # Given
    world = MerchantWorld()
    world.pending.failure = RetryableError("DynamoDB park pending connection failed transiently")
    state, code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=code, error=None)
    # Then
    assert outcome_query(outcome) == {"tab": "dinero", "dinero": "error", "reason": "temporarily_unavailable"}


def test_completing_with_a_code_visma_refuses_raises_its_reason_and_connects_nothing() -> None:
    # Given: a code issued for another authorize request, so the parked PKCE verifier does not match
    world = MerchantWorld()
    state, _ = world.authorize()
    _, other_code = world.authorize()
    handle = outcome_query(world.connect.complete_callback(state=state, code=other_code, error=None))["handle"]
    # When
    with pytest.raises(ConsentRevokedError):
        world.connect.complete_connection(MERCHANT, handle)
    # Then
    assert world.connections.connections == {}


def test_completing_when_organizations_cannot_be_listed_keeps_the_tokens_and_raises_retryable() -> None:
    # Given
    world = MerchantWorld()
    world.directory.failure = RetryableError("Dinero answered 503 to GET /v1/organizations")
    handle = outcome_query(world.consented())["handle"]
    # When
    with pytest.raises(RetryableError):
        world.connect.complete_connection(MERCHANT, handle)
    # Then
    assert world.integrations.integrations == {}
    assert connection_id_for(MERCHANT) in world.connections.token_sets


def test_completing_when_visma_fails_permanently_raises_its_reason() -> None:
    # Given
    world = MerchantWorld()
    world.visma.failure = PermanentError("Visma Connect issued no refresh token")
    handle = outcome_query(world.consented())["handle"]
    # When
    with pytest.raises(PermanentError) as raised:
        world.connect.complete_connection(MERCHANT, handle)
    # Then
    assert raised.value.reason == "Visma Connect issued no refresh token"
    assert world.connections.connections == {}


def test_two_merchants_connecting_the_same_dinero_user_get_separate_integrations() -> None:
    # Given
    world = MerchantWorld()
    world.connected(MERCHANT)
    # When
    world.connected(OTHER_MERCHANT)
    # Then
    mine = {i.integration_id for i in world.integrations.list_integrations(MERCHANT)}
    theirs = {i.integration_id for i in world.integrations.list_integrations(OTHER_MERCHANT)}
    assert len(mine) == len(theirs) == 2
    assert not mine & theirs
