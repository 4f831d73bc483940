"""The deployable package (functions/ + functions/requirements.txt alone, as `sam build` makes it) imports every
`Handler:` of template.yaml in a clean interpreter with Lambda's environment and tracing on.

The first run installs the requirements with pip (it needs the package index); later runs reuse the build cached
under .venv/lambda-packages/ by the requirements' hash.
"""

from pathlib import Path

import pytest

from infra.lambda_package import (
    REQUIREMENTS,
    DeployedFunction,
    build_dependencies,
    deployed_functions,
    import_handler,
)

FUNCTIONS = deployed_functions()


def _without_tracer_extra(requirements: str) -> str:
    """The requirements as they were before the X-Ray SDK was added (issue 8)."""
    lines = requirements.replace("aws-lambda-powertools[tracer]==", "aws-lambda-powertools==").splitlines()
    return "\n".join(line for line in lines if not line.startswith("aws-xray-sdk")) + "\n"


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda function: function.logical_id)
def test_handler_when_imported_from_the_deployable_package_alone_loads(function: DeployedFunction) -> None:
    # Given: the package built from functions/requirements.txt alone
    dependencies = build_dependencies(function.runtime)

    # When: the template's handler is imported the way Lambda does
    result = import_handler(function, dependencies)

    # Then: it imports, the Tracer loaded the X-Ray SDK from the package, and no site-packages took part
    assert result.error is None, result.stderr
    assert result.handler_is_callable
    assert Path(result.module_files["aws_xray_sdk"]).is_relative_to(dependencies)
    assert [path for path in result.module_files.values() if "site-packages" in path] == []


def test_handlers_when_the_package_lacks_the_tracer_extra_fail_to_import(tmp_path: Path) -> None:
    # Given: a package built from the requirements without Powertools' tracer extra
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(_without_tracer_extra(REQUIREMENTS.read_text(encoding="utf-8")), encoding="utf-8")
    assert FUNCTIONS, "template.yaml names no function handlers"

    # When: every handler of the template is imported from it
    errors = {
        function.logical_id: import_handler(function, build_dependencies(function.runtime, requirements)).error
        for function in FUNCTIONS
    }

    # Then: each fails on the missing runtime dependency, as it would in Lambda
    missing = "ModuleNotFoundError: No module named 'aws_xray_sdk'"
    assert errors == {function.logical_id: missing for function in FUNCTIONS}
