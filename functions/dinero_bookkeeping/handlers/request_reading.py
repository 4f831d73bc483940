"""Reading requests so that none, however malformed, ends as a 500 or reaches a route other than as it was sent.

Bodies: Powertools parses one only as far as `json.loads` and a UTF-8 decode go: JSON nested thousands deep raises
RecursionError, a 5,000-digit number ValueError, and bytes that are not UTF-8 UnicodeDecodeError, all of them 500s.
Here the body is bounded first (size, nesting, number length), and every way it can fail to parse
becomes a RequestValidationError naming the body, which the HTTP API answers like any invalid field (422).

Path parameters: an HTTP API hands the path over decoded ("/links/my shop"), rawPath included, and Powertools routes
on rawPath with a pattern of URL-safe characters only. So the path is rebuilt from the route and the parameters, each
percent-encoded, for routing, and the route receives the parameters exactly as API Gateway decoded them.
"""

import json
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler.api_gateway import Response, Route
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.types import EventHandlerInstance

# Our bodies are a few hundred bytes; API Gateway itself refuses anything over 10 MB (413).
MAX_BODY_CHARS = 64 * 1024
MAX_JSON_DEPTH = 32
# Longer than any id or amount we take, far shorter than Python's 4,300-digit limit for int().
MAX_NUMBER_CHARS = 40

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


_PATH_PARAMETER = re.compile(r"\{(\w+)(\+?)\}")


def routable(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event with a rawPath Powertools can route on, whatever characters the path parameters hold."""
    _, _, template = str(event.get("routeKey", "")).partition(" ")
    parameters = event.get("pathParameters") or {}
    if not parameters or not _PATH_PARAMETER.search(template):
        return event

    def encoded(match: re.Match[str]) -> str:
        name, greedy = match.groups()
        return quote(parameters.get(name, ""), safe="/" if greedy else "")

    return {**event, "rawPath": _PATH_PARAMETER.sub(encoded, template)}


class MalformedBodyError(ValueError):
    """The body cannot be read; `kind` says why, as the error type of the 422."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def parse_json_body(text: str) -> Any:
    """`json.loads` within bounds. Strings are left out when measuring the nesting, so "[[" inside one is text."""
    structure = _JSON_STRING.sub("", text)
    depth = max(accumulate(1 if char in "[{" else -1 for char in structure if char in "[]{}"), default=0)
    if depth > MAX_JSON_DEPTH:
        raise MalformedBodyError("json_too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    # 1E+400 and NaN read as floats that are not finite; the field's own validation then names it (finite_number).
    return json.loads(text, parse_int=_int, parse_float=_float)


def _int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_CHARS:
        raise MalformedBodyError("number_too_long", f"a number longer than {MAX_NUMBER_CHARS} characters")
    return int(digits)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise MalformedBodyError("number_too_long", f"a number longer than {MAX_NUMBER_CHARS} characters")
    return float(text)


class BoundedRequestValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, with the path parameters as API Gateway decoded them, the body read within
    bounds, and every failure to read it a 422."""

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        route: Route = app.context["_route"]
        decoded: dict[str, str] = app.current_event.get("pathParameters") or {}
        app.context["_route_args"] = {
            name: decoded.get(name, value) for name, value in app.context["_route_args"].items()
        }
        if app.current_event.body and not route.dependant.body_params:
            # A route that takes no body ignores a readable one, but an unreadable one is the client's bug to hear of.
            self._get_body(app)
        return super().handler(app, next_middleware)

    def _get_body(self, app: EventHandlerInstance) -> dict[str, Any]:
        if len(app.current_event.body or "") > MAX_BODY_CHARS:
            raise _invalid_body("too_long", f"the body is larger than {MAX_BODY_CHARS} characters")
        try:
            body: dict[str, Any] = super()._get_body(app)
        except MalformedBodyError as error:
            raise _invalid_body(error.kind, str(error)) from error
        except UnicodeDecodeError as error:
            raise _invalid_body("utf8_invalid", "the body is not UTF-8") from error
        except ValueError as error:
            # Also binascii.Error (a ValueError) for base64 that does not decode, and a multipart without boundary.
            raise _invalid_body("body_invalid", type(error).__name__) from error
        return body


def _invalid_body(kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body",), "msg": message, "input": {}}])
