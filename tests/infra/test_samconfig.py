"""samconfig.toml's deploy environments against the template's parameters."""

import tomllib
from pathlib import Path
from typing import Any

import pytest

from infra.local.aws_resources import load_template

REPO_ROOT = Path(__file__).resolve().parents[2]


def _deploy_settings(environment: str) -> dict[str, Any]:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    settings: dict[str, Any] = config[environment]["deploy"]["parameters"]
    return settings


def _overrides(settings: dict[str, Any]) -> dict[str, str]:
    pairs = (item.partition("=") for item in settings["parameter_overrides"])
    return {key: value for key, _, value in pairs}


@pytest.mark.parametrize("environment", ["default", "prod"])
def test_samconfig_parameter_overrides_when_compared_to_template_cover_every_required_parameter(
    environment: str,
) -> None:
    # Given: the template's parameters
    parameters = load_template(REPO_ROOT / "template.yaml")["Parameters"]
    required = {name for name, parameter in parameters.items() if "Default" not in parameter}

    # When: the environment's parameter overrides are read
    overrides = _overrides(_deploy_settings(environment))

    # Then: each names a template parameter, and none that the template requires is missing
    assert set(overrides) <= set(parameters)
    assert required <= set(overrides)


@pytest.mark.parametrize(
    ("environment", "stack", "stage", "confirm"),
    [("default", "dinero-bookkeeping-dev", "dev", False), ("prod", "dinero-bookkeeping-prod", "prod", True)],
)
def test_samconfig_environment_when_read_deploys_its_own_stack_and_stage(
    environment: str, stack: str, stage: str, confirm: bool
) -> None:
    # Given: samconfig.toml
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text(encoding="utf-8"))

    # When: the environment's settings are read
    deploy = config[environment]["deploy"]["parameters"]

    # Then: its own stack and stage; production changes are confirmed by a person
    assert config[environment]["global"]["parameters"]["stack_name"] == stack
    assert _overrides(deploy)["Stage"] == stage
    assert deploy["confirm_changeset"] is confirm
    assert (deploy["capabilities"], deploy["region"], deploy["resolve_s3"]) == ("CAPABILITY_IAM", "eu-west-1", True)
