"""Use case: a Shipmondo webhook delivery becomes order events on the queue, within Shipmondo's 3 seconds.

The path's opaque hook id names the merchant; the message must be signed with that merchant's webhook key. Nothing
slow happens here: one read of the hook, one of the (cached) credentials, the mapping, one queue write per event.
Anything unusable is answered 4xx and kept as a rejected event with the reason and the SMD-* headers; the catch-up
poll brings whatever a failed delivery carried.
"""

import json
from dataclasses import dataclass
from http import HTTPStatus

from dinero_bookkeeping.domain.shipmondo_orders import ACTION_MAPPERS, NotASalesOrderError, queue_message
from dinero_bookkeeping.domain.shipmondo_webhook import (
    WebhookAuthenticationError,
    WebhookPayloadError,
    smd_headers,
    verify_message,
)
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Clock, EventRejecter, OrderQueue, ShipmondoStore

ORDERS_RESOURCE = "Orders"


@dataclass(frozen=True)
class IngestOutcome:
    status: HTTPStatus
    message: str
    enqueued: int = 0


@dataclass
class IngestShipmondoService:
    store: ShipmondoStore
    queue: OrderQueue
    rejected: EventRejecter
    clock: Clock

    def receive(self, hook_id: str, body: str, headers: dict[str, str], delivery_id: str) -> IngestOutcome:
        merchant_id = self.store.hook_owner(hook_id) if hook_id else None
        credentials = self.store.load_credentials(merchant_id) if merchant_id else None
        if merchant_id is None or credentials is None:
            return self._reject(
                delivery_id, body, headers, HTTPStatus.NOT_FOUND, "No Shipmondo connection has this URL"
            )
        logger.append_keys(merchant_id=merchant_id)
        now = self.clock.now()
        try:
            message = verify_message(body, credentials.webhook_key.get_secret_value(), headers, now)
        except WebhookAuthenticationError as error:
            return self._reject(delivery_id, body, headers, HTTPStatus.UNAUTHORIZED, str(error))
        except WebhookPayloadError as error:
            return self._reject(delivery_id, body, headers, HTTPStatus.BAD_REQUEST, str(error))
        mapper = ACTION_MAPPERS.get(message.action)
        if message.resource_type not in ("", ORDERS_RESOURCE) or mapper is None:
            logger.info("webhook acknowledged, nothing to enqueue", action=message.action[:50])
            return IngestOutcome(HTTPStatus.OK, f"Nothing to do for {message.resource_type} {message.action}")
        try:
            messages = [queue_message(event) for event in mapper(merchant_id, message.resource, now)]
        except NotASalesOrderError as error:
            return self._reject(delivery_id, body, headers, HTTPStatus.UNPROCESSABLE_ENTITY, str(error))
        for queued in messages:
            self.queue.send(queued)
        # Shipmondo's ids for the record (SMD-User is left out: it may name a person).
        logger.info(
            "webhook enqueued",
            events=len(messages),
            action=message.action,
            webhook_id=message.headers.get("smd-webhook-id"),
            resource_id=message.headers.get("smd-resource-id"),
        )
        return IngestOutcome(HTTPStatus.OK, f"Enqueued {len(messages)} events", enqueued=len(messages))

    def _reject(
        self, delivery_id: str, body: str, headers: dict[str, str], status: HTTPStatus, reason: str
    ) -> IngestOutcome:
        kept = json.dumps({"source": "shipmondo-webhook", "headers": smd_headers(headers), "body": body})
        self.rejected.reject_event(delivery_id, kept, f"Shipmondo webhook: {reason}", self.clock.now())
        logger.warning("webhook rejected", status=int(status), reason=reason)
        return IngestOutcome(status, reason)
