import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from infra.local.dev_jwt import InvalidTokenError, issue_token, verify_token

SECRET = "local-dev-secret"
ISSUER = "https://auth.local"
AUDIENCE = "dinero-bookkeeping"


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _hand_made_token(header: dict[str, Any], claims: dict[str, Any], secret: str = SECRET) -> str:
    """A token built outside the module under test, to try shapes `issue_token` never produces."""
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _valid_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "merchant-1", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60} | overrides


def test_verify_token_issued_token_returns_claims_with_merchant_as_subject() -> None:
    # Given
    token = issue_token(SECRET, subject="merchant-1", issuer=ISSUER, audience=AUDIENCE, extra_claims={"name": "Shop"})

    # When
    claims = verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert claims["sub"] == "merchant-1"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["name"] == "Shop"
    assert claims["exp"] - claims["iat"] == 12 * 3600


def test_verify_token_tampered_signature_raises_bad_signature() -> None:
    # Given
    token = issue_token(SECRET, subject="merchant-1", issuer=ISSUER, audience=AUDIENCE)
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(f"{head}.{payload}.{flipped}", SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert raised.value.reason == "bad signature"


def test_verify_token_payload_swapped_for_another_merchant_raises_bad_signature() -> None:
    # Given
    token = issue_token(SECRET, subject="merchant-1", issuer=ISSUER, audience=AUDIENCE)
    head, _, signature = token.split(".")
    other_payload = _segment(_valid_claims(sub="merchant-2"))

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(f"{head}.{other_payload}.{signature}", SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert raised.value.reason == "bad signature"


def test_verify_token_signed_with_other_secret_raises_bad_signature() -> None:
    # Given
    token = issue_token("another-secret", subject="merchant-1", issuer=ISSUER, audience=AUDIENCE)

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert raised.value.reason == "bad signature"


def test_verify_token_alg_none_unsigned_raises_unsupported_algorithm() -> None:
    # Given
    token = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(_valid_claims())}."

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert raised.value.reason == "unsupported algorithm"


def test_verify_token_at_expiry_raises_expired() -> None:
    # Given
    token = issue_token(SECRET, subject="merchant-1", issuer=ISSUER, audience=AUDIENCE, ttl_s=60)
    expires_at = verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)["exp"]

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE, now=expires_at)

    # Then
    assert raised.value.reason == "expired"


def test_verify_token_without_exp_raises_missing_exp() -> None:
    # Given
    claims = _valid_claims()
    del claims["exp"]
    token = _hand_made_token({"alg": "HS256", "typ": "JWT"}, claims)

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert raised.value.reason == "missing exp"


def test_verify_token_before_nbf_raises_not_yet_valid() -> None:
    # Given
    token = issue_token(SECRET, subject="merchant-1", issuer=ISSUER, audience=AUDIENCE)
    not_before = verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)["nbf"]

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE, now=not_before - 1)

    # Then
    assert raised.value.reason == "nbf is in the future"


def test_verify_token_wrong_audience_raises_wrong_audience() -> None:
    # Given
    token = issue_token(SECRET, subject="merchant-1", issuer=ISSUER, audience="another-api")

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert raised.value.reason == "wrong audience"


def test_verify_token_audience_list_containing_ours_returns_claims() -> None:
    # Given
    token = _hand_made_token({"alg": "HS256"}, _valid_claims(aud=["another-api", AUDIENCE]))

    # When
    claims = verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert claims["aud"] == ["another-api", AUDIENCE]


def test_verify_token_wrong_issuer_raises_wrong_issuer() -> None:
    # Given
    token = issue_token(SECRET, subject="merchant-1", issuer="https://elsewhere", audience=AUDIENCE)

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert raised.value.reason == "wrong issuer"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed token"),
        ("a.b", "malformed token"),
        (f"{_segment({'alg': 'HS256'})}.x.y.z", "malformed token"),
        ("!!!.e30.c2ln", "malformed header"),
        (f"{_segment({'alg': 'HS256'})}.e30.%%%", "bad signature"),
    ],
)
def test_verify_token_malformed_raises_invalid_token_with_reason(token: str, reason: str) -> None:
    # Given a token that is not three well-formed parts (from the parameters)

    # When
    with pytest.raises(InvalidTokenError) as raised:
        verify_token(token, SECRET, issuer=ISSUER, audience=AUDIENCE)

    # Then
    assert raised.value.reason == reason


def test_issue_token_extra_claims_overriding_registered_claim_raises_value_error() -> None:
    # Given
    extra_claims = {"sub": "someone-else"}

    # When
    with pytest.raises(ValueError) as raised:
        issue_token(SECRET, subject="merchant-1", issuer=ISSUER, audience=AUDIENCE, extra_claims=extra_claims)

    # Then
    assert "sub" in str(raised.value)
