"""What an organization-scoped Dinero endpoint gets, and the helpers they share."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.local.dinero_sandbox.messages import NOT_FOUND, ApiError, Json, SandboxRequest, parse_json, validation_error
from infra.local.dinero_sandbox.organization import Organization
from infra.local.dinero_sandbox.spec_schemas import request_schema, schema_errors
from infra.local.dinero_sandbox.state import SandboxState


@dataclass(frozen=True)
class ApiContext:
    state: SandboxState
    organization: Organization
    request: SandboxRequest
    path_params: dict[str, str]

    def body(self, operation: str, *, required: bool = True) -> Json:
        """The JSON body, checked against the operation's request schema in Dinero's spec (unknown keys ignored)."""
        if not self.request.body.strip():
            if required:
                raise validation_error({"body": "a JSON body is required"})
            return {}
        try:
            body = parse_json(self.request.body)
        except ValueError:
            raise validation_error({"body": "is not valid JSON"}) from None
        schema = request_schema(operation)
        errors = schema_errors(schema, body) if schema else {}
        if errors:
            raise validation_error(errors)
        if not isinstance(body, dict):
            raise validation_error({"body": "must be a JSON object"})
        return body

    def guid_param(self, what: str) -> str:
        """The path's {guid}, normalised; a malformed one is a 404 like an unknown one (ASSUMPTION)."""
        guid = parse_guid(self.path_params["guid"])
        if guid is None:
            raise ApiError(404, NOT_FOUND, f"The {what} was not found")
        return guid


def parse_guid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
