"""A loopback imitation of Dinero's API and Visma Connect (Dinero's OAuth server) for tests, `make run` and benches.

    with DineroSandbox() as sandbox:            # demo data: see SandboxState.with_demo_data
        tokens = sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
        requests.get(f"{sandbox.url}/v1/organizations", headers={"Authorization": f"Bearer {tokens.access_token}"})

It validates bodies against Dinero's official spec (vendored subset), computes totals, enforces timestamps, Pro,
organization access and the rate limit, and can inject faults (`sandbox.faults.add(...)`).
Run it alone with `python -m infra.local.dinero_sandbox [--port N]`.
"""

from infra.local.dinero_sandbox.demo_data import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_NON_PRO_ORG_ID,
    DEMO_OTHER_ORG_ID,
    DEMO_OTHER_USER,
    DEMO_PRO_ORG_ID,
    DEMO_USER,
)
from infra.local.dinero_sandbox.faults import FaultKind
from infra.local.dinero_sandbox.oauth_tokens import TokenPair
from infra.local.dinero_sandbox.server import DineroSandbox
from infra.local.dinero_sandbox.state import DINERO_SCOPE, RequestLogEntry, SandboxState

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_NON_PRO_ORG_ID",
    "DEMO_OTHER_ORG_ID",
    "DEMO_OTHER_USER",
    "DEMO_PRO_ORG_ID",
    "DEMO_USER",
    "DINERO_SCOPE",
    "DineroSandbox",
    "FaultKind",
    "RequestLogEntry",
    "SandboxState",
    "TokenPair",
]
