"""Per-request fault injection: answer a status, delay, or commit and then drop the connection."""

import threading
from dataclasses import asdict, dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any


class FaultKind(StrEnum):
    STATUS = "status"  # answer `status` at once, before any processing (429 gets a Retry-After of `seconds`)
    DELAY = "delay"  # sleep `seconds`, then process normally
    DROP_AFTER_COMMIT = "drop_after_commit"  # process and commit, then close the socket without a response


@dataclass
class Fault:
    method: str
    path: str  # exact path or fnmatch pattern, without the query string
    kind: FaultKind
    status: int
    times: int
    seconds: float

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and fnmatchcase(path, self.path)

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"kind": self.kind.value}


class FaultRegistry:
    """Thread-safe: tests add faults while the server threads take them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        method: str,
        path: str,
        kind: FaultKind | str = FaultKind.STATUS,
        status: int = 500,
        times: int = 1,
        seconds: float = 0.0,
    ) -> Fault:
        """Arms a fault for the next `times` matching requests. Raises ValueError on nonsense."""
        fault = Fault(method.upper(), path, FaultKind(kind), int(status), int(times), float(seconds))
        if fault.kind is FaultKind.STATUS and not 400 <= fault.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if fault.times < 1 or fault.seconds < 0:
            raise ValueError("times must be at least 1 and seconds not negative")
        if not fault.path.startswith("/"):
            raise ValueError("path must start with /")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching the request, using up one of its `times`."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(**asdict(fault)) for fault in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
