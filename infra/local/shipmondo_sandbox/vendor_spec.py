"""Copies the schemas the Shipmondo sandbox serves and checks into `shipmondo_openapi_subset.json`.

Source: an OpenAPI 3.0 description of Shipmondo's public API v3 (https://app.shipmondo.com/api/public/v3), published
by a third party as a client generator input ("A unofficial thirdparty library for shipmondo api"); the project's
shared material holds a copy. Schemas are copied unchanged; nothing outside the project is read at run or test
time. Re-run when the spec changes:

    python -m infra.local.shipmondo_sandbox.vendor_spec path/to/openapi.yaml
"""

import argparse
import json
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

SUBSET_PATH = Path(__file__).with_name("shipmondo_openapi_subset.json")
SCHEMA_PREFIX = "#/components/schemas/"
SCHEMAS = ("SalesOrder", "Webhook", "WebhookCreate", "account_200_response")


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {str(node["$ref"]).removeprefix(SCHEMA_PREFIX)} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def build_subset(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    wanted: set[str] = set()
    pending = set(SCHEMAS)
    while pending:
        name = pending.pop()
        wanted.add(name)
        pending |= _refs(schemas[name]) - wanted
    parameters = {
        name: [param["name"] for param in spec["paths"][path]["get"]["parameters"]]
        for name, path in (("sales_orders", "/sales_orders"), ("webhooks", "/webhooks"))
    }
    return {
        "source": "Shipmondo public API v3, third-party OpenAPI description (see vendor_spec.py)",
        "query_parameters": parameters,
        "components": {"schemas": {name: schemas[name] for name in sorted(wanted)}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", type=Path)
    spec = yaml_parse(parser.parse_args().spec.read_text(encoding="utf-8"))
    SUBSET_PATH.write_text(
        json.dumps(build_subset(spec), indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
