"""An HTTP API (API Gateway v2, payload format 2.0) in front of in-process Lambda handlers.

Each request is matched to a route the way API Gateway does, checked by a JWT verifier on authorized routes,
turned into a payload-v2 event, and the handler's response is written back. Error bodies match API Gateway's, and
so do its limits: a request body over 10 MB is a 413, a handler that has not answered after 30 seconds a 503.
"""

import base64
import binascii
import json
import logging
import secrets
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from infra.local.lambda_context import DEFAULT_REGION, LOCAL_ACCOUNT_ID, LambdaHandler, new_context

logger = logging.getLogger(__name__)

JwtVerifier = Callable[[str], dict[str, Any]]

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
# Only these arrive as text; everything else, form posts and a missing Content-Type included, arrives
# base64-encoded (measured on real HTTP APIs, github.com/ministackorg/ministack/pull/766).
TEXT_MEDIA_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
# Set by the HTTP layer here, so a handler's values would corrupt the framing.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
# HTTP API quotas (hard limits): the request payload, and how long API Gateway waits for the integration.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
INTEGRATION_TIMEOUT_S = 30.0


class _Segment(IntEnum):
    """Kinds of route path segment, in API Gateway's order of preference when several routes match."""

    LITERAL = 0
    PARAMETER = 1
    GREEDY = 2


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: LambdaHandler
    function_name: str
    authorized: bool
    timeout_s: float = 30.0
    _template: tuple[tuple[_Segment, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unsupported method {self.method!r}")
        if not self.path.startswith("/"):
            raise ValueError(f"route path must start with '/': {self.path!r}")
        template = tuple(_parse_segment(segment) for segment in _split_path(self.path))
        if any(kind is _Segment.GREEDY for kind, _ in template[:-1]):
            raise ValueError(f"a greedy path variable must be the last segment: {self.path!r}")
        object.__setattr__(self, "_template", template)

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, raw_path: str) -> dict[str, str] | None:
        """Path parameters (URL-decoded) if this route serves the request, else None."""
        if self.method not in ("ANY", method):
            return None
        segments = _split_path(raw_path)
        params: dict[str, str] = {}
        for index, (kind, value) in enumerate(self._template):
            if kind is _Segment.GREEDY:
                rest = segments[index:]
                if not rest:
                    return None
                params[value] = unquote("/".join(rest))
                return params
            if index >= len(segments):
                return None
            segment = unquote(segments[index])
            if kind is _Segment.LITERAL and segment != value:
                return None
            if kind is _Segment.PARAMETER:
                if not segment:
                    return None
                params[value] = segment
        return params if len(segments) == len(self._template) else None

    def specificity(self) -> tuple[tuple[int, ...], bool]:
        """Sort key: literal segments beat `{name}`, which beats `{proxy+}`; a named method beats ANY."""
        return tuple(kind for kind, _ in self._template), self.method == "ANY"


@dataclass(frozen=True)
class HttpRequest:
    """One request as received: path and query still percent-encoded, headers as sent (duplicates kept)."""

    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str
    domain_name: str


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class HttpGateway:
    def __init__(
        self,
        routes: Sequence[Route],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        jwt_verifier: JwtVerifier | None = None,
        region: str = DEFAULT_REGION,
        api_id: str = "local",
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        integration_timeout_s: float = INTEGRATION_TIMEOUT_S,
    ) -> None:
        route_keys = [route.route_key for route in routes]
        if len(set(route_keys)) != len(route_keys):
            raise ValueError("duplicate route keys")
        if jwt_verifier is None and any(route.authorized for route in routes):
            raise ValueError("authorized routes need a jwt_verifier")
        self._routes = list(routes)
        self._host = host
        self._port = port
        self._jwt_verifier = jwt_verifier
        self._region = region
        self._api_id = api_id
        self.max_payload_bytes = max_payload_bytes
        self._integration_timeout_s = integration_timeout_s
        self._server: _GatewayServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("gateway already started")
        self._server = _GatewayServer((self._host, self._port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("gateway not started")
        return f"http://{self._host}:{self._server.server_port}"

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = _new_request_id()
        route, path_parameters = self._find_route(request.method, request.raw_path)
        if len(request.body) > self.max_payload_bytes:
            response = too_large_response()
        elif route is None:
            response = _message_response(404, "Not Found")
        else:
            response = self._invoke(route, path_parameters, request, request_id)
        logger.info(
            "http request: route=%s status=%d request_id=%s",
            route.route_key if route else "none",
            response.status,
            request_id,
        )
        return HttpResponse(response.status, [*response.headers, ("apigw-requestid", request_id)], response.body)

    def _find_route(self, method: str, raw_path: str) -> tuple[Route | None, dict[str, str]]:
        matches = [(route, params) for route in self._routes if (params := route.match(method, raw_path)) is not None]
        if not matches:
            return None, {}
        return min(matches, key=lambda match: match[0].specificity())

    def _invoke(
        self, route: Route, path_parameters: dict[str, str], request: HttpRequest, request_id: str
    ) -> HttpResponse:
        claims = None
        if route.authorized:
            claims = self._verified_claims(request)
            if claims is None:
                return _message_response(401, "Unauthorized")
        event = self._event(route, path_parameters, request, request_id, claims)
        context = new_context(route.function_name, route.timeout_s, region=self._region)
        invocation = _Invocation(route.handler, event, context)
        if not invocation.finished_within(min(route.timeout_s, self._integration_timeout_s)):
            # Like Lambda, the handler runs on; API Gateway answers a function timeout as a failed function, and its
            # own integration timeout (whichever comes first) as 503.
            logger.error("handler timed out: route=%s request_id=%s", route.route_key, request_id)
            if route.timeout_s < self._integration_timeout_s:
                return _message_response(500, "Internal Server Error")
            return _message_response(503, "Service Unavailable")
        if invocation.error is not None:
            # Exception texts can quote request bodies (validation errors do), so the traceback is debug-only.
            error = invocation.error
            logger.error(
                "handler failed (%s): route=%s request_id=%s", type(error).__name__, route.route_key, request_id
            )
            logger.debug("handler traceback", exc_info=error)
            return _message_response(500, "Internal Server Error")
        result = invocation.result
        try:
            return _http_response(result)
        except (TypeError, ValueError, binascii.Error) as exc:
            logger.error("handler returned a malformed response (%s): route=%s", exc, route.route_key)
            return _message_response(500, "Internal Server Error")

    def _verified_claims(self, request: HttpRequest) -> dict[str, Any] | None:
        assert self._jwt_verifier is not None  # guaranteed by __init__ for authorized routes
        authorization = next((value for name, value in request.headers if name.lower() == "authorization"), "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return self._jwt_verifier(token.strip())
        except Exception as exc:
            # The reason only; the token itself is a credential.
            logger.info("jwt rejected: %s", getattr(exc, "reason", type(exc).__name__))
            return None

    def _event(
        self,
        route: Route,
        path_parameters: dict[str, str],
        request: HttpRequest,
        request_id: str,
        claims: dict[str, Any] | None,
    ) -> dict[str, Any]:
        headers, cookies = _event_headers(request)
        now = datetime.now(UTC)
        request_context: dict[str, Any] = {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": self._api_id,
            "domainName": request.domain_name,
            "domainPrefix": request.domain_name.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        }
        if claims is not None:
            request_context["authorizer"] = {
                "jwt": {"claims": {name: _claim_string(value) for name, value in claims.items()}, "scopes": None}
            }
        # HTTP APIs hand the path over decoded, `rawPath` included (unlike REST APIs): "/links/my%20shop" arrives as
        # "/links/my shop" (hotsock/voker#8, aws-powertools/powertools-lambda-python#1098).
        path = unquote(request.raw_path)
        request_context["http"]["path"] = path
        event: dict[str, Any] = {"version": "2.0", "routeKey": route.route_key, "rawPath": path}
        event["rawQueryString"] = request.raw_query
        if cookies:
            event["cookies"] = cookies
        event["headers"] = headers
        if request.raw_query:
            event["queryStringParameters"] = _joined(parse_qsl(request.raw_query, keep_blank_values=True))
        event["requestContext"] = request_context
        is_base64 = False
        if request.body:
            is_base64 = not _is_text(headers.get("content-type", ""), request.body)
            event["body"] = base64.b64encode(request.body).decode("ascii") if is_base64 else request.body.decode()
        if path_parameters:
            event["pathParameters"] = path_parameters
        event["isBase64Encoded"] = is_base64
        return event


class _Invocation:
    """One call of a handler in its own thread, so that the gateway can stop waiting for it, as API Gateway does."""

    def __init__(self, handler: LambdaHandler, event: dict[str, Any], context: Any) -> None:
        self.result: Any = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, args=(handler, event, context), daemon=True)
        self._thread.start()

    def finished_within(self, timeout_s: float) -> bool:
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self, handler: LambdaHandler, event: dict[str, Any], context: Any) -> None:
        try:
            self.result = handler(event, context)
        except Exception as exc:
            self.error = exc


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], gateway: HttpGateway) -> None:
        super().__init__(address, _RequestHandler)
        self.gateway = gateway

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dropping a kept-alive connection is routine; anything else is a gateway bug worth a traceback.
        if isinstance(sys.exception(), ConnectionError):
            return
        logger.exception("http gateway failed to serve a request")


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _GatewayServer

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        raw_path, _, raw_query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.gateway.max_payload_bytes:
            # Read and dropped in pieces, not kept: a client still sending would otherwise miss the answer.
            while length > 0:
                length -= len(self.rfile.read(min(length, 1 << 16))) or length
            self._send(too_large_response())
            return
        body = self.rfile.read(length)
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
            domain_name=self.headers.get("Host") or f"{self.server.server_name}:{self.server.server_port}",
        )
        self._send(self.server.gateway.handle(request))

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the stdlib line carries the query string (OAuth codes); the gateway logs its own line."""


def _split_path(path: str) -> list[str]:
    return path[1:].split("/") if path not in ("", "/") else []


def _parse_segment(segment: str) -> tuple[_Segment, str]:
    if segment.startswith("{") and segment.endswith("+}"):
        return _Segment.GREEDY, segment[1:-2]
    if segment.startswith("{") and segment.endswith("}"):
        return _Segment.PARAMETER, segment[1:-1]
    return _Segment.LITERAL, segment


def _event_headers(request: HttpRequest) -> tuple[dict[str, str], list[str]]:
    """Lower-cased headers with duplicates comma-joined, plus the cookies, which v2 moves out of the headers."""
    cookies: list[str] = []
    pairs: list[tuple[str, str]] = []
    for name, value in request.headers:
        if name.lower() == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            pairs.append((name.lower(), value))
    _, _, port = request.domain_name.partition(":")
    pairs += [("x-forwarded-for", request.source_ip), ("x-forwarded-port", port or "80"), ("x-forwarded-proto", "http")]
    return _joined(pairs), cookies


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _is_text(content_type: str, body: bytes) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not (media_type.startswith("text/") or media_type in TEXT_MEDIA_TYPES):
        return False
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def _claim_string(value: Any) -> str:
    """API Gateway hands JWT claims to the function as strings: numbers as digits, arrays as `[a b]`.

    The array form is what deployed HTTP APIs send (aws-solutions-library-samples/
    guidance-for-claude-code-with-amazon-bedrock#802).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_string(item) for item in value) + "]"
    return json.dumps(value, separators=(",", ":"))


def _http_response(result: dict[str, Any] | None) -> HttpResponse:
    """Payload-v2 response to HTTP; a result without `statusCode` is JSON for a 200, as API Gateway infers."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return HttpResponse(200, [("Content-Type", "application/json")], json.dumps(result).encode())
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(value)) for value in values]
    headers += [("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or []]
    headers = [(name, value) for name, value in headers if name.lower() not in FRAMING_HEADERS]
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise TypeError("response body must be a string")
    raw_body = base64.b64decode(body, validate=True) if result.get("isBase64Encoded") else body.encode()
    return HttpResponse(int(result["statusCode"]), headers, raw_body)


def too_large_response() -> HttpResponse:
    return _message_response(413, "Request Entity Too Large")


def _message_response(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode())


def _new_request_id() -> str:
    # Same shape as API Gateway's ids, e.g. "JKJaXmPLvHcESHA=" (base64 of 11 random bytes).
    return base64.b64encode(secrets.token_bytes(11)).decode("ascii")
