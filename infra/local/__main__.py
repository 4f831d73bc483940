"""`make run`: start the whole system locally, run the demo, keep serving until Ctrl-C.

Ports: LOCAL_GATEWAY_PORT (default 8000), LOCAL_MOTO_PORT (5005), LOCAL_SANDBOX_PORT (8100); 0 picks free ones.
With DINERO_API_URL and VISMA_CONNECT_URL (and the client id, secret and redirect URL) set, real Dinero is used.
"""

import os
import signal
import threading
from datetime import UTC, datetime, timedelta

from infra.local.demo import MERCHANT, run_demo
from infra.local.system import DineroEndpoints, LocalSystem


def main() -> None:
    dinero = DineroEndpoints.from_environment()
    system = LocalSystem(
        dinero=dinero,
        gateway_port=int(os.environ.get("LOCAL_GATEWAY_PORT", "8000")),
        moto_port=int(os.environ.get("LOCAL_MOTO_PORT", "5005")),
        sandbox_port=int(os.environ.get("LOCAL_SANDBOX_PORT", "8100")),
        environment={"POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING")},
    )
    with system:
        if system.sandbox is not None:
            print(f"Dinero sandbox: {system.sandbox.url}. Running the demo...\n")
            run_demo(system)
        elif dinero is not None:
            print(
                f"Dinero: {dinero.api_url}. Connect with POST {system.gateway_url}/oauth/connect (see below), then "
                f'POST {system.gateway_url}/oauth/complete {{"handle": …}} with the handle of the redirect to APP_URL.'
            )
        system.start_pollers()
        system.scheduler.start()  # the Shipmondo catch-up poll, at the template's rate
        _print_serving(system)
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()
        print("\nstopping")


def _print_serving(system: LocalSystem) -> None:
    assert system.resources is not None
    token = system.merchant_token(MERCHANT)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    week_ago = (datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)).isoformat()
    print(
        f"""
Serving until Ctrl-C.
  Settings page (open in a browser):        {system.settings_page_url(MERCHANT)}
  API (HTTP API routes of template.yaml):  {system.gateway_url}
    e.g. curl -H 'Authorization: Bearer {token}' {system.gateway_url}/integrations
  OAuth callback:                           {system.gateway_url}/oauth/callback
  moto (DynamoDB, SQS, KMS):                {system.moto_endpoint}
  Shipmondo sandbox:                        {system.shipmondo.url}
  order queue:                              {system.resources.order_queue_url}
  dead-letter queue:                        {system.resources.order_dead_letter_queue_url}
Operator tools against this runtime (another terminal):
  export AWS_ENDPOINT_URL={system.moto_endpoint} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
         AWS_DEFAULT_REGION=eu-west-1 TABLE_NAME={system.resources.table_name} \\
         ORDER_QUEUE_URL={system.resources.order_queue_url} \\
         ORDER_DEAD_LETTER_QUEUE_URL={system.resources.order_dead_letter_queue_url} \\
         TOKEN_KEY_ID={system.resources.token_key_id} SHIPMONDO_API_URL={system.shipmondo.url}
  .venv/bin/dinero-bookkeeping send-order tests/data/orders/with_discount.json
  .venv/bin/dinero-bookkeeping failed
  .venv/bin/dinero-bookkeeping backfill {MERCHANT} --from {week_ago} --to {now}
  .venv/bin/dinero-bookkeeping --help"""
    )


if __name__ == "__main__":
    main()
