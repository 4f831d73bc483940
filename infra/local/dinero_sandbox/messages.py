"""Requests and responses as plain values, plus Dinero's error body and JSON helpers.

Handlers take a `SandboxRequest` and return a `Response` (or raise `ApiError`), so they never touch sockets.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Json = dict[str, Any]

# Dinero's documented error codes (developer.dinero.dk "error and status").
NOT_FOUND = 40
UNAUTHORIZED = 41
VALIDATION = 42
LIMIT_EXCEEDED = 43
TIMESTAMP_OUTDATED = 58
NOT_PRO = 90


@dataclass(frozen=True)
class SandboxRequest:
    method: str
    path: str
    query: Mapping[str, str]  # first value of each parameter
    headers: Mapping[str, str]  # names in lower case
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Handled:
    """A response plus what the request log records about who asked."""

    response: Response
    organization_id: int | None = None
    client_id: str | None = None


@dataclass
class ApiError(Exception):
    """A Dinero error answer: `{"code", "message", "validationErrors"}` with the given HTTP status."""

    status: int
    code: int
    message: str
    validation_errors: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        body = {"code": self.code, "message": self.message, "validationErrors": self.validation_errors}
        return json_response(self.status, body)


def validation_error(errors: dict[str, str], message: str = "Validation failed") -> ApiError:
    return ApiError(400, VALIDATION, message, errors)


def _encode_default(value: object) -> object:
    # Money stays Decimal inside the sandbox; JSON numbers are written only here, at the edge.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json_bytes(payload: object) -> bytes:
    return json.dumps(payload, default=_encode_default, ensure_ascii=False).encode("utf-8")


def json_response(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, to_json_bytes(payload), "application/json; charset=utf-8", headers)


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(status, text.encode("utf-8"), content_type)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(body: bytes) -> Any:
    """Numbers with a fraction become Decimal, so amounts are exact from the first byte."""
    return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
