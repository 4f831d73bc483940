"""Cold start of each handler in Lambda mode. Prints figures; asserts nothing.

  python -m infra.bench.cold_start [--runs N] [--top N]

The deployable package only (functions/ + functions/requirements.txt, built as the package test builds it), imported
in fresh interpreters with Lambda's environment (LAMBDA_TASK_ROOT set) and tracing on as deployed. For each handler
of template.yaml: the import time of its module, best and median of N interpreters; then, from one run under
`-X importtime`, which packages the time is spent in (each module's own time, summed by top-level package) and
which imports of our own code pull in the most (cumulative time of each third-party module it imports first).
"""

import argparse
import platform
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from infra.lambda_package import build_dependencies, deployed_functions, import_handler

OWN_PACKAGE = "dinero_bookkeeping"
_IMPORT_TIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$")


@dataclass
class ImportNode:
    name: str
    self_us: int
    cumulative_us: int
    children: list["ImportNode"] = field(default_factory=list)

    def walk(self) -> list["ImportNode"]:
        return [self, *(node for child in self.children for node in child.walk())]


def import_tree(report: str) -> list[ImportNode]:
    """The `-X importtime` report as trees: a module is printed after the imports it made, one level deeper."""
    pending: dict[int, list[ImportNode]] = {}
    for line in report.splitlines():
        match = _IMPORT_TIME.match(line)
        if match is None:
            continue
        self_us, cumulative_us, indent, name = match.groups()
        depth = len(indent) // 2
        node = ImportNode(name, int(self_us), int(cumulative_us), pending.pop(depth + 1, []))
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def by_package(root: ImportNode) -> Counter[str]:
    """Own import time (µs) of every module under `root`, summed by top-level package."""
    totals: Counter[str] = Counter()
    for node in root.walk():
        totals[node.name.split(".")[0]] += node.self_us
    return totals


def pulled_in_by_own_code(root: ImportNode) -> Counter[str]:
    """Cumulative time (µs) of each third-party or stdlib module that our own modules import first."""
    pulled: Counter[str] = Counter()
    for node in root.walk():
        if node.name.split(".")[0] == OWN_PACKAGE:
            for child in node.children:
                if child.name.split(".")[0] != OWN_PACKAGE:
                    pulled[child.name] += child.cumulative_us
    return pulled


def _listing(totals: Counter[str], top: int) -> str:
    return ", ".join(f"{name} {micros / 1000:.0f}" for name, micros in totals.most_common(top))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per handler (the best counts)")
    parser.add_argument("--top", type=int, default=8, help="packages and imports to name per handler")
    args = parser.parse_args()
    functions = deployed_functions()
    print(f"machine: {platform.machine()}, {platform.python_implementation()}; import time in ms")
    for function in functions:
        dependencies = build_dependencies(function.runtime)
        samples = []
        for _ in range(args.runs):
            result = import_handler(function, dependencies)
            if result.error is not None:
                raise SystemExit(f"{function.logical_id}: {result.error}")
            samples.append(result.seconds * 1000)
        profiled = import_handler(function, dependencies, ["-X", "importtime"])
        module = function.handler.rpartition(".")[0]
        (root,) = [node for node in import_tree(profiled.stderr) if node.name == module]
        print(
            f"{function.logical_id} ({function.runtime}, tracing {'on' if function.tracing_active else 'off'}): "
            f"best {min(samples):.0f}, median {statistics.median(samples):.0f} of {args.runs}; "
            f"under -X importtime {root.cumulative_us / 1000:.0f}"
        )
        print(f"  own time by package:    {_listing(by_package(root), args.top)}")
        print(f"  pulled in by our code:  {_listing(pulled_in_by_own_code(root), args.top)}")


if __name__ == "__main__":
    main()
