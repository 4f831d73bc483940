"""Request and response bodies of the Shipmondo routes of the configuration API. Secrets go in, never out."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from dinero_bookkeeping.domain.shipmondo_connection import Backfill, BackfillStatus, ShipmondoConnection


class ShipmondoConnectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_user: str = Field(min_length=1, max_length=200, description="Shipmondo API user (Settings > API).")
    api_key: SecretStr = Field(min_length=1, max_length=500, description="Shipmondo API key. Stored encrypted.")
    webhook_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        max_length=500,
        description="Key Shipmondo signs webhooks with (32+ characters). Stored encrypted; omitted: the current one, "
        "or a new random one.",
    )


class ShipmondoConnectionResponse(BaseModel):
    connected: Literal[True] = True
    account_name: str | None
    webhooks: int = Field(description="Our webhooks registered in the Shipmondo account.")
    connected_at: datetime
    poll_watermark: datetime = Field(description="Orders updated before this moment have been read by the poll.")
    last_poll_at: datetime | None
    last_poll_result: str | None

    @staticmethod
    def from_connection(connection: ShipmondoConnection) -> "ShipmondoConnectionResponse":
        return ShipmondoConnectionResponse(
            account_name=connection.account_name,
            webhooks=len(connection.webhook_ids),
            connected_at=connection.connected_at,
            poll_watermark=connection.poll_watermark,
            last_poll_at=connection.last_poll_at,
            last_poll_result=connection.last_poll_result,
        )


class ShipmondoDisconnectResponse(BaseModel):
    result: Literal["disconnected"] = "disconnected"
    webhooks_removed: int
    webhooks_left: int = Field(description="Webhooks Shipmondo did not let us remove: remove them in Shipmondo.")


class WebshopResponse(BaseModel):
    order_integration_id: str = Field(description="Link this id to an integration to book its orders.")


class BackfillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    created_from: AwareDatetime = Field(alias="from", description="Orders created from this moment...")
    created_to: AwareDatetime = Field(alias="to", description="...until this one (at most 92 days later).")


class BackfillResponse(BaseModel):
    backfill_id: str
    status: BackfillStatus
    created_from: datetime
    created_to: datetime
    found: int = Field(description="Handled fulfilments found in the period so far.")
    enqueued: int
    already_invoiced: int = Field(description="Skipped: already recorded (invoiced or tried) before.")
    unlinked: int = Field(description="Skipped: of a webshop not linked to an integration.")
    invoiced: int = Field(description="Of the enqueued, how many are invoices now (booked or draft).")
    pages_read: int
    total_pages: int | None
    reason: str | None

    @staticmethod
    def from_backfill(backfill: Backfill, invoiced: int) -> "BackfillResponse":
        return BackfillResponse(
            backfill_id=backfill.backfill_id,
            status=backfill.status,
            created_from=backfill.created_from,
            created_to=backfill.created_to,
            found=backfill.found,
            enqueued=backfill.enqueued,
            already_invoiced=backfill.already_recorded,
            unlinked=backfill.unlinked,
            invoiced=invoiced,
            pages_read=backfill.next_page - 1,
            total_pages=backfill.total_pages,
            reason=backfill.reason,
        )
