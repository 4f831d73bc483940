"""In-memory fakes of the Shipmondo ports (kept apart from fakes.py so branches touching that file merge easily)."""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from dinero_bookkeeping import wiring
from dinero_bookkeeping.domain.errors import InvalidRequestError
from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.domain.shipmondo_connection import (
    Backfill,
    BackfillStatus,
    ShipmondoConnection,
    ShipmondoCredentials,
)
from dinero_bookkeeping.ports import Clock, IntegrationRepository, OrderQueue, SalesOrderPage
from dinero_bookkeeping.services.backfill_shipmondo import BackfillShipmondoService
from dinero_bookkeeping.services.connect_shipmondo import ConnectShipmondoService
from dinero_bookkeeping.services.ingest_shipmondo import IngestShipmondoService
from dinero_bookkeeping.services.shipmondo_feed import ShipmondoOrderFeed
from support.fakes import InMemoryOrderHistory, InMemoryPaymentTemplates


@dataclass
class InMemoryShipmondoStore:
    connections: dict[str, ShipmondoConnection] = field(default_factory=dict)
    credentials: dict[str, ShipmondoCredentials] = field(default_factory=dict)
    backfills: dict[str, Backfill] = field(default_factory=dict)

    def get_connection(self, merchant_id: str) -> ShipmondoConnection | None:
        return self.connections.get(merchant_id)

    def load_credentials(self, merchant_id: str) -> ShipmondoCredentials | None:
        return self.credentials.get(merchant_id)

    def hook_owner(self, hook_id: str) -> str | None:
        return next((c.merchant_id for c in self.connections.values() if c.hook_id == hook_id), None)

    def save(self, connection: ShipmondoConnection, credentials: ShipmondoCredentials) -> None:
        self.connections[connection.merchant_id] = connection
        self.credentials[connection.merchant_id] = credentials

    def delete(self, connection: ShipmondoConnection) -> None:
        self.connections.pop(connection.merchant_id, None)
        self.credentials.pop(connection.merchant_id, None)

    def list_connections(self) -> list[ShipmondoConnection]:
        return list(self.connections.values())

    def record_poll(
        self, connection: ShipmondoConnection, result: str, now: datetime, *, watermark: datetime | None = None
    ) -> bool:
        current = self.connections[connection.merchant_id]
        if current.poll_watermark != connection.poll_watermark:
            return False
        self.connections[connection.merchant_id] = current.model_copy(
            update={
                "last_poll_result": result,
                "last_poll_at": now,
                "poll_watermark": watermark or current.poll_watermark,
            }
        )
        return True

    def put_backfill(self, backfill: Backfill) -> None:
        self.backfills[backfill.backfill_id] = backfill

    def get_backfill(self, merchant_id: str, backfill_id: str) -> Backfill | None:
        backfill = self.backfills.get(backfill_id)
        return backfill if backfill and backfill.merchant_id == merchant_id else None

    def running_backfills(self) -> list[Backfill]:
        return [b for b in self.backfills.values() if b.status is BackfillStatus.RUNNING and b.stepped_by == "schedule"]


@dataclass
class FakeShipmondoAccount:
    """One Shipmondo account: orders filtered by updated_at/created_at and paged like the real API."""

    api_key: str = "key"
    name: str = "Nordlys Design ApS"
    orders: list[dict[str, Any]] = field(default_factory=list)
    hooks: dict[int, dict[str, Any]] = field(default_factory=dict)  # with their keys
    per_page: int = 50
    requests: list[tuple[str, int]] = field(default_factory=list)  # (filters as text, page)
    # Called before a page is answered; may raise (a 500) or change the orders (an update while paging).
    before_page: Callable[[int], None] | None = None
    _next_webhook: int = 1

    def account_name(self) -> str:
        return self.name

    def sales_orders(self, filters: dict[str, str], page: int) -> SalesOrderPage:
        self.requests.append((str(sorted(filters.items())), page))
        if self.before_page is not None:
            self.before_page(page)
        matching = [order for order in self.orders if _matches(order, filters)]
        total_pages = max(1, -(-len(matching) // self.per_page))
        chunk = matching[(page - 1) * self.per_page : page * self.per_page]
        return SalesOrderPage(copy.deepcopy(chunk), page, total_pages, len(matching))

    def webhooks(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in hook.items() if k != "key"} for hook in self.hooks.values()]

    def create_webhook(self, body: dict[str, str]) -> int:
        webhook_id = self._next_webhook
        self._next_webhook += 1
        self.hooks[webhook_id] = {**body, "id": webhook_id, "active": True}
        return webhook_id

    def delete_webhook(self, webhook_id: int) -> None:
        self.hooks.pop(webhook_id, None)


def _matches(order: dict[str, Any], filters: dict[str, str]) -> bool:
    for name, bound in filters.items():
        field_name, _, side = name.rpartition("_")
        value = datetime.fromisoformat(order[field_name])
        limit = datetime.fromisoformat(bound)
        if (side == "min" and value < limit) or (side == "max" and value > limit):
            return False
    return True


@dataclass
class FakeShipmondo:
    accounts: dict[str, FakeShipmondoAccount] = field(default_factory=dict)

    def for_account(self, credentials: ShipmondoCredentials) -> FakeShipmondoAccount:
        account = self.accounts.get(credentials.api_user)
        if account is None or account.api_key != credentials.api_key.get_secret_value():
            raise InvalidRequestError("Shipmondo refused the API user and key")
        return account


@dataclass
class InMemoryRecordStatuses:
    history: InMemoryOrderHistory

    def statuses(self, keys: list[tuple[str, UUID]]) -> dict[UUID, OrderStatus]:
        found = {guid: self.history.get_record(integration_id, guid) for integration_id, guid in keys}
        return {guid: record.status for guid, record in found.items() if record is not None}


class ShipmondoWorld:
    """The Shipmondo use cases on in-memory fakes sharing a MerchantWorld's stores, for the handlers' unit tests."""

    def __init__(
        self, integrations: IntegrationRepository, records: InMemoryOrderHistory, queue: OrderQueue, clock: Clock
    ) -> None:
        self.store = InMemoryShipmondoStore()
        self.shipmondo = FakeShipmondo({"user": FakeShipmondoAccount(api_key="key")})
        feed = ShipmondoOrderFeed(integrations, records, queue, InMemoryPaymentTemplates())
        self.connect = ConnectShipmondoService(
            self.store, self.shipmondo, clock, "https://api.example/shipmondo/webhooks"
        )
        self.backfill = BackfillShipmondoService(
            self.store, self.shipmondo, feed, InMemoryRecordStatuses(records), clock
        )
        self.ingest = IngestShipmondoService(self.store, queue, records, clock)

    def overrides(self) -> dict[Callable[..., Any], Callable[..., Any]]:
        return {
            wiring.connect_shipmondo_service: lambda: self.connect,
            wiring.backfill_shipmondo_service: lambda: self.backfill,
            wiring.ingest_shipmondo_service: lambda: self.ingest,
        }
