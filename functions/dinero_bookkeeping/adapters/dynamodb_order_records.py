"""Order→invoice records. The conditional writes here are what make booking exactly-once.

Keys: INTEGRATION#<id>/ORDER#<invoice guid> (the guid is derived from the order key, so it names the record too),
and REJECTED_EVENTS/<received at>#<message id> for events that belong to no integration.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dinero_bookkeeping.adapters.dynamodb_integrations import integration_pk
from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code, old_item, to_item
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Claim, Clock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def record_key(record: OrderRecord) -> dict[str, str]:
    return {"pk": integration_pk(record.integration_id), "sk": f"ORDER#{record.invoice_guid}"}


# The claim is ours while the status is processing and no one else has claimed since (attempts counts claims).
_OWNED = "#status = :processing AND attempts = :attempts"


class DynamoOrderRecords:
    def __init__(self, table: "Table", clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def claim(self, record: OrderRecord, now: datetime) -> Claim:
        try:
            with dynamodb_errors("claim order"):
                self._table.put_item(
                    Item=to_item(record, **record_key(record)),
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            return Claim(record=record, acquired=True, resumed=False)
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            existing = OrderRecord.model_validate(old_item(error) or self._load(record))
        if not _claimable(existing, now):
            return Claim(record=existing, acquired=False, resumed=False)
        return self._take_over(existing, record, now)

    def _take_over(self, existing: OrderRecord, fresh: OrderRecord, now: datetime) -> Claim:
        taken = existing.model_copy(
            update={
                "status": OrderStatus.PROCESSING,
                "attempts": existing.attempts + 1,
                "lease_until": fresh.lease_until,
                "updated_at": now,
            }
        )
        try:
            with dynamodb_errors("take over order"):
                self._table.update_item(
                    Key=record_key(existing),
                    UpdateExpression="SET #status = :processing, attempts = :next, lease_until = :lease, "
                    "updated_at = :now",
                    ConditionExpression="#status = :old_status AND attempts = :attempts",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":processing": OrderStatus.PROCESSING.value,
                        ":next": taken.attempts,
                        ":lease": _iso(fresh.lease_until),
                        ":now": now.isoformat(),
                        ":old_status": existing.status.value,
                        ":attempts": existing.attempts,
                    },
                )
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            return Claim(record=OrderRecord.model_validate(self._load(existing)), acquired=False, resumed=False)
        return Claim(record=taken, acquired=True, resumed=True, retried=existing.status is OrderStatus.QUEUED)

    def finish(self, record: OrderRecord, status: OrderStatus, **changes: Any) -> OrderRecord:
        updates = {"status": status, "lease_until": None, "updated_at": self._clock.now(), **changes}
        finished = record.model_copy(update=updates)
        values = finished.model_dump(mode="json", include=set(updates))
        self._update_owned(record, values, "finish order")
        return finished

    def release(self, record: OrderRecord, reason: str, now: datetime) -> None:
        values = {"lease_until": now.isoformat(), "reason": reason, "updated_at": now.isoformat()}
        self._update_owned(record, values, "release order")

    def reject_event(self, message_id: str, body: str, reason: str, now: datetime) -> None:
        item = {
            "pk": "REJECTED_EVENTS",
            "sk": f"{now.isoformat()}#{message_id}",
            "message_id": message_id,
            "reason": reason,
            "body": body,
            "received_at": now.isoformat(),
        }
        with dynamodb_errors("reject event"):
            self._table.put_item(Item=item)

    def list_records(self, integration_id: str) -> list[OrderRecord]:
        condition = Key("pk").eq(integration_pk(integration_id)) & Key("sk").begins_with("ORDER#")
        records: list[OrderRecord] = []
        start: dict[str, Any] = {}
        while True:
            with dynamodb_errors("list orders"):
                response = self._table.query(KeyConditionExpression=condition, ConsistentRead=True, **start)
            records += [OrderRecord.model_validate(item) for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return records
            start = {"ExclusiveStartKey": response["LastEvaluatedKey"]}

    def get_record(self, integration_id: str, invoice_guid: UUID) -> OrderRecord | None:
        key = {"pk": integration_pk(integration_id), "sk": f"ORDER#{invoice_guid}"}
        with dynamodb_errors("get order"):
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return OrderRecord.model_validate(item) if item else None

    def queue_for_retry(self, record: OrderRecord, now: datetime) -> OrderRecord | None:
        queued = record.model_copy(update={"status": OrderStatus.QUEUED, "reason": None, "updated_at": now})
        changed = self._set_status(record, queued, "queue order for retry")
        return queued if changed else None

    def undo_queue_for_retry(self, queued: OrderRecord, previous: OrderRecord) -> None:
        self._set_status(queued, previous, "undo queue for retry")

    def _set_status(self, current: OrderRecord, new: OrderRecord, operation: str) -> bool:
        """Write new's status, reason and updated_at if the record is still `current` (same status, same attempt)."""
        try:
            with dynamodb_errors(operation):
                self._table.update_item(
                    Key=record_key(current),
                    UpdateExpression="SET #status = :status, reason = :reason, updated_at = :updated_at",
                    ConditionExpression="#status = :current_status AND attempts = :attempts",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":status": new.status.value,
                        ":reason": new.reason,
                        ":updated_at": new.updated_at.isoformat(),
                        ":current_status": current.status.value,
                        ":attempts": current.attempts,
                    },
                )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise
        return True

    def _update_owned(self, record: OrderRecord, values: dict[str, Any], operation: str) -> None:
        names = {f"#{name}": name for name in values}
        names["#status"] = "status"
        expression_values = {f":{name}": value for name, value in values.items()}
        expression_values |= {":processing": OrderStatus.PROCESSING.value, ":attempts": record.attempts}
        assignments = ", ".join(f"#{name} = :{name}" for name in values)
        try:
            with dynamodb_errors(operation):
                self._table.update_item(
                    Key=record_key(record),
                    UpdateExpression=f"SET {assignments}",
                    ConditionExpression=_OWNED,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=expression_values,
                )
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            # Another worker took the order over after our lease ran out; it will reconcile with Dinero itself.
            logger.warning("order lease lost before writing the outcome", operation=operation)

    def _load(self, record: OrderRecord) -> dict[str, Any]:
        with dynamodb_errors("get order"):
            return self._table.get_item(Key=record_key(record), ConsistentRead=True)["Item"]


def _claimable(existing: OrderRecord, now: datetime) -> bool:
    if existing.status is OrderStatus.QUEUED:
        return True
    lease_expired = existing.lease_until is None or existing.lease_until <= now
    return existing.status is OrderStatus.PROCESSING and lease_expired


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
