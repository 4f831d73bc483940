"""The loopback HTTP server: one port for Visma Connect (/connect), the Dinero API (/v1) and /_sandbox."""

import logging
import math
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from infra.local.dinero_sandbox import admin, dinero_api, token_revocation, visma_connect
from infra.local.dinero_sandbox.faults import Fault, FaultKind, FaultRegistry
from infra.local.dinero_sandbox.messages import (
    NOT_FOUND,
    ApiError,
    Handled,
    Response,
    SandboxRequest,
    json_response,
    text_response,
)
from infra.local.dinero_sandbox.state import RequestLogEntry, SandboxState

logger = logging.getLogger(__name__)


def _fault_response(fault: Fault) -> Response:
    if fault.status == 429:
        response = text_response(429, "API calls quota exceeded! (injected by the sandbox)")
        return replace(response, headers=(("Retry-After", str(math.ceil(fault.seconds))),))
    return json_response(fault.status, {"code": fault.status, "message": "An error has occurred (injected fault)"})


def _dispatch(state: SandboxState, request: SandboxRequest) -> Handled:
    """Answers a Visma Connect or Dinero request. The caller holds the state lock."""
    if request.path == "/connect/authorize" and request.method == "GET":
        state.count("authorize_requests")
        return visma_connect.authorize(state, request)
    if request.path == "/connect/token" and request.method == "POST":
        state.count("token_requests")
        return visma_connect.token(state, request)
    if request.path == "/connect/revocation" and request.method == "POST":
        state.count("revocation_requests")
        return token_revocation.revoke(state, request)
    if request.path.startswith(("/v1", "/v2/")):
        state.count("api_requests")
        return dinero_api.handle(state, request)
    return Handled(ApiError(404, NOT_FOUND, "No HTTP resource was found that matches the request URI").response())


def _who(state: SandboxState, request: SandboxRequest) -> tuple[int | None, str | None]:
    """Organization and client of a request that is answered without processing (for the request log)."""
    token = dinero_api.bearer_token(request)
    client_id = state.tokens.client_of(token) if token else request.query.get("client_id")
    return dinero_api.organization_in_path(request.path), client_id


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"  # keep-alive, like the real services
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would hold the body ~40 ms

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: the default line holds the query string. Requests are in the sandbox's request log."""

    def _read_request(self) -> SandboxRequest:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        query = {name: values[0] for name, values in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        return SandboxRequest(self.command, split.path, query, headers, self.rfile.read(length) if length else b"")

    def _handle(self) -> None:
        request = self._read_request()
        try:
            response, drop_connection = self._answer(request)
        except Exception:
            logger.exception("sandbox failed on %s %s", request.method, request.path)
            response, drop_connection = json_response(500, {"code": 500, "message": "The sandbox failed"}), False
        if drop_connection:
            # Committed, but the client never hears: its request ends in a connection error.
            self.close_connection = True
            return
        self._send(response)

    def _answer(self, request: SandboxRequest) -> tuple[Response, bool]:
        """The response, and whether to drop the connection instead of sending it."""
        sandbox = self.server.sandbox
        state = sandbox.state
        if request.path.startswith("/_sandbox/"):
            with state.lock:
                return admin.handle(state, sandbox.faults, request), False
        fault = sandbox.faults.take(request.method, request.path)
        if fault and fault.kind is FaultKind.STATUS:
            with state.lock:
                state.count("faults_injected")
                organization_id, client_id = _who(state, request)
                state.record(
                    RequestLogEntry(
                        request.method,
                        request.path,
                        organization_id,
                        fault.status,
                        client_id,
                        fault.kind,
                        state.clock(),
                    )
                )
            return _fault_response(fault), False
        if fault and fault.kind is FaultKind.DELAY:
            time.sleep(fault.seconds)
        with state.lock:
            handled = _dispatch(state, request)
            if fault:
                state.count("faults_injected")
            status = handled.response.status
            fault_kind = fault.kind if fault else None
            state.record(
                RequestLogEntry(
                    request.method,
                    request.path,
                    handled.organization_id,
                    status,
                    handled.client_id,
                    fault_kind,
                    state.clock(),
                )
            )
            latency = state.latency_seconds
        # Outside the lock: other requests are served meanwhile. Counted and committed already, as with a real
        # service whose answer is slow to arrive.
        time.sleep(latency)
        return handled.response, fault is not None and fault.kind is FaultKind.DROP_AFTER_COMMIT

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a delayed request never holds up stop()

    def __init__(self, address: tuple[str, int], sandbox: "DineroSandbox") -> None:
        self.sandbox = sandbox
        super().__init__(address, _Handler)


class DineroSandbox:
    """Visma Connect + Dinero API on one loopback port. `with DineroSandbox() as sandbox: sandbox.url ...`

    Without a state it starts with `SandboxState.with_demo_data()`. `faults` arms per-request failures.
    """

    def __init__(self, state: SandboxState | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state if state is not None else SandboxState.with_demo_data()
        self.faults = FaultRegistry()
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "DineroSandbox":
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        self._server = _Server(self._address, self)
        # stop() waits up to one poll interval; tests start and stop a sandbox per test, so keep it short.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="dinero-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def reset(self) -> None:
        """state.reset() and no armed faults."""
        self.state.reset()
        self.faults.clear()

    @property
    def url(self) -> str:
        """Base URL of all three parts, for example http://127.0.0.1:54321 (Dinero paths start with /v1)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running: call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/connect/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/connect/token"

    @property
    def revocation_url(self) -> str:
        return f"{self.url}/connect/revocation"

    def __enter__(self) -> "DineroSandbox":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
