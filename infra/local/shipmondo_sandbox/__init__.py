"""A loopback imitation of Shipmondo's public API v3 for tests and `make run`: accounts with sales orders whose
fulfilments and payments change over time, GET /sales_orders with the filters and paging we use, webhook
registration, and webhook delivery signed as Shipmondo signs (deliveries can be dropped), faults on request.
Shapes are checked against Shipmondo's spec (vendored subset, see vendor_spec.py)."""

from infra.local.shipmondo_sandbox.server import ShipmondoSandbox
from infra.local.shipmondo_sandbox.state import ShipmondoSandboxState

__all__ = ["ShipmondoSandbox", "ShipmondoSandboxState"]
