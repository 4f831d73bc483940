"""`dinero-bookkeeping backfill`: the operator backfills a merchant's Shipmondo orders of a period, a page at a time
with a pause between pages (a bounded pace), showing a progress bar of pages read and the counts: found, enqueued,
already invoiced, unlinked, and (while `--wait` lasts) how many of the enqueued are invoiced by now."""

import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

import boto3
import requests

from dinero_bookkeeping.adapters.dynamodb_integrations import DynamoIntegrations
from dinero_bookkeeping.adapters.dynamodb_order_records import DynamoOrderRecords
from dinero_bookkeeping.adapters.dynamodb_payment_templates import DynamoPaymentTemplates
from dinero_bookkeeping.adapters.dynamodb_shipmondo import DynamoShipmondo
from dinero_bookkeeping.adapters.kms_credentials_cipher import KmsCredentialsCipher
from dinero_bookkeeping.adapters.shipmondo_client import ShipmondoHttp
from dinero_bookkeeping.adapters.sqs_queue import SqsOrderQueue
from dinero_bookkeeping.adapters.system_clock import SystemClock
from dinero_bookkeeping.domain.errors import BookkeepingError
from dinero_bookkeeping.domain.shipmondo_connection import Backfill, BackfillStatus
from dinero_bookkeeping.services.backfill_shipmondo import BackfillShipmondoService
from dinero_bookkeeping.services.shipmondo_feed import ShipmondoOrderFeed

BAR_WIDTH = 30
DEFAULT_SHIPMONDO_URL = "https://app.shipmondo.com/api/public/v3"


def progress_line(backfill: Backfill, invoiced: int | None) -> str:
    total = backfill.total_pages or 0
    read = backfill.next_page - 1
    filled = BAR_WIDTH if total == 0 else min(BAR_WIDTH, BAR_WIDTH * read // total)
    counts = (
        f"found {backfill.found}  enqueued {backfill.enqueued}  already invoiced {backfill.already_recorded}  "
        f"unlinked {backfill.unlinked}"
    )
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] page {read}/{total or '?'}  {counts}" + (
        f"  invoiced {invoiced}" if invoiced is not None else ""
    )


def backfill_service(
    session: boto3.session.Session, table_name: str, queue_url: str, token_key_id: str
) -> BackfillShipmondoService:
    table = session.resource("dynamodb").Table(table_name)
    clock = SystemClock()
    records = DynamoOrderRecords(table, clock)
    http = ShipmondoHttp(
        requests.Session(),
        os.environ.get("SHIPMONDO_API_URL", DEFAULT_SHIPMONDO_URL),
        timeout=10.0,
        min_interval=float(os.environ.get("SHIPMONDO_MIN_REQUEST_INTERVAL_SECONDS", "0.5")),
    )
    feed = ShipmondoOrderFeed(
        integrations=DynamoIntegrations(table),
        records=records,
        queue=SqsOrderQueue(session.client("sqs"), queue_url),
        payment_templates=DynamoPaymentTemplates(table),
    )
    store = DynamoShipmondo(table, KmsCredentialsCipher(session.client("kms"), token_key_id))
    # One page a step: the operator's pause between steps is the pace.
    return BackfillShipmondoService(
        store=store, shipmondo=http, feed=feed, records=records, clock=clock, pages_per_step=1
    )


def run_backfill(
    service: BackfillShipmondoService,
    merchant_id: str,
    created_from: datetime,
    created_to: datetime,
    *,
    pause_s: float,
    wait_s: float,
    out: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Backfill:
    out = out or sys.stdout  # looked up now, not at import: the console may have been swapped since
    try:
        backfill = service.start(merchant_id, created_from, created_to, stepped_by="operator")
    except BookkeepingError as error:
        raise SystemExit(str(error)) from error
    out.write(f"backfill {backfill.backfill_id} of merchant {merchant_id}\n")
    while backfill.status is BackfillStatus.RUNNING:
        backfill = service.step(backfill)
        out.write("\r" + progress_line(backfill, None))
        out.flush()
        if backfill.reason and backfill.status is BackfillStatus.RUNNING:
            sleep(max(pause_s, 5.0))  # Shipmondo faltered: the same page is read again after a longer pause
        elif backfill.status is BackfillStatus.RUNNING:
            sleep(pause_s)
    deadline = time.monotonic() + wait_s
    invoiced = service.progress(merchant_id, backfill.backfill_id).invoiced
    out.write("\r" + progress_line(backfill, invoiced))
    while invoiced < backfill.enqueued and time.monotonic() < deadline:
        sleep(2.0)
        invoiced = service.progress(merchant_id, backfill.backfill_id).invoiced
        out.write("\r" + progress_line(backfill, invoiced))
        out.flush()
    reason = f": {backfill.reason}" if backfill.reason else ""
    out.write(f"\n{backfill.status.value}{reason}\n")
    return backfill
