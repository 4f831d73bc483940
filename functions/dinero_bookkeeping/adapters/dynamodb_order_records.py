"""Order→invoice records. The conditional writes here are what make booking exactly-once.

Keys: INTEGRATION#<id>/ORDER#<invoice guid> (the guid is derived from the order key, so it names the record too).
The record's event is kept beside its summary, compressed (`event_gz`), so a 1,500-line order stays far below
DynamoDB's 400 KB item limit; the time-ordered index OrdersByTime (gsi2pk ORDERS#<integration id>, gsi2sk
<created at>#<guid>) projects the summary without the event, so listing orders never reads an event.

Events that belong to no integration are kept under REJECTED_EVENTS#<day>#<shard>, spread over SHARDS partitions a
day so a burst of bad input has no single hot key.

Records and rejected events carry personal data (the event), so they expire through the table's TTL: a record
RETENTION after it was settled (the invoice in Dinero is the bookkeeping record), a rejected event RETENTION after
it arrived. A record the merchant queues again does not expire while it waits.
"""

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from dinero_bookkeeping.adapters.dynamodb_integrations import integration_pk
from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code, old_item, to_item
from dinero_bookkeeping.domain.errors import InvalidRequestError, MalformedEventError
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, RejectedEvent
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Claim, Clock, RecordPage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

ORDERS_INDEX = "OrdersByTime"
REJECTED_SHARDS = 10
# What the compressed event may take of the item's 400 KB; the summary needs a few hundred bytes.
EVENT_LIMIT_BYTES = 350_000
_MAX_CURSOR_LENGTH = 512


def record_key(record: OrderRecord) -> dict[str, str]:
    return _key(record.integration_id, record.invoice_guid)


def _key(integration_id: str, invoice_guid: UUID) -> dict[str, str]:
    return {"pk": integration_pk(integration_id), "sk": f"ORDER#{invoice_guid}"}


def _orders_gsi2pk(integration_id: str) -> str:
    return f"ORDERS#{integration_id}"


def _orders_gsi2sk(record: OrderRecord) -> str:
    return f"{record.created_at.isoformat()}#{record.invoice_guid}"


def rejected_pk(day: date, shard: int) -> str:
    return f"REJECTED_EVENTS#{day.isoformat()}#{shard}"


# The claim is ours while the status is processing and no one else has claimed since (attempts counts claims).
_OWNED = "#status = :processing AND attempts = :attempts"


