"""The whole system on one machine, with no AWS account and no Docker.

moto in server mode (DynamoDB, SQS, KMS over real HTTP) holds the resources created from template.yaml; an HTTP
gateway built from the template's HttpApi routes turns requests into API Gateway v2 events for the real handlers
(with a local stand-in for the JWT authorizer); SQS pollers give the order handler Lambda's batch semantics; and
the Dinero sandbox plays Dinero and Visma Connect unless real Dinero endpoints are configured.
"""

import importlib
import json
import logging
import os
import secrets
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from dinero_bookkeeping import wiring
from dinero_bookkeeping.observability import logger
from infra.local.aws_resources import LocalResources, create_resources
from infra.local.dev_jwt import issue_token, verify_token
from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DineroSandbox, SandboxState
from infra.local.http_gateway import HttpGateway, Route
from infra.local.lambda_context import LambdaHandler
from infra.local.scheduler import LocalScheduler, ScheduledFunction
from infra.local.shipmondo_sandbox import ShipmondoSandbox, ShipmondoSandboxState
from infra.local.sqs_poller import BatchResult, SqsPoller

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
REGION = "eu-west-1"
# The local JWT authorizer's settings. The secret signs development tokens only; nothing deployed trusts it.
DEV_JWT_SECRET = "local-development-only"
DEV_JWT_ISSUER = "https://local.dinero-bookkeeping.dev/issuer"
DEV_JWT_AUDIENCE = "dinero-bookkeeping"


@dataclass(frozen=True)
class DineroEndpoints:
    """Where Dinero and Visma Connect are, and this app's Visma Connect client."""

    api_url: str
    connect_url: str
    client_id: str
    client_secret: str
    redirect_url: str | None = None  # None: the local gateway's /oauth/callback

    @staticmethod
    def from_environment() -> "DineroEndpoints | None":
        """Real (or any compatible) Dinero when DINERO_API_URL and VISMA_CONNECT_URL are set."""
        api_url, connect_url = os.environ.get("DINERO_API_URL"), os.environ.get("VISMA_CONNECT_URL")
        if not (api_url and connect_url):
            return None
        missing = [name for name in ("DINERO_CLIENT_ID", "DINERO_CLIENT_SECRET") if not os.environ.get(name)]
        if missing:
            raise SystemExit(f"DINERO_API_URL and VISMA_CONNECT_URL are set, so set {' and '.join(missing)} too")
        return DineroEndpoints(
            api_url=api_url,
            connect_url=connect_url,
            client_id=os.environ["DINERO_CLIENT_ID"],
            client_secret=os.environ["DINERO_CLIENT_SECRET"],
            redirect_url=os.environ.get("OAUTH_REDIRECT_URL"),
        )


