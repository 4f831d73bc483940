"""Shared DynamoDB plumbing: item (de)serialisation and the translation of SDK errors into our error kinds."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from dinero_bookkeeping.domain.errors import RetryableError

_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)
CONDITION_FAILED = "ConditionalCheckFailedException"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def dynamodb_errors(operation: str) -> Iterator[None]:
    """Throttling and service faults heal with time, so they become RetryableError; the rest stay as they are."""
    try:
        yield
    except ClientError as error:
        if error_code(error) in _TRANSIENT_CODES:
            raise RetryableError(f"DynamoDB {operation} failed transiently: {error_code(error)}") from error
        raise
    except BotoCoreError as error:
        raise RetryableError(f"DynamoDB {operation} could not be reached") from error


def to_item(model: BaseModel, **keys: Any) -> dict[str, Any]:
    """JSON mode keeps Decimal exact (as text) and dates as ISO strings; keys are added beside the fields."""
    return {**model.model_dump(mode="json"), **keys}


def old_item(error: ClientError) -> dict[str, Any] | None:
    """The item a failed condition returned (ReturnValuesOnConditionCheckFailure), in plain Python types."""
    raw: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
    if not raw:
        return None
    deserialize: Callable[[Any], Any] = TypeDeserializer().deserialize
    return {name: deserialize(value) for name, value in raw.items()}
