"""Integration fixtures: one moto server per session, a fresh LocalSystem (resources, sandbox, gateway) per test."""

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from infra.local.system import LocalSystem


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def system(moto_endpoint: str) -> Iterator[LocalSystem]:
    """The whole system over loopback: handlers behind the HTTP gateway and the SQS poller, Dinero sandbox."""
    # Transient failures come back at once instead of after the deployed back-off (10 s, 20 s, ...).
    with LocalSystem(moto_endpoint=moto_endpoint, environment={"RETRY_BASE_DELAY_SECONDS": "0"}) as local:
        yield local
