"""`dinero-bookkeeping`: operator tools for a running system, local (make run) or deployed (boto3's usual settings).

  dinero-bookkeeping [--stack NAME] send-order FILE
  dinero-bookkeeping [--stack NAME] status INTEGRATION_ID
  dinero-bookkeeping [--stack NAME] failed [--integration INTEGRATION_ID] [--days N]
  dinero-bookkeeping [--stack NAME] retry INTEGRATION_ID ORDER_ID
  dinero-bookkeeping [--stack NAME] redrive-dlq [--max N]
  dinero-bookkeeping [--stack NAME] backfill MERCHANT_ID --from ISO --to ISO [--pause S] [--wait S]

Resources come from the stack's outputs with --stack, else from TABLE_NAME, ORDER_QUEUE_URL,
ORDER_DEAD_LETTER_QUEUE_URL and TOKEN_KEY_ID (which `make run` prints); backfill reads SHIPMONDO_API_URL.
Prints ids, statuses and reasons; never personal data.
"""

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import boto3
from boto3.dynamodb.conditions import Attr
from pydantic import ValidationError

from dinero_bookkeeping.adapters.dynamodb_connections import DynamoConnections
from dinero_bookkeeping.adapters.dynamodb_integrations import DynamoIntegrations
from dinero_bookkeeping.adapters.dynamodb_order_records import DynamoOrderRecords
from dinero_bookkeeping.adapters.kms_token_cipher import KmsTokenCipher
from dinero_bookkeeping.adapters.sqs_queue import SqsOrderQueue
from dinero_bookkeeping.adapters.system_clock import SystemClock
from dinero_bookkeeping.domain.errors import BookkeepingError
from dinero_bookkeeping.domain.order_event import parse_order_event
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.services.order_history import OrderHistoryService
from infra.operator_backfill import backfill_service, run_backfill

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_sqs import SQSClient


@dataclass(frozen=True)
class Resources:
    table_name: str
    queue_url: str
    dead_letter_queue_url: str
    token_key_id: str = ""  # only backfill decrypts (the merchant's Shipmondo credentials)


