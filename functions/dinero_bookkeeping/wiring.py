"""The composition root: builds real adapters from settings. Handlers call it once per cold start."""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

import boto3
import requests
from aws_lambda_powertools.utilities import parameters
from pydantic import SecretStr

from dinero_bookkeeping.adapters.config_cache import CachedConfiguration, CachedPaymentTemplates, TtlCache
from dinero_bookkeeping.adapters.dinero_client import DineroClient, DineroHttp
from dinero_bookkeeping.adapters.dynamodb_connections import DynamoConnections
from dinero_bookkeeping.adapters.dynamodb_integrations import DynamoIntegrations
from dinero_bookkeeping.adapters.dynamodb_oauth_states import DynamoOAuthStates
from dinero_bookkeeping.adapters.dynamodb_order_records import DynamoOrderRecords
from dinero_bookkeeping.adapters.dynamodb_payment_templates import DynamoPaymentTemplates
from dinero_bookkeeping.adapters.dynamodb_pending_connections import DynamoPendingConnections
from dinero_bookkeeping.adapters.dynamodb_rate_limiter import DynamoRateLimiter
from dinero_bookkeeping.adapters.dynamodb_shipmondo import DynamoShipmondo
from dinero_bookkeeping.adapters.kms_credentials_cipher import KmsCredentialsCipher
from dinero_bookkeeping.adapters.kms_token_cipher import KmsTokenCipher
from dinero_bookkeeping.adapters.shipmondo_client import ShipmondoHttp
from dinero_bookkeeping.adapters.sqs_queue import SqsOrderQueue
from dinero_bookkeeping.adapters.system_clock import SystemClock
from dinero_bookkeeping.adapters.token_provider import TokenProvider
from dinero_bookkeeping.adapters.visma_connect import VismaConnectClient
from dinero_bookkeeping.services.backfill_shipmondo import BackfillShipmondoService
from dinero_bookkeeping.services.book_order import BookOrderService
from dinero_bookkeeping.services.book_payment import BookPaymentService
from dinero_bookkeeping.services.connect_dinero import ConnectDineroService
from dinero_bookkeeping.services.connect_shipmondo import ConnectShipmondoService
from dinero_bookkeeping.services.credit_order import CreditOrderService
from dinero_bookkeeping.services.ingest_shipmondo import IngestShipmondoService
from dinero_bookkeeping.services.ledger_steps import LedgerSteps
from dinero_bookkeeping.services.manage_integrations import ManageIntegrationsService
from dinero_bookkeeping.services.manage_links import ManageLinksService
from dinero_bookkeeping.services.manage_payment_template import ManagePaymentTemplateService
from dinero_bookkeeping.services.manage_templates import ManageTemplatesService
from dinero_bookkeeping.services.order_follow_ups import OrderFollowUps
from dinero_bookkeeping.services.order_history import OrderHistoryService
from dinero_bookkeeping.services.poll_shipmondo import PollShipmondoService
from dinero_bookkeeping.services.shipmondo_feed import ShipmondoOrderFeed
from dinero_bookkeeping.settings import (
    DineroSettings,
    ShipmondoSettings,
    WorkerSettings,
    api_settings,
    shipmondo_settings,
    worker_settings,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@dataclass(frozen=True)
class Adapters:
    table: "Table"
    clock: SystemClock
    integrations: DynamoIntegrations
    connections: DynamoConnections
    records: DynamoOrderRecords
    payment_templates: DynamoPaymentTemplates
    queue: SqsOrderQueue
    visma: VismaConnectClient
    dinero: DineroClient


def client_secret(settings: DineroSettings) -> SecretStr:
    if settings.DINERO_CLIENT_SECRET is not None:
        return settings.DINERO_CLIENT_SECRET
    if not settings.DINERO_CLIENT_SECRET_ARN:
        raise ValueError("Set DINERO_CLIENT_SECRET_ARN (deployed) or DINERO_CLIENT_SECRET (local)")
    return SecretStr(str(parameters.get_secret(settings.DINERO_CLIENT_SECRET_ARN, max_age=300)))


def build_adapters(settings: WorkerSettings) -> Adapters:
    session = boto3.session.Session()
    table = session.resource("dynamodb").Table(settings.TABLE_NAME)
    clock = SystemClock()
    connections = DynamoConnections(table, KmsTokenCipher(session.client("kms"), settings.TOKEN_KEY_ID))
    http = requests.Session()
    timeout = settings.DINERO_TIMEOUT_SECONDS
    visma = VismaConnectClient(
        http, settings.VISMA_CONNECT_URL, settings.DINERO_CLIENT_ID, client_secret(settings), timeout
    )
    tokens = TokenProvider(connections, visma, clock, keep_for=timedelta(seconds=settings.CONFIG_CACHE_SECONDS))
    return Adapters(
        table=table,
        clock=clock,
        integrations=DynamoIntegrations(table),
        connections=connections,
        records=DynamoOrderRecords(table, clock, timedelta(days=settings.RECORD_RETENTION_DAYS)),
        payment_templates=DynamoPaymentTemplates(table),
        queue=SqsOrderQueue(session.client("sqs"), settings.ORDER_QUEUE_URL),
        visma=visma,
        dinero=DineroClient(DineroHttp(http, settings.DINERO_API_URL, settings.DINERO_TIMEOUT_SECONDS), tokens),
    )


def book_order_service(adapters: Adapters, settings: WorkerSettings) -> BookOrderService:
    lease = timedelta(seconds=settings.ORDER_LEASE_SECONDS)
    rate_limiter = DynamoRateLimiter(adapters.table, settings.DINERO_RATE_LIMIT_PER_MINUTE)
    # Per warm container: the order worker reads what rarely changes through a short-lived cache.
    cache = TtlCache(adapters.clock, timedelta(seconds=settings.CONFIG_CACHE_SECONDS))
    configuration = CachedConfiguration(adapters.integrations, adapters.connections, adapters.integrations, cache)
    return BookOrderService(
        integrations=configuration,
        connections=configuration,
        contacts=configuration,
        configuration_cache=configuration,
        records=adapters.records,
        dinero=adapters.dinero,
        clock=adapters.clock,
        lease=lease,
        rate_limiter=rate_limiter,
        follow_ups=order_follow_ups(
            adapters, configuration, CachedPaymentTemplates(adapters.payment_templates, cache), lease, rate_limiter
        ),
    )


def order_follow_ups(
    adapters: Adapters,
    configuration: CachedConfiguration,
    payment_templates: CachedPaymentTemplates,
    lease: timedelta,
    rate_limiter: DynamoRateLimiter,
) -> OrderFollowUps:
    steps = LedgerSteps(
        integrations=configuration,
        connections=configuration,
        records=adapters.records,
        dinero=adapters.dinero,
        clock=adapters.clock,
        lease=lease,
        rate_limiter=rate_limiter,
        configuration_cache=configuration,
    )
    return OrderFollowUps(
        payments=BookPaymentService(steps=steps, templates=payment_templates),
        credits=CreditOrderService(steps=steps, templates=payment_templates),
    )


@cache
def worker_adapters() -> Adapters:
    return build_adapters(worker_settings())


@cache
def worker_service() -> BookOrderService:
    return book_order_service(worker_adapters(), worker_settings())


@cache
def api_adapters() -> Adapters:
    """The OAuth and configuration functions' adapters."""
    return build_adapters(api_settings())


@cache
def connect_service() -> ConnectDineroService:
    adapters, settings = api_adapters(), api_settings()
    return ConnectDineroService(
        states=DynamoOAuthStates(adapters.table),
        pending=DynamoPendingConnections(adapters.table),
        visma=adapters.visma,
        organizations=adapters.dinero,
        connections=adapters.connections,
        integrations=adapters.integrations,
        clock=adapters.clock,
        redirect_uri=settings.OAUTH_REDIRECT_URL,
        app_url=settings.APP_URL,
    )


@cache
def integrations_service() -> ManageIntegrationsService:
    adapters = api_adapters()
    return ManageIntegrationsService(
        integrations=adapters.integrations,
        connections=adapters.connections,
        revoker=adapters.visma,
        clock=adapters.clock,
    )


@cache
def templates_service() -> ManageTemplatesService:
    adapters = api_adapters()
    return ManageTemplatesService(
        integrations=adapters.integrations,
        connections=adapters.connections,
        dinero=adapters.dinero,
        clock=adapters.clock,
        rate_limiter=DynamoRateLimiter(adapters.table, api_settings().DINERO_RATE_LIMIT_PER_MINUTE),
    )


@cache
def payment_template_service() -> ManagePaymentTemplateService:
    adapters = api_adapters()
    return ManagePaymentTemplateService(
        integrations=adapters.integrations,
        templates=adapters.payment_templates,
        connections=adapters.connections,
        dinero=adapters.dinero,
        clock=adapters.clock,
        rate_limiter=DynamoRateLimiter(adapters.table, api_settings().DINERO_RATE_LIMIT_PER_MINUTE),
    )


@cache
def links_service() -> ManageLinksService:
    adapters = api_adapters()
    return ManageLinksService(integrations=adapters.integrations, clock=adapters.clock)


@cache
def order_history_service() -> OrderHistoryService:
    adapters = api_adapters()
    return OrderHistoryService(
        integrations=adapters.integrations, records=adapters.records, queue=adapters.queue, clock=adapters.clock
    )


@dataclass(frozen=True)
class ShipmondoAdapters:
    """What the Shipmondo webhook, poll and connection use cases need: no Dinero client, no Dinero secret."""

    clock: SystemClock
    integrations: DynamoIntegrations
    records: DynamoOrderRecords
    queue: SqsOrderQueue
    payment_templates: DynamoPaymentTemplates
    store: DynamoShipmondo
    http: ShipmondoHttp


def build_shipmondo_adapters(settings: ShipmondoSettings) -> ShipmondoAdapters:
    session = boto3.session.Session()
    table = session.resource("dynamodb").Table(settings.TABLE_NAME)
    clock = SystemClock()
    return ShipmondoAdapters(
        clock=clock,
        integrations=DynamoIntegrations(table),
        records=DynamoOrderRecords(table, clock, timedelta(days=settings.RECORD_RETENTION_DAYS)),
        queue=SqsOrderQueue(session.client("sqs"), settings.ORDER_QUEUE_URL),
        payment_templates=DynamoPaymentTemplates(table),
        store=DynamoShipmondo(table, KmsCredentialsCipher(session.client("kms"), settings.TOKEN_KEY_ID)),
        http=ShipmondoHttp(
            requests.Session(),
            settings.SHIPMONDO_API_URL,
            settings.SHIPMONDO_TIMEOUT_SECONDS,
            min_interval=settings.SHIPMONDO_MIN_REQUEST_INTERVAL_SECONDS,
        ),
    )


@cache
def shipmondo_adapters() -> ShipmondoAdapters:
    return build_shipmondo_adapters(shipmondo_settings())


def shipmondo_feed(adapters: ShipmondoAdapters) -> ShipmondoOrderFeed:
    return ShipmondoOrderFeed(
        integrations=adapters.integrations,
        records=adapters.records,
        queue=adapters.queue,
        payment_templates=adapters.payment_templates,
    )


@cache
def ingest_shipmondo_service() -> IngestShipmondoService:
    adapters = shipmondo_adapters()
    return IngestShipmondoService(
        store=adapters.store, queue=adapters.queue, rejected=adapters.records, clock=adapters.clock
    )


@cache
def connect_shipmondo_service() -> ConnectShipmondoService:
    adapters = shipmondo_adapters()
    return ConnectShipmondoService(
        store=adapters.store,
        shipmondo=adapters.http,
        clock=adapters.clock,
        webhook_base_url=shipmondo_settings().webhook_base_url,
    )


@cache
def poll_shipmondo_service() -> PollShipmondoService:
    adapters = shipmondo_adapters()
    return PollShipmondoService(
        store=adapters.store,
        shipmondo=adapters.http,
        feed=shipmondo_feed(adapters),
        clock=adapters.clock,
        overlap=timedelta(seconds=shipmondo_settings().SHIPMONDO_POLL_OVERLAP_SECONDS),
    )


@cache
def backfill_shipmondo_service() -> BackfillShipmondoService:
    adapters = shipmondo_adapters()
    return BackfillShipmondoService(
        store=adapters.store,
        shipmondo=adapters.http,
        feed=shipmondo_feed(adapters),
        records=adapters.records,
        clock=adapters.clock,
        pages_per_step=shipmondo_settings().SHIPMONDO_BACKFILL_PAGES_PER_RUN,
    )


def clear_caches() -> None:
    """Forget settings and adapters, for a process that points the same handlers at new resources (local runtime)."""
    for cached in (
        *(worker_settings, worker_adapters, worker_service, api_settings, api_adapters),
        *(connect_service, integrations_service, templates_service, links_service, order_history_service),
        *(shipmondo_settings, shipmondo_adapters, ingest_shipmondo_service, connect_shipmondo_service),
        *(poll_shipmondo_service, backfill_shipmondo_service),
        payment_template_service,
    ):
        cached.cache_clear()
