"""Unit tests run without a network: any socket they open is a bug (a real AWS or Dinero call) and fails the test."""

import pytest
from pytest_socket import disable_socket


@pytest.fixture(autouse=True)
def _no_sockets() -> None:
    """Per test, not per session: pytest-socket lifts every restriction when a test ends, so a session-wide
    disable_socket() would guard only the first test. That lifting also keeps the integration suite's sockets open."""
    disable_socket()
