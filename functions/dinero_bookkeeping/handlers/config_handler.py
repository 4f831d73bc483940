"""HTTP API → configuration function: integrations, templates and choices, OSS, links, orders, disconnecting Dinero.

Every route is JWT-authorized; the merchant is the token's `sub` claim, and every use case checks that what it
touches belongs to that merchant (another merchant's integration is a 404, exactly like a missing one).
"""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.handlers import (
    config_integration_routes,
    config_link_routes,
    config_order_routes,
    config_oss_routes,
    config_payment_routes,
    config_shipmondo_routes,
    config_template_routes,
)
from dinero_bookkeeping.handlers.http_api import create_app
from dinero_bookkeeping.observability import logger, metrics, tracer

app = create_app()
for routes in (
    config_integration_routes,
    config_template_routes,
    config_oss_routes,
    config_payment_routes,
    config_link_routes,
    config_order_routes,
    config_shipmondo_routes,
):
    app.include_router(routes.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