class Operator:
    def __init__(self, resources: Resources, session: boto3.session.Session) -> None:
        self.resources = resources
        self.table: Table = session.resource("dynamodb").Table(resources.table_name)
        self.sqs: SQSClient = session.client("sqs")
        self.integrations = DynamoIntegrations(self.table)
        self.records = DynamoOrderRecords(self.table, SystemClock())
        # Only the connection's status is read; no token is ever decrypted here.
        self.connections = DynamoConnections(self.table, KmsTokenCipher(session.client("kms"), key_id="unused"))

    def send_order(self, path: Path) -> None:
        body = path.read_text()
        try:
            event = parse_order_event(body)
        except ValidationError as error:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in error.errors(include_input=False))
            raise SystemExit(f"{path} is not an order event (check: {fields})") from error
        message_id = self.sqs.send_message(QueueUrl=self.resources.queue_url, MessageBody=body)["MessageId"]
        print(
            f"sent {event.event_type} of order {event.sales_order.order_id} of webshop {event.order_integration_id}: "
            f"message {message_id}"
        )

    def status(self, integration_id: str) -> None:
        integration = self.integrations.get_integration(integration_id)
        if integration is None:
            raise SystemExit(f"no integration {integration_id}")
        connection = self.connections.get_connection(integration.connection_id)
        incomplete = self.integrations.get_templates(integration_id).incomplete
        counts = Counter(record.status.value for record in self.records.list_records(integration_id))
        print(f"integration {integration_id}: organization {integration.organization_id}")
        print(f"  Dinero Pro: {_yes(integration.is_pro)}; active: {_yes(integration.active)}")
        print(f"  book automatically: {_yes(integration.book_automatically)}")
        reason = f" ({connection.status_reason})" if connection and connection.status_reason else ""
        print(f"  connection: {connection.status.value if connection else 'none'}{reason}")
        print(f"  incomplete templates: {', '.join(kind.label for kind in incomplete) or 'none'}")
        print(f"  orders: {', '.join(f'{status} {count}' for status, count in sorted(counts.items())) or 'none'}")

    def failed(self, integration_id: str | None, days: int) -> None:
        if integration_id:
            records = self.records.list_records(integration_id)
        else:
            records = [OrderRecord.model_validate(item) for item in self._scan_order_records()]
            today = datetime.now(UTC).date()
            for event in self.records.rejected_events([today - timedelta(days=n) for n in reversed(range(days))]):
                print(f"rejected event {event.message_id} at {event.received_at.isoformat()}: {event.reason}")
        failed = [record for record in records if record.status is OrderStatus.FAILED]
        for record in failed:
            print(
                f"integration {record.integration_id} order {record.invoice_guid} "
                f"(order number {record.order_number}): {record.reason}"
            )
        print(f"{len(failed)} failed order(s)")

    def retry(self, integration_id: str, order_id: UUID) -> None:
        integration = self.integrations.get_integration(integration_id)
        if integration is None:
            raise SystemExit(f"no integration {integration_id}")
        service = OrderHistoryService(
            integrations=self.integrations,
            records=self.records,
            queue=SqsOrderQueue(self.sqs, self.resources.queue_url),
            clock=SystemClock(),
        )
        try:
            record = service.retry(integration.merchant_id, integration_id, order_id)
        except BookkeepingError as error:
            raise SystemExit(str(error)) from error
        print(f"order {order_id} queued again (status {record.status.value})")

    def redrive_dead_letters(self, maximum: int) -> None:
        moved = 0
        while moved < maximum:
            messages = self.sqs.receive_message(
                QueueUrl=self.resources.dead_letter_queue_url,
                MaxNumberOfMessages=min(10, maximum - moved),
                WaitTimeSeconds=1,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                # Send before delete: a crash in between leaves a duplicate, which the worker deduplicates. The
                # attributes go along: a retry's names the integration that owns the order.
                self.sqs.send_message(
                    QueueUrl=self.resources.queue_url,
                    MessageBody=message["Body"],
                    MessageAttributes=message.get("MessageAttributes", {}),
                )
                self.sqs.delete_message(
                    QueueUrl=self.resources.dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
                moved += 1
        print(f"moved {moved} message(s) from the dead-letter queue back to the order queue")

    def _scan_order_records(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        options: dict[str, Any] = {}
        while True:
            response = self.table.scan(
                FilterExpression=Attr("sk").begins_with("ORDER#"),
                ProjectionExpression=", ".join(f"#{name}" for name in OrderRecord.model_fields),
                ExpressionAttributeNames={f"#{name}": name for name in OrderRecord.model_fields},
                **options,
            )
            items += response["Items"]
            if "LastEvaluatedKey" not in response:
                return items
            options = {"ExclusiveStartKey": response["LastEvaluatedKey"]}


def _aware_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time with its offset, e.g. 2026-03-01T00:00:00+01:00")
    return moment


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def resources_from(stack: str | None, session: boto3.session.Session) -> Resources:
    if stack:
        stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
        outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
        return Resources(
            outputs["TableName"], outputs["OrderQueueUrl"], outputs["OrderDeadLetterQueueUrl"], outputs["TokenKeyId"]
        )
    names = ("TABLE_NAME", "ORDER_QUEUE_URL", "ORDER_DEAD_LETTER_QUEUE_URL")
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"pass --stack NAME or set {', '.join(missing)}")
    table_name, queue_url, dead_letter_queue_url = (os.environ[name] for name in names)
    return Resources(table_name, queue_url, dead_letter_queue_url, os.environ.get("TOKEN_KEY_ID", ""))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dinero-bookkeeping", description="Operator tools for dinero-bookkeeping.")
    parser.add_argument("--stack", help="a deployed stack's name (else TABLE_NAME etc. from the environment)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("send-order", help="put an order event from a JSON file on the queue").add_argument(
        "file", type=Path
    )
    commands.add_parser("status", help="an integration's status").add_argument("integration_id")
    failed = commands.add_parser("failed", help="failed orders with reasons (and rejected events)")
    failed.add_argument("--integration", dest="integration_id")
    failed.add_argument("--days", type=int, default=7, help="rejected events of the last N days (default 7)")
    retry = commands.add_parser("retry", help="queue a failed or skipped order again")
    retry.add_argument("integration_id")
    retry.add_argument("order_id", type=UUID)
    redrive = commands.add_parser("redrive-dlq", help="move messages from the dead-letter queue back to the queue")
    redrive.add_argument("--max", type=int, default=1000, dest="maximum")
    backfill = commands.add_parser("backfill", help="enqueue a merchant's Shipmondo orders of a period")
    backfill.add_argument("merchant_id")
    backfill.add_argument("--from", dest="created_from", type=_aware_time, required=True, help="ISO time with offset")
    backfill.add_argument("--to", dest="created_to", type=_aware_time, required=True, help="ISO time with offset")
    backfill.add_argument("--pause", type=float, default=2.0, help="seconds between pages of 50 orders (default 2)")
    backfill.add_argument("--wait", type=float, default=0.0, help="seconds to follow invoicing afterwards")
    args = parser.parse_args(argv)

    session = boto3.session.Session()
    operator = Operator(resources_from(args.stack, session), session)
    match args.command:
        case "send-order":
            operator.send_order(args.file)
        case "status":
            operator.status(args.integration_id)
        case "failed":
            operator.failed(args.integration_id, args.days)
        case "retry":
            operator.retry(args.integration_id, args.order_id)
        case "redrive-dlq":
            operator.redrive_dead_letters(args.maximum)
        case "backfill":
            if not operator.resources.token_key_id:
                raise SystemExit(
                    "backfill decrypts the merchant's Shipmondo credentials: set TOKEN_KEY_ID (or --stack)"
                )
            service = backfill_service(
                session, operator.resources.table_name, operator.resources.queue_url, operator.resources.token_key_id
            )
            run_backfill(
                service, args.merchant_id, args.created_from, args.created_to, pause_s=args.pause, wait_s=args.wait
            )


if __name__ == "__main__":
    main(sys.argv[1:])
