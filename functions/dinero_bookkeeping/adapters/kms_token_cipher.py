"""Encrypts token sets with KMS. The encryption context binds a ciphertext to its merchant and connection, so a
ciphertext copied onto another tenant's item cannot be decrypted there."""

import json
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.tokens import TokenSet

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class KmsTokenCipher:
    def __init__(self, kms: "KMSClient", key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def encrypt(self, tokens: TokenSet, *, merchant_id: str, connection_id: str) -> bytes:
        plaintext = json.dumps(
            {
                "access_token": tokens.access_token.get_secret_value(),
                "refresh_token": tokens.refresh_token.get_secret_value(),
                "access_expires_at": tokens.access_expires_at.isoformat(),
            }
        ).encode()
        try:
            response = self._kms.encrypt(
                KeyId=self._key_id, Plaintext=plaintext, EncryptionContext=_context(merchant_id, connection_id)
            )
        except (ClientError, BotoCoreError) as error:
            raise RetryableError("KMS could not encrypt the token set") from error
        return response["CiphertextBlob"]

    def decrypt(self, ciphertext: bytes, *, merchant_id: str, connection_id: str) -> TokenSet:
        try:
            response = self._kms.decrypt(
                CiphertextBlob=ciphertext, EncryptionContext=_context(merchant_id, connection_id), KeyId=self._key_id
            )
        except (ClientError, BotoCoreError) as error:
            raise RetryableError("KMS could not decrypt the token set") from error
        data = json.loads(response["Plaintext"])
        return TokenSet(
            access_token=SecretStr(data["access_token"]),
            refresh_token=SecretStr(data["refresh_token"]),
            access_expires_at=datetime.fromisoformat(data["access_expires_at"]),
        )


def _context(merchant_id: str, connection_id: str) -> dict[str, str]:
    return {"merchant_id": merchant_id, "connection_id": connection_id, "purpose": "dinero-tokens"}
