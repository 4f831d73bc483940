"""EventBridge schedules for the local runtime: each scheduled function is invoked with a scheduled event, on demand
(`run_all`, for tests and the demo) or every `interval_s` in a background thread (`make run`)."""

import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from infra.local.lambda_context import DEFAULT_REGION, LOCAL_ACCOUNT_ID, LambdaHandler, new_context

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours)\)$")


def rate_seconds(expression: str) -> int:
    match = _RATE.match(expression)
    if match is None:
        raise ValueError(f"only rate(N minutes|hours) schedules run locally, got {expression!r}")
    return int(match.group(1)) * (60 if match.group(2).startswith("minute") else 3600)


@dataclass(frozen=True)
class ScheduledFunction:
    name: str
    handler: LambdaHandler
    expression: str
    timeout_s: float

    def invoke(self) -> Any:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": LOCAL_ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": DEFAULT_REGION,
            "resources": [f"arn:aws:events:{DEFAULT_REGION}:{LOCAL_ACCOUNT_ID}:rule/{self.name}"],
            "detail": {},
        }
        return self.handler(event, new_context(self.name, self.timeout_s))


class LocalScheduler:
    def __init__(self, functions: Sequence[ScheduledFunction]) -> None:
        self.functions = list(functions)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def run_all(self) -> list[Any]:
        return [function.invoke() for function in self.functions]

    def start(self, interval_s: float | None = None) -> None:
        for function in self.functions:
            every = interval_s if interval_s is not None else rate_seconds(function.expression)
            thread = threading.Thread(target=self._loop, args=(function, every), name=function.name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _loop(self, function: ScheduledFunction, every: float) -> None:
        while not self._stop.wait(every):
            try:
                function.invoke()
            except Exception:  # a failed run is the function's to report; the schedule goes on
                continue
