"""A Lambda context object for invoking handlers in-process, with the fields Powertools reads."""

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

# moto's default account, so ARNs built here match the ones moto returns.
LOCAL_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "eu-west-1"
DEFAULT_MEMORY_MB = 512

# What the local runtime invokes: a Lambda entry point, `lambda_handler(event, context)`.
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any] | None]


class LocalLambdaContext(LambdaContext):
    """One invocation's context.

    Subclasses Powertools' `LambdaContext` (whose public fields are read-only properties over `_name`
    attributes) so handlers typed with it accept this object under mypy; hence a plain class, not a dataclass.
    """

    def __init__(
        self,
        *,
        function_name: str,
        timeout_s: float,
        region: str = DEFAULT_REGION,
        memory_limit_in_mb: int = DEFAULT_MEMORY_MB,
    ) -> None:
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT_ID}:function:{function_name}"
        self._memory_limit_in_mb = memory_limit_in_mb
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return f"LocalLambdaContext(function_name={self._function_name!r}, aws_request_id={self._aws_request_id!r})"


def new_context(
    function_name: str,
    timeout_s: float,
    *,
    region: str = DEFAULT_REGION,
    memory_limit_in_mb: int = DEFAULT_MEMORY_MB,
) -> LocalLambdaContext:
    """A fresh context per invocation: new request id, remaining time counting down from `timeout_s`."""
    return LocalLambdaContext(
        function_name=function_name, timeout_s=timeout_s, region=region, memory_limit_in_mb=memory_limit_in_mb
    )
