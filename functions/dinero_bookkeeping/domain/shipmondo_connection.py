"""A merchant's Shipmondo account as connected to us: API credentials (for polling), the webhook key, where its
webhooks reach us, and how far the catch-up poll has read. Backfills of a period are tracked beside it."""

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


def new_hook_id() -> str:
    """The opaque, unguessable path segment of a merchant's webhook URL (never the merchant id)."""
    return secrets.token_urlsafe(24)


def new_webhook_key() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(32))


class ShipmondoCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    api_user: str = Field(min_length=1, max_length=200)
    api_key: SecretStr = Field(min_length=1, max_length=500)
    # HS256 wants a key at least as long as its hash (RFC 7518 §3.2).
    webhook_key: SecretStr = Field(min_length=32, max_length=500)


class ShipmondoConnection(BaseModel):
    """What is stored in the clear. The credentials are stored beside it, encrypted with KMS."""

    model_config = ConfigDict(frozen=True)

    merchant_id: str
    hook_id: str
    account_name: str | None = None
    webhook_ids: list[int] = []
    connected_at: datetime
    updated_at: datetime
    # The catch-up poll has enqueued every handled fulfilment of orders updated before this moment.
    poll_watermark: datetime
    last_poll_at: datetime | None = None
    last_poll_result: str | None = None


class BackfillStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Backfill(BaseModel):
    """Enqueue a period's handled orders (by creation time), a few pages at a time, skipping what is recorded."""

    model_config = ConfigDict(frozen=True)

    backfill_id: str
    merchant_id: str
    created_from: datetime
    created_to: datetime
    status: BackfillStatus = BackfillStatus.RUNNING
    # Who takes its steps: the scheduled poll (API backfills) or the operator's CLI, which paces its own.
    stepped_by: Literal["schedule", "operator"] = "schedule"
    next_page: int = 1
    total_pages: int | None = None
    total_count: int | None = None
    found: int = 0  # fulfilments, payments and cancellations seen in the period
    enqueued: int = 0
    already_recorded: int = 0  # invoiced (or tried) before: skipped
    unlinked: int = 0  # of webshops the merchant has not linked: skipped
    reason: str | None = None
    # Order records the enqueued events will make, as (integration id, invoice guid), to count what got invoiced.
    enqueued_records: list[tuple[str, str]] = []
    created_at: datetime
    updated_at: datetime
