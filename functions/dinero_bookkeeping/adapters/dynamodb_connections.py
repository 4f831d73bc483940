"""Visma Connect connections and their encrypted token sets: CONNECTION#<id>/CONNECTION.

Refreshes are serialised with a lease (a conditional update on the token version), because Visma Connect's refresh
tokens are one-time: two workers refreshing at once would leave one of them with a dead token.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code
from dinero_bookkeeping.adapters.kms_token_cipher import KmsTokenCipher
from dinero_bookkeeping.domain.integration import Connection, ConnectionStatus
from dinero_bookkeeping.domain.tokens import StoredTokens, TokenSet

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def connection_key(connection_id: str) -> dict[str, str]:
    return {"pk": f"CONNECTION#{connection_id}", "sk": "CONNECTION"}


class DynamoConnections:
    def __init__(self, table: "Table", cipher: KmsTokenCipher) -> None:
        self._table = table
        self._cipher = cipher
        # Decrypted token sets by (connection, version): a warm Lambda pays KMS once per refresh, not per message.
        self._decrypted: dict[tuple[str, int], TokenSet] = {}

    def get_connection(self, connection_id: str) -> Connection | None:
        item = self._get(connection_id)
        return Connection.model_validate(item) if item else None

    def save_grant(self, connection: Connection, tokens: TokenSet) -> None:
        """A new consent (first connect or reconnect): replaces whatever token set was there."""
        ciphertext = self._cipher.encrypt(
            tokens, merchant_id=connection.merchant_id, connection_id=connection.connection_id
        )
        fields = {**connection.model_dump(mode="json"), "token_ciphertext": Binary(ciphertext)}
        values = {**{f":{name}": value for name, value in fields.items()}, ":zero": 0, ":one": 1}
        # The version keeps counting across reconnects, so no cache can mistake the new set for an old one.
        assignments = ", ".join(f"#{name} = :{name}" for name in fields)
        with dynamodb_errors("save grant"):
            self._table.update_item(
                Key=connection_key(connection.connection_id),
                UpdateExpression=f"SET {assignments}, token_version = if_not_exists(token_version, :zero) + :one "
                "REMOVE refresh_lease_until",
                ExpressionAttributeNames={f"#{name}": name for name in fields},
                ExpressionAttributeValues=values,
            )

    def load_tokens(self, connection_id: str) -> StoredTokens | None:
        item = self._get(connection_id)
        if not item or item.get("status") != ConnectionStatus.CONNECTED or "token_ciphertext" not in item:
            return None
        version = int(item["token_version"])
        tokens = self._decrypted.get((connection_id, version))
        if tokens is None:
            tokens = self._cipher.decrypt(
                bytes(item["token_ciphertext"]), merchant_id=str(item["merchant_id"]), connection_id=connection_id
            )
            self._decrypted = {key: value for key, value in self._decrypted.items() if key[0] != connection_id}
            self._decrypted[(connection_id, version)] = tokens
        lease = item.get("refresh_lease_until")
        return StoredTokens(
            connection_id=connection_id,
            merchant_id=str(item["merchant_id"]),
            tokens=tokens,
            version=version,
            refresh_lease_until=datetime.fromisoformat(str(lease)) if lease else None,
        )

    def try_lease(self, stored: StoredTokens, now: datetime, until: datetime) -> bool:
        """Take the refresh lease if the token set is still the version we read and nobody holds a live lease."""
        return self._conditional_update(
            stored.connection_id,
            "SET refresh_lease_until = :until",
            "token_version = :version AND (attribute_not_exists(refresh_lease_until) "
            "OR refresh_lease_until = :null OR refresh_lease_until < :now)",
            {":until": until.isoformat(), ":version": stored.version, ":now": now.isoformat(), ":null": None},
        )

    def save_refreshed(self, stored: StoredTokens, tokens: TokenSet, now: datetime) -> bool:
        ciphertext = self._cipher.encrypt(tokens, merchant_id=stored.merchant_id, connection_id=stored.connection_id)
        return self._conditional_update(
            stored.connection_id,
            "SET token_ciphertext = :ciphertext, token_version = :next, updated_at = :now REMOVE refresh_lease_until",
            "token_version = :version",
            {
                ":ciphertext": Binary(ciphertext),
                ":next": stored.version + 1,
                ":version": stored.version,
                ":now": now.isoformat(),
            },
        )

    def release_lease(self, stored: StoredTokens) -> None:
        self._conditional_update(
            stored.connection_id, "REMOVE refresh_lease_until", "token_version = :version", {":version": stored.version}
        )

    def mark_disconnected(self, connection_id: str, reason: str, now: datetime) -> None:
        """Consent is gone: drop the tokens (useless now) and keep the connection visible as disconnected."""
        with dynamodb_errors("mark disconnected"):
            self._table.update_item(
                Key=connection_key(connection_id),
                UpdateExpression="SET #status = :status, status_reason = :reason, updated_at = :now "
                "REMOVE token_ciphertext, refresh_lease_until",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":status": ConnectionStatus.DISCONNECTED.value,
                    ":reason": reason,
                    ":now": now.isoformat(),
                },
            )

    def _conditional_update(self, connection_id: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            with dynamodb_errors("update tokens"):
                self._table.update_item(
                    Key=connection_key(connection_id),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise
        return True

    def _get(self, connection_id: str) -> dict[str, Any] | None:
        with dynamodb_errors("get connection"):
            return self._table.get_item(Key=connection_key(connection_id), ConsistentRead=True).get("Item")
