"""The OAuth state and its PKCE verifier."""

import re
from datetime import UTC, datetime, timedelta

from dinero_bookkeeping.domain.oauth_state import STATE_TTL, OAuthState, s256_code_challenge

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_s256_challenge_matches_rfc_7636_appendix_b() -> None:
    # Given the verifier of RFC 7636's worked example
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    # When
    challenge = s256_code_challenge(verifier)
    # Then
    assert challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_issued_state_is_bound_to_the_merchant_and_lives_ten_minutes() -> None:
    # Given
    merchant_id = "merchant-1"
    # When
    state = OAuthState.issue(merchant_id, NOW)
    # Then
    assert state.merchant_id == merchant_id
    assert state.expires_at == NOW + STATE_TTL == NOW + timedelta(minutes=10)
    assert not state.expired_at(NOW + timedelta(minutes=9, seconds=59))
    assert state.expired_at(NOW + timedelta(minutes=10))


def test_issued_state_and_verifier_are_random_and_url_safe() -> None:
    # Given
    first, second = OAuthState.issue("merchant-1", NOW), OAuthState.issue("merchant-1", NOW)
    # When
    verifier = first.code_verifier.get_secret_value()
    # Then
    assert first.state != second.state
    assert verifier != second.code_verifier.get_secret_value()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,128}", verifier)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first.state)
    assert first.code_challenge == s256_code_challenge(verifier)


def test_verifier_stays_out_of_the_states_repr() -> None:
    # Given
    state = OAuthState.issue("merchant-1", NOW)
    # When
    shown = repr(state)
    # Then
    assert state.code_verifier.get_secret_value() not in shown
