"""Consents parked by the OAuth callback: OAUTH_HANDLE#<handle>/PENDING, removed by DynamoDB's TTL once expired.

TTL deletes expired items only eventually (up to days later), so the caller checks `expires_at` itself.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import SecretStr

from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code
from dinero_bookkeeping.domain.pending_connection import PendingConnection

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def handle_key(handle: str) -> dict[str, str]:
    return {"pk": f"OAUTH_HANDLE#{handle}", "sk": "PENDING"}


class DynamoPendingConnections:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def park(self, pending: PendingConnection) -> None:
        item: dict[str, str | int] = {
            **handle_key(pending.handle),
            "merchant_id": pending.merchant_id,
            "code_verifier": pending.code_verifier.get_secret_value(),
            "code": pending.code.get_secret_value(),
            # The table's TTL attribute: epoch seconds, as DynamoDB's TTL requires.
            "expires_at": int(pending.expires_at.timestamp()),
        }
        with dynamodb_errors("park pending connection"):
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def consume(self, handle: str) -> PendingConnection | None:
        """Delete-and-return in one conditional call, so two completions racing with one handle cannot both win."""
        try:
            with dynamodb_errors("consume pending connection"):
                response = self._table.delete_item(
                    Key=handle_key(handle), ConditionExpression="attribute_exists(pk)", ReturnValues="ALL_OLD"
                )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return None
            raise
        item = response["Attributes"]
        return PendingConnection(
            handle=handle,
            merchant_id=str(item["merchant_id"]),
            code_verifier=SecretStr(str(item["code_verifier"])),
            code=SecretStr(str(item["code"])),
            expires_at=datetime.fromtimestamp(int(str(item["expires_at"])), UTC),
        )
