"""Encrypts a merchant's Shipmondo credentials with KMS, like the Dinero token sets: the encryption context binds the
ciphertext to its merchant and purpose, so it cannot be decrypted on another merchant's item or as a token set."""

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.shipmondo_connection import ShipmondoCredentials

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class KmsCredentialsCipher:
    def __init__(self, kms: "KMSClient", key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def encrypt(self, credentials: ShipmondoCredentials, *, merchant_id: str) -> bytes:
        plaintext = json.dumps(
            {
                "api_user": credentials.api_user,
                "api_key": credentials.api_key.get_secret_value(),
                "webhook_key": credentials.webhook_key.get_secret_value(),
            }
        ).encode()
        try:
            response = self._kms.encrypt(
                KeyId=self._key_id, Plaintext=plaintext, EncryptionContext=_context(merchant_id)
            )
        except (ClientError, BotoCoreError) as error:
            raise RetryableError("KMS could not encrypt the Shipmondo credentials") from error
        return response["CiphertextBlob"]

    def decrypt(self, ciphertext: bytes, *, merchant_id: str) -> ShipmondoCredentials:
        try:
            response = self._kms.decrypt(
                CiphertextBlob=ciphertext, EncryptionContext=_context(merchant_id), KeyId=self._key_id
            )
        except (ClientError, BotoCoreError) as error:
            raise RetryableError("KMS could not decrypt the Shipmondo credentials") from error
        data = json.loads(response["Plaintext"])
        return ShipmondoCredentials(
            api_user=data["api_user"], api_key=SecretStr(data["api_key"]), webhook_key=SecretStr(data["webhook_key"])
        )


def _context(merchant_id: str) -> dict[str, str]:
    return {"merchant_id": merchant_id, "purpose": "shipmondo-credentials"}
