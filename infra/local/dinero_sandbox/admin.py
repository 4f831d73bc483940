"""/_sandbox/...: the test switches and the state, over HTTP (for tools outside the test process)."""

from typing import Any

from infra.local.dinero_sandbox.faults import FaultRegistry
from infra.local.dinero_sandbox.messages import Response, SandboxRequest, json_response, parse_json
from infra.local.dinero_sandbox.state import SandboxState

_FAULT_FIELDS = ("method", "path", "kind", "status", "times", "seconds")


def _json_object(request: SandboxRequest) -> dict[str, Any]:
    body = parse_json(request.body) if request.body.strip() else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def handle(state: SandboxState, faults: FaultRegistry, request: SandboxRequest) -> Response:
    route = (request.method, request.path.removeprefix("/_sandbox").rstrip("/"))
    try:
        if route == ("GET", "/state"):
            return json_response(200, state.snapshot() | {"faults": [f.as_json() for f in faults.pending()]})
        if route == ("POST", "/reset"):
            state.reset()
            faults.clear()
        elif route == ("POST", "/faults"):
            body = _json_object(request)
            unknown = body.keys() - set(_FAULT_FIELDS)
            if unknown:
                raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
            return json_response(201, faults.add(**body).as_json())
        elif route == ("DELETE", "/faults"):
            faults.clear()
        elif route == ("POST", "/expire-access-tokens"):
            state.expire_access_tokens()
        elif route == ("POST", "/revoke-consent"):
            state.revoke_consent(str(_json_object(request).get("user")))
        else:
            return json_response(404, {"error": "unknown sandbox endpoint"})
    except (TypeError, ValueError) as error:
        return json_response(400, {"error": str(error)})
    return json_response(200, {"ok": True})
