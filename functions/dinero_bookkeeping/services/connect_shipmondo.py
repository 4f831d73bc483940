"""Use cases: connect a merchant's Shipmondo account (API user and key, webhook key), replace or remove it, and
offer the merchant's own webshops for linking.

Saving checks the credentials with a cheap call (GET /account), stores them encrypted, and registers our webhooks in
Shipmondo for the merchant: one per action, at a URL carrying the merchant's opaque hook id, idempotently (a webhook
already there for that URL and action, with the same key, is kept; with another key it is replaced). Disconnecting
removes them in Shipmondo before forgetting the credentials.
"""

from dataclasses import dataclass
from datetime import timedelta

from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import BookkeepingError, NotFoundError
from dinero_bookkeeping.domain.shipmondo_connection import (
    ShipmondoConnection,
    ShipmondoCredentials,
    new_hook_id,
    new_webhook_key,
)
from dinero_bookkeeping.domain.shipmondo_orders import webshop_of
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Clock, ShipmondoAccountApi, ShipmondoGateway, ShipmondoStore

RESOURCE = "Orders"
# The Orders actions of Shipmondo's WebhookCreate. (payment_refunded is sent by Shipmondo but absent from that enum.)
WEBHOOK_ACTIONS = ("create_fulfillment", "create_shipment", "status_update", "payment_captured")
WEBSHOP_LOOKBACK = timedelta(days=90)
WEBSHOP_PAGES = 4


@dataclass(frozen=True)
class Disconnected:
    webhooks_removed: int
    webhooks_left: int  # Shipmondo refused or was down: the merchant removes them in Shipmondo (Settings > Webhooks)


@dataclass
class ConnectShipmondoService:
    store: ShipmondoStore
    shipmondo: ShipmondoGateway
    clock: Clock
    webhook_base_url: str  # .../shipmondo/webhooks

    def connect(
        self, merchant_id: str, api_user: str, api_key: SecretStr, webhook_key: SecretStr | None
    ) -> ShipmondoConnection:
        existing = self.store.get_connection(merchant_id)
        old_credentials = self.store.load_credentials(merchant_id) if existing else None
        credentials = ShipmondoCredentials(
            api_user=api_user,
            api_key=api_key,
            webhook_key=webhook_key or (old_credentials.webhook_key if old_credentials else new_webhook_key()),
        )
        api = self.shipmondo.for_account(credentials)
        account_name = api.account_name()  # InvalidRequestError (422) when Shipmondo refuses them
        now = self.clock.now()
        if existing and old_credentials and old_credentials.api_user != api_user:
            # Another Shipmondo account: our webhooks in the old one would deliver to the new connection's URL.
            self._remove_webhooks(self.shipmondo.for_account(old_credentials), existing)
        connection = ShipmondoConnection(
            merchant_id=merchant_id,
            hook_id=existing.hook_id if existing else new_hook_id(),
            account_name=account_name or None,
            webhook_ids=existing.webhook_ids if existing else [],
            connected_at=existing.connected_at if existing else now,
            updated_at=now,
            # A first connection polls from now on; the past is for a backfill.
            poll_watermark=existing.poll_watermark if existing else now,
            last_poll_at=existing.last_poll_at if existing else None,
            last_poll_result=existing.last_poll_result if existing else None,
        )
        # Stored before the webhooks exist, so the first delivery finds its merchant and key.
        self.store.save(connection, credentials)
        key_changed = old_credentials is None or old_credentials.webhook_key != credentials.webhook_key
        webhook_ids = self._register_webhooks(api, self.webhook_url(connection), credentials, replace=key_changed)
        connection = connection.model_copy(update={"webhook_ids": webhook_ids})
        self.store.save(connection, credentials)
        logger.info("Shipmondo connected", merchant_id=merchant_id, webhooks=len(webhook_ids))
        return connection

    def get(self, merchant_id: str) -> ShipmondoConnection:
        connection = self.store.get_connection(merchant_id)
        if connection is None:
            raise NotFoundError("Shipmondo is not connected")
        return connection

    def disconnect(self, merchant_id: str) -> Disconnected:
        connection = self.get(merchant_id)
        credentials = self.store.load_credentials(merchant_id)
        removed, left = 0, len(connection.webhook_ids)
        if credentials is not None:
            removed, left = self._remove_webhooks(self.shipmondo.for_account(credentials), connection)
        self.store.delete(connection)
        logger.info("Shipmondo disconnected", merchant_id=merchant_id, webhooks_removed=removed, webhooks_left=left)
        return Disconnected(webhooks_removed=removed, webhooks_left=left)

    def webshops(self, merchant_id: str) -> list[str]:
        """The order sources of the merchant's recent sales orders in Shipmondo (its API lists no webshops)."""
        self.get(merchant_id)
        credentials = self.store.load_credentials(merchant_id)
        if credentials is None:
            raise NotFoundError("Shipmondo is not connected")
        api = self.shipmondo.for_account(credentials)
        filters = {"created_at_min": (self.clock.now() - WEBSHOP_LOOKBACK).isoformat()}
        found: set[str] = set()
        page, total_pages = 1, 1
        while page <= min(total_pages, WEBSHOP_PAGES):
            result = api.sales_orders(filters, page)
            found |= {webshop_of(order) for order in result.orders}
            total_pages, page = result.total_pages, page + 1
        return sorted(found)

    def webhook_url(self, connection: ShipmondoConnection) -> str:
        return f"{self.webhook_base_url}/{connection.hook_id}"

    def _register_webhooks(
        self, api: ShipmondoAccountApi, url: str, credentials: ShipmondoCredentials, *, replace: bool
    ) -> list[int]:
        ours = [hook for hook in api.webhooks() if hook.get("endpoint") == url]
        kept: dict[str, int] = {}
        for hook in ours:
            action = str(hook.get("action"))
            if replace or action not in WEBHOOK_ACTIONS or action in kept or hook.get("resource_name") != RESOURCE:
                api.delete_webhook(int(hook["id"]))
            else:
                kept[action] = int(hook["id"])
        for action in WEBHOOK_ACTIONS:
            if action not in kept:
                kept[action] = api.create_webhook(
                    {
                        "name": f"Dinero bookkeeping: {action}",
                        "endpoint": url,
                        "key": credentials.webhook_key.get_secret_value(),
                        "action": action,
                        "resource_name": RESOURCE,
                    }
                )
        return [kept[action] for action in WEBHOOK_ACTIONS]

    def _remove_webhooks(self, api: ShipmondoAccountApi, connection: ShipmondoConnection) -> tuple[int, int]:
        url = self.webhook_url(connection)
        try:
            ids = {int(hook["id"]) for hook in api.webhooks() if hook.get("endpoint") == url}
            ids |= set(connection.webhook_ids)
            for webhook_id in sorted(ids):
                api.delete_webhook(webhook_id)
        except BookkeepingError as error:
            logger.warning("Shipmondo webhooks not removed", merchant_id=connection.merchant_id, reason=str(error))
            return 0, len(connection.webhook_ids)
        return len(ids), 0
