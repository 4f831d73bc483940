"""The application metrics the code emits, one name each: the single list the handlers, the dashboard, the alarms
and docs/metrics.md agree on (tests check all three against it).

Every metric is a count, emitted as CloudWatch embedded metric format in the namespace `METRICS_NAMESPACE` of
observability.py with the one dimension `service` = `SERVICE`. Powertools adds `ColdStart` (dimensions
`function_name`, `service`) on its own.
"""

from enum import StrEnum


class Metric(StrEnum):
    # The order worker: one outcome per SQS record.
    ORDERS_BOOKED = "OrdersBooked"
    ORDERS_DRAFT = "OrdersDraft"
    ORDERS_FAILED = "OrdersFailed"
    ORDERS_SKIPPED = "OrdersSkipped"
    ORDERS_DUPLICATE = "OrdersDuplicate"
    ORDERS_REJECTED = "OrdersRejected"
    ORDERS_RETRIED = "OrdersRetried"
    # After the invoice: payments, credit notes for returns, cancellations.
    PAYMENTS_REGISTERED = "PaymentsRegistered"
    PAYMENTS_SKIPPED = "PaymentsSkipped"
    PAYMENTS_FAILED = "PaymentsFailed"
    CREDIT_NOTES_BOOKED = "CreditNotesBooked"
    CREDIT_NOTES_DRAFT = "CreditNotesDraft"
    CREDIT_NOTES_FAILED = "CreditNotesFailed"
    ORDERS_CANCELLED = "OrdersCancelled"
    # Not a failure: the order waits in SQS for its organization's turn in Dinero's per-minute budget.
    ORDERS_WAITING = "OrdersWaiting"
    # Dinero's answers that make an order come back later.
    DINERO_THROTTLED = "DineroThrottled"
    DINERO_SERVER_ERRORS = "DineroServerErrors"
    DINERO_UNANSWERED = "DineroUnanswered"
    # Visma Connect token sets (refresh tokens are one-time).
    TOKEN_REFRESHED = "TokenRefreshed"
    TOKEN_REFRESH_FAILED = "TokenRefreshFailed"
    CONNECTION_DISCONNECTED = "ConnectionDisconnected"
    # The merchant's journey through the OAuth and configuration API.
    DINERO_CONNECT_STARTED = "DineroConnectStarted"
    DINERO_CALLBACK_COMPLETE = "DineroCallbackComplete"  # consent parked for the merchant's app to complete
    DINERO_CONNECTED = "DineroConnected"
    DINERO_CALLBACK_DENIED = "DineroCallbackDenied"
    DINERO_CALLBACK_ERROR = "DineroCallbackError"
    DINERO_DISCONNECTED = "DineroDisconnected"
    GRANT_REVOCATION_FAILED = "GrantRevocationFailed"
    INTEGRATION_ACTIVATED = "IntegrationActivated"
    INTEGRATION_DEACTIVATED = "IntegrationDeactivated"
    BOOK_AUTOMATICALLY_CHANGED = "BookAutomaticallyChanged"
    TEMPLATE_SAVED = "TemplateSaved"
    OSS_CONFIGURED = "OssConfigured"
    WEBSHOP_LINKED = "WebshopLinked"
    WEBSHOP_UNLINKED = "WebshopUnlinked"
    ORDER_RETRY_REQUESTED = "OrderRetryRequested"
    # Orders from Shipmondo: webhooks, the catch-up poll, backfills.
    SHIPMONDO_CONNECTED = "ShipmondoConnected"
    SHIPMONDO_DISCONNECTED = "ShipmondoDisconnected"
    SHIPMONDO_WEBHOOK_ACCEPTED = "ShipmondoWebhookAccepted"
    SHIPMONDO_WEBHOOK_REJECTED = "ShipmondoWebhookRejected"
    SHIPMONDO_POLL_STALLED = "ShipmondoPollStalled"  # a merchant's watermark stayed (Shipmondo failed, or 429)
    SHIPMONDO_BACKFILL_STARTED = "ShipmondoBackfillStarted"
