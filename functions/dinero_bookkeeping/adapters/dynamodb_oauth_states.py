"""OAuth states of "Connect Dinero" attempts: OAUTH_STATE#<state>/STATE, removed by DynamoDB's TTL once expired.

TTL deletes expired items only eventually (up to days later), so the caller checks `expires_at` itself.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import SecretStr

from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code
from dinero_bookkeeping.domain.oauth_state import OAuthState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def state_key(state: str) -> dict[str, str]:
    return {"pk": f"OAUTH_STATE#{state}", "sk": "STATE"}


class DynamoOAuthStates:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def put_state(self, state: OAuthState) -> None:
        item: dict[str, str | int] = {
            **state_key(state.state),
            "merchant_id": state.merchant_id,
            "code_verifier": state.code_verifier.get_secret_value(),
            # The table's TTL attribute: epoch seconds, as DynamoDB's TTL requires.
            "expires_at": int(state.expires_at.timestamp()),
        }
        with dynamodb_errors("put oauth state"):
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def consume_state(self, state: str) -> OAuthState | None:
        """Delete-and-return in one conditional call, so two callbacks racing with one state cannot both win."""
        try:
            with dynamodb_errors("consume oauth state"):
                response = self._table.delete_item(
                    Key=state_key(state), ConditionExpression="attribute_exists(pk)", ReturnValues="ALL_OLD"
                )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return None
            raise
        item = response["Attributes"]
        return OAuthState(
            state=state,
            merchant_id=str(item["merchant_id"]),
            code_verifier=SecretStr(str(item["code_verifier"])),
            expires_at=datetime.fromtimestamp(int(str(item["expires_at"])), UTC),
        )