class LocalSystem:
    def __init__(
        self,
        *,
        template: Path = TEMPLATE,
        dinero: DineroEndpoints | None = None,
        moto_endpoint: str | None = None,
        prefix: str | None = None,
        gateway_port: int = 0,
        moto_port: int = 0,
        sandbox_port: int = 0,
        sandbox_state: SandboxState | None = None,
        environment: dict[str, str] | None = None,
    ) -> None:
        self._template = template
        self._dinero = dinero
        self._moto_endpoint = moto_endpoint
        self._prefix = prefix or f"local-{secrets.token_hex(3)}"
        self._ports = {"gateway": gateway_port, "moto": moto_port, "sandbox": sandbox_port}
        self._sandbox_state = sandbox_state
        self._extra_environment = environment or {}
        self._moto: ThreadedMotoServer | None = None
        self._saved_environment: dict[str, str] | None = None
        self.sandbox: DineroSandbox | None = None
        self.gateway: HttpGateway | None = None
        self._gateway_url: str | None = None
        self.pollers: list[SqsPoller] = []
        self.shipmondo = ShipmondoSandbox(ShipmondoSandboxState())
        self.scheduler = LocalScheduler([])
        self.resources: LocalResources | None = None
        self.session: boto3.session.Session | None = None

    def __enter__(self) -> "LocalSystem":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def gateway_url(self) -> str:
        assert self._gateway_url is not None, "start() first"
        return self._gateway_url

    @property
    def moto_endpoint(self) -> str:
        assert self._moto_endpoint is not None, "start() first"
        return self._moto_endpoint

    def start(self) -> None:
        # moto's per-request access log and Powertools' "metrics disabled" warning would drown what matters.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self._saved_environment = dict(os.environ)
        if self._moto_endpoint is None:
            self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self._ports["moto"], verbose=False)
            self._moto.start()
            host, port = self._moto.get_host_and_port()
            self._moto_endpoint = f"http://{host}:{port}"
        os.environ.update(aws_client_environment(self._moto_endpoint))
        self.session = boto3.session.Session()
        self.resources = create_resources(self._template, self.session, prefix=self._prefix)
        if self._dinero is None:
            self.sandbox = DineroSandbox(
                self._sandbox_state or SandboxState.with_demo_data(), port=self._ports["sandbox"]
            )
            self.sandbox.start()
        self.shipmondo.start()
        # Handlers read POWERTOOLS_* and settings at import, so the environment comes before the routes import them.
        gateway_port = self._ports["gateway"] or free_port()
        self._gateway_url = f"http://127.0.0.1:{gateway_port}"
        os.environ.update(self._function_environment())
        wiring.clear_caches()
        # The package may have been imported (and its logger configured) before this environment existed.
        logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))
        routes = [
            _route(route.method, route.path, route.function.handler, route.requires_auth)
            for route in self.resources.http_routes
        ]
        self.gateway = HttpGateway(routes, port=gateway_port, jwt_verifier=verify_merchant_token, region=REGION)
        self.gateway.start()
        sqs = self.session.client("sqs")
        self.pollers = [
            SqsPoller(
                sqs,
                self.resources.physical_ids[source.queue_logical_id],
                _handler(source.function.handler),
                function_name=source.function.logical_id,
                batch_size=source.batch_size,
                report_batch_item_failures=source.reports_batch_item_failures,
                function_timeout_s=source.function.timeout_seconds,
            )
            for source in self.resources.sqs_event_sources
        ]
        self.scheduler = LocalScheduler(
            [
                ScheduledFunction(
                    schedule.function.logical_id,
                    _handler(schedule.function.handler),
                    schedule.expression,
                    schedule.function.timeout_seconds,
                )
                for schedule in self.resources.schedules
            ]
        )

    def stop(self) -> None:
        self.scheduler.stop()
        for poller in self.pollers:
            poller.stop()
        for server in (self.gateway, self.sandbox, self.shipmondo):
            if server is not None:
                server.stop()
        if self._moto is not None:
            self._moto.stop()
        if self._saved_environment is not None:
            os.environ.clear()
            os.environ.update(self._saved_environment)
        wiring.clear_caches()

    def start_pollers(self) -> None:
        for poller in self.pollers:
            poller.start()

    def run_schedules(self) -> list[Any]:
        """Invoke every scheduled function once now (the Shipmondo catch-up poll), as EventBridge would."""
        return self.scheduler.run_all()

    def drain_orders(self, max_batches: int = 100) -> list[BatchResult]:
        """Process the queues synchronously until they are empty (for tests and demos)."""
        return [result for poller in self.pollers for result in poller.drain(max_batches)]

    def merchant_token(self, merchant_id: str) -> str:
        """A development JWT for a merchant, as the deployed JWT authorizer would accept from the identity provider."""
        return issue_token(DEV_JWT_SECRET, subject=merchant_id, issuer=DEV_JWT_ISSUER, audience=DEV_JWT_AUDIENCE)

    def settings_page_url(self, merchant_id: str) -> str:
        """The settings page with the merchant's development token in the fragment, which browsers never send: the
        page moves it to sessionStorage and out of the address bar before anything else."""
        return f"{self.gateway_url}/app#token={self.merchant_token(merchant_id)}"

    def send_order(self, event: dict[str, Any]) -> str:
        assert self.session is not None and self.resources is not None, "start() first"
        sqs = self.session.client("sqs")
        return sqs.send_message(QueueUrl=self.resources.order_queue_url, MessageBody=json.dumps(event))["MessageId"]

    def _function_environment(self) -> dict[str, str]:
        assert self.resources is not None
        dinero = self._dinero or self._sandbox_endpoints()
        environment = self.resources.environment(
            {
                "DINERO_API_URL": dinero.api_url,
                "VISMA_CONNECT_URL": dinero.connect_url,
                "DINERO_CLIENT_ID": dinero.client_id,
                "DINERO_CLIENT_SECRET_ARN": "",
                "OAUTH_REDIRECT_URL": dinero.redirect_url or f"{self.gateway_url}/oauth/callback",
                "APP_URL": os.environ.get("APP_URL", f"{self.gateway_url}/app"),
                "SHIPMONDO_API_URL": self.shipmondo.url,
                # The sandbox has no limit to protect; keep the pacing code path without its wait.
                "SHIPMONDO_MIN_REQUEST_INTERVAL_SECONDS": "0.01",
            }
        )
        return {
            **environment,
            "DINERO_CLIENT_SECRET": dinero.client_secret,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
            **self._extra_environment,
        }

    def _sandbox_endpoints(self) -> DineroEndpoints:
        assert self.sandbox is not None
        return DineroEndpoints(
            api_url=self.sandbox.url,
            connect_url=self.sandbox.url,
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
        )


def aws_client_environment(endpoint: str) -> dict[str, str]:
    """Point boto3 (and Powertools) at moto with dummy credentials; nothing can reach a real AWS account."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def free_port() -> int:
    """A port the OS considers free right now (the gateway's URL must be known before it starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def verify_merchant_token(token: str) -> dict[str, Any]:
    return verify_token(token, DEV_JWT_SECRET, issuer=DEV_JWT_ISSUER, audience=DEV_JWT_AUDIENCE)


def _handler(path: str) -> LambdaHandler:
    module, _, name = path.rpartition(".")
    handler: LambdaHandler = getattr(importlib.import_module(module), name)
    return handler


def _route(method: str, path: str, handler: str, authorized: bool) -> Route:
    return Route(method=method, path=path, handler=_handler(handler), function_name=handler, authorized=authorized)
