"""Validation against the vendored subset of Shipmondo's spec (see vendor_spec.py for its source)."""

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft7Validator

SUBSET_FILE = "shipmondo_openapi_subset.json"


@cache
def spec_subset() -> dict[str, Any]:
    subset: dict[str, Any] = json.loads(resources.files(__package__).joinpath(SUBSET_FILE).read_text(encoding="utf-8"))
    return subset


@cache
def _validator(schema_name: str) -> Draft7Validator:
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": spec_subset()["components"]}
    return Draft7Validator(root, format_checker=Draft7Validator.FORMAT_CHECKER)


def _without_nulls(node: Any) -> Any:
    """Shipmondo sends null for absent values while the spec marks nothing nullable: nulls are not checked."""
    if isinstance(node, dict):
        return {key: _without_nulls(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_without_nulls(item) for item in node]
    return node


def schema_errors(schema_name: str, instance: Any) -> list[str]:
    """Each way `instance` breaks the schema, as "path: rule" (never the value)."""
    return [
        f"{'.'.join(map(str, error.absolute_path)) or 'body'}: {error.validator}"
        for error in _validator(schema_name).iter_errors(_without_nulls(instance))
    ]


def query_parameters(collection: str) -> frozenset[str]:
    return frozenset(spec_subset()["query_parameters"][collection])
