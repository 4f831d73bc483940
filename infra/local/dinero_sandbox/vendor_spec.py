"""Copies the parts of Dinero's official OpenAPI spec the sandbox serves into `dinero_openapi_subset.json`.

Source: Dinero's official OpenAPI 3.1 document, published at https://api.dinero.dk/openapi/v1/swagger.json
(the project's shared material holds a copy). Schemas are copied unchanged; the sandbox reads only the subset,
so nothing outside the project is needed at run or test time. Re-run after Dinero changes its spec:

    python -m infra.local.dinero_sandbox.vendor_spec path/to/openapi.json
"""

import argparse
import json
from pathlib import Path
from typing import Any

SPEC_URL = "https://api.dinero.dk/openapi/v1/swagger.json"
SUBSET_PATH = Path(__file__).with_name("dinero_openapi_subset.json")
SCHEMA_PREFIX = "#/components/schemas/"

# Every operation the sandbox serves, keyed the way the spec names it.
OPERATIONS = (
    ("GET", "/v1/organizations"),
    ("GET", "/v1/{organizationId}/accounts/entry"),
    ("GET", "/v1/{organizationId}/vatTypes"),
    ("GET", "/v1/{organizationId}/invoices/templates"),
    ("GET", "/v1/{organizationId}/sales/settings"),
    ("GET", "/v1/{organizationId}/contacts"),
    ("POST", "/v1/{organizationId}/contacts"),
    ("GET", "/v1/{organizationId}/contacts/{guid}"),
    ("GET", "/v1/{organizationId}/invoices"),
    ("POST", "/v1/{organizationId}/invoices"),
    ("POST", "/v1/{organizationId}/invoices/fetch"),
    ("GET", "/v1/{organizationId}/invoices/{guid}"),
    ("DELETE", "/v1/{organizationId}/invoices/{guid}"),
    ("POST", "/v1/{organizationId}/invoices/{guid}/book"),
    ("GET", "/v1/{organizationId}/accounts/deposit"),
    ("GET", "/v2/{organizationId}/invoices/{guid}/payments"),
    ("POST", "/v1/{organizationId}/invoices/{guid}/payments"),
    ("POST", "/v1/{organizationId}/invoices/{guid}/generate-creditnote"),
    ("POST", "/v1/{organizationId}/sales/creditnotes"),
    ("POST", "/v1/{organizationId}/sales/creditnotes/fetch"),
    ("GET", "/v1/{organizationId}/sales/creditnotes/{guid}"),
    ("POST", "/v1/{organizationId}/sales/creditnotes/{guid}/book"),
    ("GET", "/v1/{organizationId}/sales/creditnotes/{guid}/payments"),
    ("POST", "/v1/{organizationId}/sales/creditnotes/{guid}/payments"),
)


def _schema_name(media: dict[str, Any] | None) -> str | None:
    """The component a JSON body refers to; array bodies name their item schema."""
    if not media:
        return None
    schema = media.get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return str(ref).removeprefix(SCHEMA_PREFIX) if ref else None


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {str(node["$ref"]).removeprefix(SCHEMA_PREFIX)} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def build_subset(spec: dict[str, Any]) -> dict[str, Any]:
    operations: dict[str, dict[str, Any]] = {}
    for method, path in OPERATIONS:
        operation = spec["paths"][path][method.lower()]
        response = operation["responses"]["200"].get("content", {}).get("application/json")
        operations[f"{method} {path}"] = {
            "request": _schema_name(operation.get("requestBody", {}).get("content", {}).get("application/json")),
            "response": _schema_name(response),
            "response_is_array": bool(response and response.get("schema", {}).get("type") == "array"),
        }
    all_schemas = spec["components"]["schemas"]
    pending = {name for op in operations.values() for name in (op["request"], op["response"]) if name}
    schemas: dict[str, Any] = {}
    while pending:
        name = pending.pop()
        schemas[name] = all_schemas[name]
        pending |= _refs(all_schemas[name]) - schemas.keys()
    return {
        "source": f"Dinero's official OpenAPI spec ({SPEC_URL}), info.version {spec['info']['version']}; "
        "copied unchanged by infra/local/dinero_sandbox/vendor_spec.py",
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Vendor the Dinero spec subset the sandbox validates against.")
    parser.add_argument("spec", type=Path, help="path to Dinero's openapi.json")
    args = parser.parse_args(argv)
    subset = build_subset(json.loads(args.spec.read_text(encoding="utf-8")))
    SUBSET_PATH.write_text(json.dumps(subset, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(subset['components']['schemas'])} schemas to {SUBSET_PATH}")


if __name__ == "__main__":
    main()
