"""A fresh sandbox with demo data per test: tests change its state and arm faults, so none is shared."""

from collections.abc import Iterator

import pytest

from infra.local.dinero_sandbox import DineroSandbox


@pytest.fixture
def sandbox() -> Iterator[DineroSandbox]:
    with DineroSandbox() as running:
        yield running