@dataclass(frozen=True)
class _Cursor:
    """Where a page of the orders list stopped: the last record's index key (the integration is the caller's)."""

    sort_key: str
    invoice_guid: UUID

    def encode(self) -> str:
        raw = json.dumps([self.sort_key, str(self.invoice_guid)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode(cursor: str) -> "_Cursor":
        try:
            if len(cursor) > _MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            sort_key, guid = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if not isinstance(sort_key, str) or not isinstance(guid, str):
                raise ValueError("not a cursor")
            return _Cursor(sort_key, UUID(guid))
        except (ValueError, TypeError, binascii.Error) as error:
            raise InvalidRequestError("cursor: not a cursor of this list (use next_cursor as given)") from error


class DynamoOrderRecords:
    def __init__(self, table: "Table", clock: Clock, retention: timedelta = timedelta(days=90)) -> None:
        self._table = table
        self._clock = clock
        self._retention = retention

    def claim(self, record: OrderRecord, event_json: str, now: datetime) -> Claim:
        item = to_item(
            record,
            **record_key(record),
            gsi2pk=_orders_gsi2pk(record.integration_id),
            gsi2sk=_orders_gsi2sk(record),
            event_gz=Binary(_compressed_event(event_json)),
        )
        try:
            with dynamodb_errors("claim order"):
                self._table.put_item(
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            return Claim(record=record, acquired=True, resumed=False)
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            existing = _record(old_item(error) or self._load(record))
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
            return Claim(record=_record(self._load(existing)), acquired=False, resumed=False)
        return Claim(record=taken, acquired=True, resumed=True, retried=existing.status is OrderStatus.QUEUED)

    def finish(self, record: OrderRecord, status: OrderStatus, **changes: Any) -> OrderRecord:
        now = self._clock.now()
        updates = {"status": status, "lease_until": None, "updated_at": now, **changes}
        finished = record.model_copy(update=updates)
        values = finished.model_dump(mode="json", include=set(updates))
        if status.is_final:
            values["expires_at"] = _epoch_seconds(now + self._retention)
        self._update_owned(record, values, "finish order")
        return finished

    def release(self, record: OrderRecord, reason: str, now: datetime) -> None:
        values = {"lease_until": now.isoformat(), "reason": reason, "updated_at": now.isoformat()}
        self._update_owned(record, values, "release order")

    def reject_event(self, message_id: str, body: str, reason: str, now: datetime) -> None:
        shard = int(hashlib.sha256(message_id.encode()).hexdigest(), 16) % REJECTED_SHARDS
        item: dict[str, Any] = {
            "pk": rejected_pk(now.date(), shard),
            "sk": f"{now.isoformat()}#{message_id}",
            "message_id": message_id,
            "reason": reason,
            # Kept whole so nothing is lost; cut (and said so) only past what an item can hold.
            "body_gz": Binary(_compressed_event(body, cut=True)),
            "received_at": now.isoformat(),
            "expires_at": _epoch_seconds(now + self._retention),
        }
        with dynamodb_errors("reject event"):
            self._table.put_item(Item=item)

    def rejected_events(self, days: list[date]) -> list[RejectedEvent]:
        """Events rejected on the given days, oldest first."""
        items = [
            item
            for day in days
            for shard in range(REJECTED_SHARDS)
            for item in self._query("list rejected events", Key("pk").eq(rejected_pk(day, shard)))
        ]
        events = [
            RejectedEvent(
                message_id=str(item["message_id"]),
                reason=str(item["reason"]),
                received_at=datetime.fromisoformat(str(item["received_at"])),
                body=_decompressed(item["body_gz"]),
            )
            for item in items
        ]
        return sorted(events, key=lambda event: event.received_at)

    def list_page(self, integration_id: str, limit: int, cursor: str | None) -> RecordPage:
        """Newest first, `limit` at a time; `cursor` is a page's next_cursor."""
        options: dict[str, Any] = {}
        if cursor is not None:
            start = _Cursor.decode(cursor)
            options["ExclusiveStartKey"] = {
                **_key(integration_id, start.invoice_guid),
                "gsi2pk": _orders_gsi2pk(integration_id),
                "gsi2sk": start.sort_key,
            }
        # One more than asked: then a full last page is known to be the last, with no empty page after it.
        with dynamodb_errors("list orders"):
            response = self._table.query(
                IndexName=ORDERS_INDEX,
                KeyConditionExpression=Key("gsi2pk").eq(_orders_gsi2pk(integration_id)),
                ScanIndexForward=False,
                Limit=limit + 1,
                **options,
            )
        records = [_record(item) for item in response["Items"]]
        if len(records) <= limit:
            return RecordPage(records=records, next_cursor=None)
        last = records[limit - 1]
        return RecordPage(
            records=records[:limit], next_cursor=_Cursor(_orders_gsi2sk(last), last.invoice_guid).encode()
        )

    def list_records(self, integration_id: str) -> list[OrderRecord]:
        """Every record of the integration, newest first (operator tools and tests; the API pages)."""
        records: list[OrderRecord] = []
        cursor: str | None = None
        while True:
            page = self.list_page(integration_id, 100, cursor)
            records += page.records
            if page.next_cursor is None:
                return records
            cursor = page.next_cursor

    def get_record(self, integration_id: str, invoice_guid: UUID) -> OrderRecord | None:
        item = self._get_item(integration_id, invoice_guid, "get order")
        return _record(item) if item else None

    def get_event(self, record: OrderRecord) -> str | None:
        """The record's event as it arrived; None once it has expired with the record."""
        item = self._get_item(record.integration_id, record.invoice_guid, "get order event")
        return _decompressed(item["event_gz"]) if item and "event_gz" in item else None

    def queue_for_retry(self, record: OrderRecord, now: datetime) -> OrderRecord | None:
        queued = record.model_copy(update={"status": OrderStatus.QUEUED, "reason": None, "updated_at": now})
        changed = self._set_status(record, queued, "queue order for retry")
        return queued if changed else None

    def undo_queue_for_retry(self, queued: OrderRecord, previous: OrderRecord) -> None:
        self._set_status(queued, previous, "undo queue for retry")

    def _set_status(self, current: OrderRecord, new: OrderRecord, operation: str) -> bool:
        """Write new's status, reason and updated_at if the record is still `current` (same status, same attempt).
        A record waiting in the queue never expires; a settled one expires RETENTION after this change."""
        values: dict[str, Any] = {
            ":status": new.status.value,
            ":reason": new.reason,
            ":updated_at": new.updated_at.isoformat(),
            ":current_status": current.status.value,
            ":attempts": current.attempts,
        }
        update = "SET #status = :status, reason = :reason, updated_at = :updated_at REMOVE expires_at"
        if new.status.is_final:
            update = "SET #status = :status, reason = :reason, updated_at = :updated_at, expires_at = :expires_at"
            values[":expires_at"] = _epoch_seconds(new.updated_at + self._retention)
        try:
            with dynamodb_errors(operation):
                self._table.update_item(
                    Key=record_key(current),
                    UpdateExpression=update,
                    ConditionExpression="#status = :current_status AND attempts = :attempts",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=values,
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

    def _query(self, operation: str, condition: Any) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] = {}
        while True:
            with dynamodb_errors(operation):
                response = self._table.query(KeyConditionExpression=condition, **start)
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                return
            start = {"ExclusiveStartKey": response["LastEvaluatedKey"]}

    def _get_item(self, integration_id: str, invoice_guid: UUID, operation: str) -> dict[str, Any] | None:
        with dynamodb_errors(operation):
            return self._table.get_item(Key=_key(integration_id, invoice_guid), ConsistentRead=True).get("Item")

    def _load(self, record: OrderRecord) -> dict[str, Any]:
        item = self._get_item(record.integration_id, record.invoice_guid, "get order")
        assert item is not None, "a record whose claim failed on its existence exists"
        return item


def _record(item: dict[str, Any]) -> OrderRecord:
    return OrderRecord.model_validate({name: value for name, value in item.items() if name in OrderRecord.model_fields})


def _compressed_event(body: str, *, cut: bool = False) -> bytes:
    compressed = zlib.compress(body.encode("utf-8", errors="replace"), level=6)
    if len(compressed) <= EVENT_LIMIT_BYTES:
        return compressed
    if not cut:
        raise MalformedEventError(
            f"The order is too large to keep ({len(compressed)} bytes compressed; at most {EVENT_LIMIT_BYTES})"
        )
    # A rejected event too large even compressed: keep as much of its start as fits, marked as cut.
    ratio = EVENT_LIMIT_BYTES / len(compressed)
    head = body[: int(len(body) * ratio * 0.9)]
    return zlib.compress(f"[cut to fit] {head}".encode("utf-8", errors="replace"), level=9)


def _decompressed(value: Any) -> str:
    return zlib.decompress(bytes(value)).decode("utf-8")


def _claimable(existing: OrderRecord, now: datetime) -> bool:
    if existing.status is OrderStatus.QUEUED:
        return True
    lease_expired = existing.lease_until is None or existing.lease_until <= now
    return existing.status is OrderStatus.PROCESSING and lease_expired


def _epoch_seconds(moment: datetime) -> int:
    """The table's TTL attribute is epoch seconds."""
    return int(moment.timestamp())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
