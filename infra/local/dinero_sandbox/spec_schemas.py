"""Validation against the vendored subset of Dinero's official spec (see vendor_spec.py for its source)."""

import copy
import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from infra.local.dinero_sandbox.messages import Json

SUBSET_FILE = "dinero_openapi_subset.json"


@cache
def spec_subset() -> Json:
    text = resources.files(__package__).joinpath(SUBSET_FILE).read_text(encoding="utf-8")
    subset: Json = json.loads(text)
    return subset


def _without_closed_objects(node: Any) -> Any:
    """The spec declares additionalProperties false, but real Dinero silently ignores unknown properties."""
    if isinstance(node, dict):
        return {key: _without_closed_objects(value) for key, value in node.items() if key != "additionalProperties"}
    if isinstance(node, list):
        return [_without_closed_objects(item) for item in node]
    return node


@cache
def _validator(schema_name: str, allow_unknown_properties: bool) -> Draft202012Validator:
    components = spec_subset()["components"]
    if allow_unknown_properties:
        components = _without_closed_objects(copy.deepcopy(components))
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def request_schema(operation: str) -> str | None:
    """The request body schema of an operation such as "POST /v1/{organizationId}/invoices"."""
    name = spec_subset()["operations"][operation]["request"]
    return str(name) if name else None


def _field_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: Any) -> str:
    # Messages name the rule, never the rejected value: bodies carry personal data, and clients log errors.
    keyword, expected = error.validator, error.validator_value
    if keyword == "type":
        return f"must be of type {' or '.join(expected) if isinstance(expected, list) else expected}"
    if keyword in ("maxLength", "minLength"):
        return f"must be {'at most' if keyword == 'maxLength' else 'at least'} {expected} characters long"
    if keyword == "format":
        return f"must be a valid {expected}"
    if keyword == "additionalProperties":
        return "is not a known property"
    return f"is invalid ({keyword})"


def schema_errors(schema_name: str, instance: Any, *, allow_unknown_properties: bool = True) -> dict[str, str]:
    """Field path (for example "ProductLines[0].Quantity") → message, for every way `instance` breaks the schema."""
    errors: dict[str, str] = {}
    for error in _validator(schema_name, allow_unknown_properties).iter_errors(instance):
        parent = list(error.absolute_path)
        if error.validator == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    errors.setdefault(_field_path([*parent, name]), "is required")
        elif error.validator == "additionalProperties":
            for name in error.instance.keys() - error.schema.get("properties", {}).keys():
                errors.setdefault(_field_path([*parent, name]), _message(error))
        else:
            errors.setdefault(_field_path(parent) or "body", _message(error))
    return errors
