"""Writes infra/api/openapi.json, the HTTP API's OpenAPI document, generated from the handlers' routes and models.

    python -m infra.api.generate_openapi            rewrite the committed document
    python -m infra.api.generate_openapi --check    exit 1 if the committed document differs from the code

The document is committed so API changes show up in review; a unit test fails when it drifts from the code.
"""

import argparse
import sys
from pathlib import Path

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, SecurityScheme

from dinero_bookkeeping.handlers import config_handler, oauth_handler, shipmondo_webhook_handler
from dinero_bookkeeping.handlers.http_api import MERCHANT_JWT

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")
TITLE = "Dinero bookkeeping"
API_VERSION = "1.0.0"
DESCRIPTION = (
    "Connect Dinero (Visma Connect OAuth) and configure how a webshop's handled orders become Dinero invoices: "
    "accounting integrations, templates, webshop links and the order history; connect Shipmondo, whose webhooks "
    "are received on a public route."
)
SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    MERCHANT_JWT: HTTPBearer(
        bearerFormat="JWT",
        description="The merchant's JWT, checked by the HTTP API's JWT authorizer; `sub` is the merchant id.",
    )
}


def document() -> str:
    """The OpenAPI document of both functions behind the HTTP API, as the JSON text that is committed."""
    merged = OpenAPIMerge(
        title=TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        security_schemes=SECURITY_SCHEMES,
        on_conflict="error",
    )
    for app in (oauth_handler.app, config_handler.app, shipmondo_webhook_handler.app):
        schema = app.get_openapi_schema(security_schemes=SECURITY_SCHEMES)
        merged.add_schema(schema.model_dump(by_alias=True, exclude_none=True))
    return merged.get_openapi_json_schema() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the file is out of date")
    arguments = parser.parse_args(argv)
    current = document()
    if arguments.check:
        if not DOCUMENT_PATH.exists() or DOCUMENT_PATH.read_text(encoding="utf-8") != current:
            print(f"{DOCUMENT_PATH} is out of date: run python -m infra.api.generate_openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT_PATH.write_text(current, encoding="utf-8")
    print(f"wrote {DOCUMENT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
