"""Infrastructure tests read template.yaml and run moto in-process: nothing here may open a socket."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_socket import disable_socket
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_sockets() -> None:
    """Per test: pytest-socket lifts the restriction when each test ends (see tests/unit/conftest.py)."""
    disable_socket()


class _NoManagedPolicies:
    """The translator asks IAM for managed policy names; the template uses ARNs and policy templates only."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def expanded_template() -> Iterator[dict[str, Any]]:
    """The whole template as the SAM translator expands it (Parameters, Mappings, Resources, Outputs)."""
    template = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))
    # The translator only accepts S3 code locations; `sam build`/`package` does that replacement for real.
    template["Globals"]["Function"]["CodeUri"] = "s3://placeholder-bucket/functions.zip"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        yield transform(template, {}, _NoManagedPolicies())
