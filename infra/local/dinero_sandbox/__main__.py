"""`python -m infra.local.dinero_sandbox [--port N]`: the sandbox with demo data, until Ctrl-C."""

import argparse
import contextlib
import threading

from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_NON_PRO_ORG_ID, DEMO_PRO_ORG_ID, DEMO_USER, DineroSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.local.dinero_sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    args = parser.parse_args(argv)
    with DineroSandbox(port=args.port) as sandbox:
        print(sandbox.url, flush=True)
        print(
            f"Dinero sandbox: Visma Connect at {sandbox.url}/connect, Dinero API at {sandbox.url}/v1; "
            f"client_id {DEMO_CLIENT_ID}, user {DEMO_USER}, Pro organization {DEMO_PRO_ORG_ID}, "
            f"non-Pro organization {DEMO_NON_PRO_ORG_ID}. Ctrl-C stops it.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
