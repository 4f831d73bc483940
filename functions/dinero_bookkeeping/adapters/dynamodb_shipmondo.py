"""Shipmondo connections, their webhook ids and backfills.

Keys: MERCHANT#<merchant>/SHIPMONDO (the connection, credentials KMS-encrypted in `credentials_ciphertext`, listed
for the poll under gsi1pk SHIPMONDO_CONNECTIONS), SHIPMONDO_HOOK#<hook id>/SHIPMONDO_HOOK (which merchant an opaque
webhook URL belongs to), MERCHANT#<merchant>/SHIPMONDO_BACKFILL#<id> (running ones listed under gsi1pk
SHIPMONDO_BACKFILLS_RUNNING).
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError
from pydantic_core import to_jsonable_python

from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code, to_item
from dinero_bookkeeping.adapters.kms_credentials_cipher import KmsCredentialsCipher
from dinero_bookkeeping.domain.shipmondo_connection import (
    Backfill,
    BackfillStatus,
    ShipmondoConnection,
    ShipmondoCredentials,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

CONNECTIONS_GSI1PK = "SHIPMONDO_CONNECTIONS"
RUNNING_BACKFILLS_GSI1PK = "SHIPMONDO_BACKFILLS_RUNNING"
_INDEX = "ByMerchant"


def connection_key(merchant_id: str) -> dict[str, str]:
    return {"pk": f"MERCHANT#{merchant_id}", "sk": "SHIPMONDO"}


def hook_key(hook_id: str) -> dict[str, str]:
    return {"pk": f"SHIPMONDO_HOOK#{hook_id}", "sk": "SHIPMONDO_HOOK"}


def backfill_key(merchant_id: str, backfill_id: str) -> dict[str, str]:
    return {"pk": f"MERCHANT#{merchant_id}", "sk": f"SHIPMONDO_BACKFILL#{backfill_id}"}


class DynamoShipmondo:
    def __init__(self, table: "Table", cipher: KmsCredentialsCipher) -> None:
        self._table = table
        self._cipher = cipher
        # Decrypted credentials by (merchant, version): a warm function pays KMS once per change, not per webhook.
        self._decrypted: dict[tuple[str, int], ShipmondoCredentials] = {}

    def get_connection(self, merchant_id: str) -> ShipmondoConnection | None:
        item = self._get(connection_key(merchant_id))
        return _connection(item) if item else None

    def load_credentials(self, merchant_id: str) -> ShipmondoCredentials | None:
        item = self._get(connection_key(merchant_id))
        if not item or "credentials_ciphertext" not in item:
            return None
        version = int(item.get("credentials_version", 0))
        credentials = self._decrypted.get((merchant_id, version))
        if credentials is None:
            credentials = self._cipher.decrypt(bytes(item["credentials_ciphertext"]), merchant_id=merchant_id)
            self._decrypted = {key: value for key, value in self._decrypted.items() if key[0] != merchant_id}
            self._decrypted[(merchant_id, version)] = credentials
        return credentials

    def hook_owner(self, hook_id: str) -> str | None:
        item = self._get(hook_key(hook_id))
        return str(item["merchant_id"]) if item else None

    def save(self, connection: ShipmondoConnection, credentials: ShipmondoCredentials) -> None:
        """Connect or replace: the connection with fresh ciphertext, and its hook id's owner."""
        ciphertext = self._cipher.encrypt(credentials, merchant_id=connection.merchant_id)
        previous = self._get(connection_key(connection.merchant_id))
        item = to_item(
            connection,
            **connection_key(connection.merchant_id),
            gsi1pk=CONNECTIONS_GSI1PK,
            gsi1sk=connection.merchant_id,
            credentials_ciphertext=Binary(ciphertext),
            credentials_version=int(previous.get("credentials_version", 0)) + 1 if previous else 1,
        )
        hook = {**hook_key(connection.hook_id), "merchant_id": connection.merchant_id}
        with dynamodb_errors("save Shipmondo connection"):
            self._table.put_item(Item=hook)
            self._table.put_item(Item=item)

    def delete(self, connection: ShipmondoConnection) -> None:
        with dynamodb_errors("delete Shipmondo connection"):
            self._table.delete_item(Key=hook_key(connection.hook_id))
            self._table.delete_item(Key=connection_key(connection.merchant_id))

    def list_connections(self) -> list[ShipmondoConnection]:
        return [_connection(item) for item in self._query(CONNECTIONS_GSI1PK)]

    def record_poll(
        self, connection: ShipmondoConnection, result: str, now: datetime, *, watermark: datetime | None = None
    ) -> bool:
        """Note the poll's outcome; advance the watermark only from the value this poll started at. False: another
        poll (or a reconnect) changed it meanwhile, and nothing was written."""
        values: dict[str, Any] = {
            ":result": result,
            ":now": to_jsonable_python(now),
            # As the model stores times (pydantic's JSON form), so the condition compares like with like.
            ":started": to_jsonable_python(connection.poll_watermark),
            ":watermark": to_jsonable_python(watermark or connection.poll_watermark),
        }
        try:
            with dynamodb_errors("record Shipmondo poll"):
                self._table.update_item(
                    Key=connection_key(connection.merchant_id),
                    UpdateExpression="SET last_poll_result = :result, last_poll_at = :now, poll_watermark = :watermark",
                    ConditionExpression="poll_watermark = :started",
                    ExpressionAttributeValues=values,
                )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise
        return True

    def put_backfill(self, backfill: Backfill) -> None:
        running = {"gsi1pk": RUNNING_BACKFILLS_GSI1PK, "gsi1sk": backfill.backfill_id}
        item = to_item(
            backfill,
            **backfill_key(backfill.merchant_id, backfill.backfill_id),
            **(running if backfill.status is BackfillStatus.RUNNING and backfill.stepped_by == "schedule" else {}),
        )
        with dynamodb_errors("save backfill"):
            self._table.put_item(Item=item)

    def get_backfill(self, merchant_id: str, backfill_id: str) -> Backfill | None:
        item = self._get(backfill_key(merchant_id, backfill_id))
        return _backfill(item) if item else None

    def running_backfills(self) -> list[Backfill]:
        return [_backfill(item) for item in self._query(RUNNING_BACKFILLS_GSI1PK)]

    def _query(self, gsi1pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        start: dict[str, Any] = {}
        while True:
            with dynamodb_errors("list Shipmondo items"):
                response = self._table.query(IndexName=_INDEX, KeyConditionExpression=Key("gsi1pk").eq(gsi1pk), **start)
            items += response["Items"]
            if "LastEvaluatedKey" not in response:
                return items
            start = {"ExclusiveStartKey": response["LastEvaluatedKey"]}

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        with dynamodb_errors("get Shipmondo item"):
            return self._table.get_item(Key=key, ConsistentRead=True).get("Item")


def _connection(item: dict[str, Any]) -> ShipmondoConnection:
    fields = ShipmondoConnection.model_fields
    return ShipmondoConnection.model_validate({name: value for name, value in item.items() if name in fields})


def _backfill(item: dict[str, Any]) -> Backfill:
    return Backfill.model_validate({name: value for name, value in item.items() if name in Backfill.model_fields})
