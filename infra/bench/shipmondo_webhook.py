"""Benchmark of Shipmondo webhook ingest on the embedded runtime: how long a delivery waits for its answer (Shipmondo
gives up after 3 seconds). Prints figures; asserts nothing.

  python -m infra.bench.shipmondo_webhook [--deliveries N]

Each delivery is a signed create_fulfillment message for a sample order, posted over loopback HTTP to the local
gateway: the handler reads the hook, decrypts the merchant's webhook key (KMS, once per warm function), verifies
the JWT, maps the order and sends the event to SQS (moto). Cold start is infra.bench.cold_start's.
"""

import argparse
import platform
import statistics
import time
from typing import Any

import requests

from infra.local.demo import MERCHANT, MerchantApi
from infra.local.demo_shipmondo import API_USER, WEBHOOK_KEY, connect_shipmondo, sandbox_orders
from infra.local.shipmondo_sandbox.delivery import signed_body
from infra.local.system import LocalSystem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=200)
    deliveries = parser.parse_args().deliveries
    with LocalSystem(environment={"POWERTOOLS_LOG_LEVEL": "WARNING"}) as system:
        connect_shipmondo(system, MerchantApi(system.gateway_url, system.merchant_token(MERCHANT)))
        state = system.shipmondo.state
        order = state.add_order(API_USER, sandbox_orders()[0])
        state.drop_deliveries(1)
        state.fulfil(API_USER, order["id"])
        hook: dict[str, Any] = next(
            hook for hook in state.accounts[API_USER].webhooks.values() if hook["action"] == "create_fulfillment"
        )
        body = signed_body(hook, state.accounts[API_USER].orders[order["id"]], WEBHOOK_KEY)
        headers = {
            "Content-Type": "application/json",
            "SMD-Action": "create_fulfillment",
            "SMD-Resource-Type": "Orders",
        }
        session = requests.Session()
        timings: list[float] = []
        for _ in range(deliveries):
            started = time.perf_counter()
            response = session.post(hook["endpoint"], data=body, headers=headers, timeout=10)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"delivery answered {response.status_code}: {response.text[:200]}")
    warm = sorted(timings[1:])
    print(f"Shipmondo webhook ingest, {deliveries} deliveries over loopback ({platform.python_version()})")
    print(f"  first delivery (cold caches: KMS decrypt, imports): {timings[0]:.1f} ms")
    print(
        f"  warm: median {statistics.median(warm):.1f} ms, p95 {warm[int(len(warm) * 0.95) - 1]:.1f} ms, "
        f"max {warm[-1]:.1f} ms (Shipmondo's limit: 3000 ms)"
    )


if __name__ == "__main__":
    main()
