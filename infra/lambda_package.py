"""The deployable Lambda package, built and imported as Lambda would: used by the package test and the cold-start bench.

`sam build` makes the package from `functions/` and `functions/requirements.txt` alone, so nothing the dev venv
happens to have installed may help it import. `build_dependencies` installs a requirements file with pip into a
fresh directory using the template's runtime (python3.12), cached under .venv/ by the file's hash, so only the first
run needs the package index. `import_handler` imports one `Handler:` of template.yaml in a clean interpreter (`-S`:
no site-packages; an environment built from scratch) with Lambda's variables, the function's own variables and
tracing as deployed (POWERTOOLS_TRACE_DISABLED unset, so Powertools' Tracer really loads the X-Ray SDK).
"""

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.aws_resources import load_template

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = REPO_ROOT / "functions"
REQUIREMENTS = FUNCTIONS_DIR / "requirements.txt"
TEMPLATE = REPO_ROOT / "template.yaml"
CACHE_ROOT = REPO_ROOT / ".venv" / "lambda-packages"
REGION = "eu-west-1"

# Runs in the clean interpreter: times the handler's import alone (json is loaded after the clock stops). The
# `__import__` statement path, unlike importlib.import_module, is what `-X importtime` reports.
_IMPORT_HANDLER = """
import sys, time
module_name, _, attribute = sys.argv[1].rpartition(".")
started = time.perf_counter()
__import__(module_name)
handler = getattr(sys.modules[module_name], attribute)
seconds = time.perf_counter() - started
import json
files = {name: module.__file__ for name, module in list(sys.modules.items()) if getattr(module, "__file__", None)}
print(json.dumps({"seconds": seconds, "callable": callable(handler), "module_files": files}))
"""


class PackageBuildError(Exception):
    """pip could not install the requirements into the package directory."""


@dataclass(frozen=True)
class DeployedFunction:
    logical_id: str
    handler: str  # "package.module.function", as in the template
    runtime: str  # "python3.12"
    environment: dict[str, str]  # the template's variables; deploy-time values replaced by parameter defaults/dummies
    tracing_active: bool


@dataclass(frozen=True)
class ImportResult:
    error: str | None  # the traceback's last line, e.g. "ModuleNotFoundError: No module named 'aws_xray_sdk'"
    seconds: float  # the import of the handler's module and its dependencies
    handler_is_callable: bool
    module_files: dict[str, str]  # every loaded module that has a file -> its path
    stderr: str  # the traceback, or the `-X importtime` report


# Deployed with X-Ray tracing on: the mode whose imports are the heaviest (the tracer loads the X-Ray SDK).
TRACING_ON = {"Tracing": "Active"}


def deployed_functions(
    template_path: Path = TEMPLATE, parameters: Mapping[str, str] = TRACING_ON
) -> list[DeployedFunction]:
    """Every AWS::Serverless::Function of the template with its Globals applied, deployed with `parameters` (the
    others at their defaults)."""
    template = load_template(template_path)
    values = {
        name: str(parameters.get(name, declared.get("Default", "")))
        for name, declared in template.get("Parameters", {}).items()
    }
    mappings: Mapping[str, Any] = template.get("Mappings", {})
    defaults: Mapping[str, Any] = template.get("Globals", {}).get("Function", {})
    functions = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        own: Mapping[str, Any] = resource.get("Properties", {})
        properties = {**defaults, **own}
        variables = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **own.get("Environment", {}).get("Variables", {}),
        }
        functions.append(
            DeployedFunction(
                logical_id=logical_id,
                handler=str(properties["Handler"]),
                runtime=str(properties["Runtime"]),
                environment={name: _stand_in(name, value, values, mappings) for name, value in variables.items()},
                tracing_active=_stand_in("Tracing", properties.get("Tracing"), values, mappings) == "Active",
            )
        )
    return functions


def lambda_python(runtime: str) -> Path:
    """The runtime's interpreter outside any virtual environment (the dev venv's own base when it is that version)."""
    version = runtime.removeprefix("python")
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return Path(sys.base_prefix) / "bin" / f"python{version}"
    found = shutil.which(f"python{version}")
    if found is None:
        raise PackageBuildError(f"{runtime} is not installed: the package must be built and imported with it")
    return Path(found)


def build_dependencies(runtime: str, requirements: Path = REQUIREMENTS, cache_root: Path = CACHE_ROOT) -> Path:
    """A directory with `requirements` installed by pip, as `sam build` puts them beside the code."""
    python = lambda_python(runtime)
    key = hashlib.sha256(
        b"\0".join([requirements.read_bytes(), runtime.encode(), platform.machine().encode()])
    ).hexdigest()[:16]
    target = cache_root / key
    if target.is_dir():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    # Built beside the cache and renamed into place, so an interrupted build never looks complete.
    with tempfile.TemporaryDirectory(dir=cache_root, prefix=f"{key}.building-") as staging:
        built = Path(staging) / "package"
        command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"]
        completed = subprocess.run(
            [*command, "--target", str(built), "-r", str(requirements)], capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise PackageBuildError(f"pip install -r {requirements} failed:\n{completed.stdout}{completed.stderr}")
        try:
            built.rename(target)
        except OSError:
            if not target.is_dir():  # else another run finished the same build first
                raise
    return target


def lambda_environment(function: DeployedFunction, dependencies: Path) -> dict[str, str]:
    """What Lambda sets for the function (code root first on the path, then its dependencies), and nothing else."""
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(dependencies)]),
        "LAMBDA_TASK_ROOT": str(FUNCTIONS_DIR),
        "_HANDLER": function.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        **function.environment,
    }
    if function.tracing_active:
        environment |= {"AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR", "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000"}
    return environment


def import_handler(function: DeployedFunction, dependencies: Path, python_options: Sequence[str] = ()) -> ImportResult:
    """Imports the function's handler in a fresh interpreter that sees only the package."""
    completed = subprocess.run(
        [str(lambda_python(function.runtime)), "-S", *python_options, "-c", _IMPORT_HANDLER, function.handler],
        env=lambda_environment(function, dependencies),
        cwd=FUNCTIONS_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines()
        return ImportResult(lines[-1] if lines else f"exit {completed.returncode}", 0.0, False, {}, completed.stderr)
    report = json.loads(completed.stdout)
    return ImportResult(None, report["seconds"], report["callable"], report["module_files"], completed.stderr)


def _stand_in(name: str, value: Any, parameters: Mapping[str, str], mappings: Mapping[str, Any]) -> str:
    """A literal stays; a parameter reference and a mapping look-up take the deployed value; anything resolved only
    at deploy time (a resource's name or ARN) gets a dummy."""
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and set(value) == {"Ref"} and parameters.get(value["Ref"]):
        return parameters[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::FindInMap"}:
        mapping, key, attribute = (_stand_in(name, part, parameters, mappings) for part in value["Fn::FindInMap"])
        return str(mappings[mapping][key][attribute])
    return f"dummy-{name.lower().replace('_', '-')}"
