"""Infrastructure tests read template.yaml and run moto in-process: nothing here may open a socket."""

import pytest
from pytest_socket import disable_socket


@pytest.fixture(autouse=True)
def _no_sockets() -> None:
    """Per test: pytest-socket lifts the restriction when each test ends (see tests/unit/conftest.py)."""
    disable_socket()
