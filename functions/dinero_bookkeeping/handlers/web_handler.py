"""HTTP API → web function: the merchant's settings page, static files from the package (`web/`).

Public on purpose: the page holds no secret and no merchant data. It calls the configuration API with the token
the host app hands it, so everything behind it still needs the merchant's JWT. The headers keep the page to its
own origin: scripts, styles and API calls from this origin only, no inline code, no framing, no referrer.
"""

from http import HTTPStatus
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.handlers.http_api import create_app
from dinero_bookkeeping.observability import logger, tracer

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Revalidated on every load, so a deployment reaches merchants at once (the files are a few kB).
    "Cache-Control": "no-cache",
}

# Read once per cold start; only these names are ever served, so no request can reach another file.
FILES: dict[str, tuple[str, str]] = {
    path.name: (CONTENT_TYPES[path.suffix], path.read_text(encoding="utf-8"))
    for path in sorted(WEB_ROOT.iterdir())
    if path.suffix in CONTENT_TYPES
}

app = create_app()


@app.get("/app", include_in_schema=False)
def page() -> Response[str]:
    return _serve(INDEX)


@app.get("/app/<name>", include_in_schema=False)
def asset(name: str) -> Response[str]:
    return _serve(name)


def _serve(name: str) -> Response[str]:
    if name not in FILES:
        return Response(
            status_code=HTTPStatus.NOT_FOUND,
            content_type=content_types.TEXT_PLAIN,
            body="Not Found",
            headers=SECURITY_HEADERS,
        )
    content_type, body = FILES[name]
    return Response(status_code=HTTPStatus.OK, content_type=content_type, body=body, headers=SECURITY_HEADERS)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
