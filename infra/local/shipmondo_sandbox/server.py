"""The Shipmondo sandbox's HTTP server: Basic auth with an account's API user and key, under /api/public/v3."""

import base64
import binascii
import copy
import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local.shipmondo_sandbox.spec import query_parameters, schema_errors
from infra.local.shipmondo_sandbox.state import Account, ShipmondoSandboxState, checked, now_iso

BASE_PATH = "/api/public/v3"
PER_PAGE_MAX = 50

Answer = tuple[int, Any, dict[str, str]]


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    if moment.tzinfo is None:
        raise ValueError("no offset")
    return moment


def _in_window(order: dict[str, Any], field: str, query: dict[str, str]) -> bool:
    value = _moment(order[field])
    low, high = query.get(f"{field}_min"), query.get(f"{field}_max")
    return (low is None or value >= _moment(low)) and (high is None or value <= _moment(high))


def list_sales_orders(account: Account, query: dict[str, str]) -> Answer:
    unknown = set(query) - query_parameters("sales_orders")
    if unknown:
        return 422, {"error": f"unknown parameters: {', '.join(sorted(unknown))}"}, {}
    try:
        per_page, page = int(query.get("per_page", "20")), int(query.get("page", "1"))
        orders = [
            order
            for order in account.orders.values()
            if _in_window(order, "updated_at", query) and _in_window(order, "created_at", query)
        ]
    except ValueError:
        return 422, {"error": "invalid parameter"}, {}
    if not 1 <= per_page <= PER_PAGE_MAX or page < 1:
        return 422, {"error": "per_page must be 1..50, page at least 1"}, {}
    orders.sort(key=lambda order: order["id"])  # the spec promises no order; ours is stable by id
    total_pages = max(1, -(-len(orders) // per_page))
    body = [checked("SalesOrder", copy.deepcopy(order)) for order in orders[(page - 1) * per_page : page * per_page]]
    headers = {
        "X-Current-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total-Count": str(len(orders)),
        "X-Total-Pages": str(total_pages),
    }
    return 200, body, headers


def _served_webhook(hook: dict[str, Any]) -> dict[str, Any]:
    served: dict[str, Any] = checked("Webhook", {name: value for name, value in hook.items() if name != "key"})
    return served


def handle(
    state: ShipmondoSandboxState, account: Account, method: str, path: str, query: dict[str, str], body: Any
) -> Answer:
    if method == "GET" and path == "/account":
        return 200, checked("account_200_response", {"name": account.name, "country_code": "DK"}), {}
    if method == "GET" and path == "/sales_orders":
        return list_sales_orders(account, query)
    if method == "GET" and path == "/webhooks":
        hooks = [_served_webhook(hook) for hook in account.webhooks.values()]
        return 200, hooks, {"X-Total-Pages": "1", "X-Total-Count": str(len(hooks))}
    if method == "POST" and path == "/webhooks":
        if not isinstance(body, dict) or schema_errors("WebhookCreate", body):
            return 422, {"error": "invalid webhook"}, {}
        stamp = now_iso()
        hook = {**body, "id": state.new_id(), "active": True, "created_at": stamp, "updated_at": stamp}
        account.webhooks[hook["id"]] = hook
        return 200, [_served_webhook(hook)], {}
    if method == "DELETE" and path.startswith("/webhooks/"):
        hook_id = path.removeprefix("/webhooks/")
        removed = account.webhooks.pop(int(hook_id), None) if hook_id.isdigit() else None
        return (200, _served_webhook(removed), {}) if removed else (404, {"error": "Resource not found"}, {})
    return 404, {"error": "Resource not found"}, {}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: request lines would show query strings."""

    def _handle(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not url.path.startswith(BASE_PATH):
            return self._send(404, {"error": "Resource not found"}, {})
        path = url.path.removeprefix(BASE_PATH).rstrip("/") or "/"
        with state.lock:
            state.requests.append((self.command, path))
        fault = state.injected_fault(path)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return self._send(fault.status, {"error": "injected fault"}, headers)
        account = self._account(state)
        if account is None:
            return self._send(401, {"error": "Unauthorized"}, {})
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._send(400, {"error": "invalid JSON"}, {})
        with state.lock:
            status, answer, headers = handle(state, account, self.command, path, query, body)
        self._send(status, answer, headers)

    def _account(self, state: ShipmondoSandboxState) -> Account | None:
        scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, key = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return state.authenticate(user, key)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: ShipmondoSandboxState) -> None:
        super().__init__(address, _Handler)
        self.state = state


class ShipmondoSandbox:
    def __init__(self, state: ShipmondoSandboxState | None = None, *, port: int = 0) -> None:
        self.state = state or ShipmondoSandboxState()
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", self._port), self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="shipmondo-sandbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}{BASE_PATH}"
