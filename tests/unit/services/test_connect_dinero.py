"""ConnectDineroService against in-memory fakes: the authorize URL, the callback's outcomes, reconnecting."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from dinero_bookkeeping.domain.errors import PermanentError, RetryableError
from dinero_bookkeeping.domain.integration import ConnectionStatus, connection_id_for, integration_id_for
from dinero_bookkeeping.domain.oauth_state import s256_code_challenge
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


def test_callback_with_consent_creates_one_inactive_integration_per_organization() -> None:
    # Given
    world = MerchantWorld()
    state, code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=code, error=None)
    # Then
    assert outcome.result == "connected"
    assert outcome_query(outcome) == {"tab": "dinero", "dinero": "connected", "organizations": "2"}
    assert outcome.redirect_url.startswith("https://app.example/settings?")
    integrations = {i.organization_id: i for i in world.integrations.list_integrations(MERCHANT)}
    assert set(integrations) == {PRO_ORG.id, NON_PRO_ORG.id}
    assert [i.active for i in integrations.values()] == [False, False]
    assert integrations[PRO_ORG.id].is_pro and not integrations[NON_PRO_ORG.id].is_pro
    assert integrations[PRO_ORG.id].integration_id == integration_id_for(MERCHANT, PRO_ORG.id)
    connection = world.connections.connections[connection_id_for(MERCHANT)]
    assert connection.status is ConnectionStatus.CONNECTED
    assert world.connections.token_sets[connection.connection_id] == world.visma.issued[0]
    assert world.directory.tokens_seen == [world.visma.issued[0].access_token.get_secret_value()]


def test_reconnect_replaces_the_token_set_and_keeps_integrations_and_their_settings() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.manage.set_book_automatically(MERCHANT, integration_id, True)
    world.directory.organizations = [FakeOrganization(PRO_ORG.id, "Nordlys Webshop A/S", is_pro=True), NON_PRO_ORG]
    # When
    outcome = world.connected()
    # Then
    assert outcome.result == "connected"
    assert len(world.integrations.list_integrations(MERCHANT)) == 2
    integration = world.integrations.integrations[integration_id]
    assert integration.active and integration.book_automatically
    assert integration.organization_name == "Nordlys Webshop A/S"
    assert world.connections.token_sets[connection_id_for(MERCHANT)] == world.visma.issued[1]


def test_callback_with_replayed_state_is_rejected_and_exchanges_nothing() -> None:
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
    assert len(world.visma.issued) == 1


def test_callback_with_foreign_state_creates_nothing() -> None:
    # Given
    world = MerchantWorld()
    _, code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state="made-up-by-someone", code=code, error=None)
    # Then
    assert outcome.result == "error"
    assert outcome_query(outcome)["reason"] == "invalid_state"
    assert world.integrations.integrations == {}
    assert world.connections.connections == {}


def test_callback_with_expired_state_creates_nothing_and_uses_the_state_up() -> None:
    # Given
    world = MerchantWorld()
    state, code = world.authorize()
    world.clock.advance(10 * 60)
    # When
    outcome = world.connect.complete_callback(state=state, code=code, error=None)
    # Then
    assert outcome_query(outcome)["reason"] == "expired_state"
    assert world.integrations.integrations == {}
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
    assert world.connections.connections == {}


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
    assert world.connections.connections == {}


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


def test_callback_whose_code_visma_refuses_reports_connection_failed() -> None:
    # Given: a code issued for another authorize request, so the PKCE verifier does not match
    world = MerchantWorld()
    state, _ = world.authorize()
    _, other_code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=other_code, error=None)
    # Then
    assert outcome_query(outcome)["reason"] == "connection_failed"
    assert world.connections.connections == {}


def test_callback_when_organizations_cannot_be_listed_keeps_the_tokens_and_reports_unavailable() -> None:
    # Given
    world = MerchantWorld()
    world.directory.failure = RetryableError("Dinero answered 503 to GET /v1/organizations")
    state, code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=code, error=None)
    # Then
    assert outcome_query(outcome)["reason"] == "temporarily_unavailable"
    assert world.integrations.integrations == {}
    assert connection_id_for(MERCHANT) in world.connections.token_sets


def test_callback_when_visma_fails_permanently_reports_connection_failed() -> None:
    # Given
    world = MerchantWorld()
    world.visma.failure = PermanentError("Visma Connect issued no refresh token")
    state, code = world.authorize()
    # When
    outcome = world.connect.complete_callback(state=state, code=code, error=None)
    # Then
    assert outcome.result == "error"
    assert outcome_query(outcome)["reason"] == "connection_failed"


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
