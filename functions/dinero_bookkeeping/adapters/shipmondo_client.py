"""Shipmondo's public API v3 over HTTP (Basic auth with the merchant's API user and key), the calls we make only.

Shipmondo's limits are kept from our side: requests of one account are spaced at least `min_interval` apart, pages are
read at most 50 orders at a time, and a 429 is honoured (its Retry-After, when short, is waited out here; when long,
the caller gets a RetryableError and comes back later). Amounts, names and addresses are never logged.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from dinero_bookkeeping.domain.errors import InvalidRequestError, RetryableError
from dinero_bookkeeping.domain.shipmondo_connection import ShipmondoCredentials
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import SalesOrderPage

PER_PAGE = 50  # Shipmondo's maximum
_MAX_ATTEMPTS = 3


class ShipmondoHttp:
    """Shared by the accounts of one process: the session, the base URL and the pacing rules."""

    def __init__(
        self,
        http: requests.Session,
        base_url: str,
        timeout: float,
        *,
        min_interval: float = 0.5,
        max_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._min_interval = min_interval
        self._max_wait = max_wait
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()

    def for_account(self, credentials: ShipmondoCredentials) -> "ShipmondoAccountClient":
        return ShipmondoAccountClient(self, credentials)

    def request(self, credentials: ShipmondoCredentials, method: str, path: str, **options: Any) -> requests.Response:
        auth = (credentials.api_user, credentials.api_key.get_secret_value())
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            self._pace(credentials.api_user)
            try:
                response = self._http.request(
                    method, f"{self._base_url}{path}", auth=auth, timeout=self._timeout, **options
                )
            except requests.RequestException as error:
                raise RetryableError(f"Shipmondo could not be reached ({type(error).__name__})") from error
            if response.status_code != 429:
                return _checked(response, method, path)
            wait = _retry_after(response)
            logger.info("Shipmondo rate limit reached", path=path, retry_after_s=wait, attempt=attempt)
            if wait > self._max_wait or attempt == _MAX_ATTEMPTS:
                raise RetryableError("Shipmondo's rate limit was reached", retry_after_seconds=wait)
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _pace(self, account: str) -> None:
        with self._lock:
            now = self._monotonic()
            due = self._last_request.get(account, now - self._min_interval) + self._min_interval
            self._last_request[account] = max(now, due)
        if due > now:
            self._sleep(due - now)


class ShipmondoAccountClient:
    def __init__(self, http: ShipmondoHttp, credentials: ShipmondoCredentials) -> None:
        self._http = http
        self._credentials = credentials

    def account_name(self) -> str:
        """GET /account: the cheapest authenticated call, so it is how credentials are checked."""
        body = self._http.request(self._credentials, "GET", "/account").json()
        return str(body.get("name") or "") if isinstance(body, dict) else ""

    def sales_orders(self, filters: dict[str, str], page: int) -> SalesOrderPage:
        params = {**filters, "page": str(page), "per_page": str(PER_PAGE)}
        response = self._http.request(self._credentials, "GET", "/sales_orders", params=params)
        orders = response.json()
        if not isinstance(orders, list):
            raise RetryableError("Shipmondo answered GET /sales_orders with something other than a list")
        return SalesOrderPage(
            orders=[order for order in orders if isinstance(order, dict)],
            page=page,
            total_pages=_int_header(response, "X-Total-Pages", 1),
            total_count=_int_header(response, "X-Total-Count", len(orders)),
        )

    def webhooks(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page, total_pages = 1, 1
        while page <= total_pages:
            response = self._http.request(
                self._credentials, "GET", "/webhooks", params={"page": str(page), "per_page": str(PER_PAGE)}
            )
            found += [hook for hook in response.json() if isinstance(hook, dict)]
            total_pages = _int_header(response, "X-Total-Pages", 1)
            page += 1
        return found

    def create_webhook(self, body: dict[str, str]) -> int:
        created = self._http.request(self._credentials, "POST", "/webhooks", json=body).json()
        # The spec types the answer as a list of webhooks; accept the object too.
        hook = created[0] if isinstance(created, list) and created else created
        return int(hook["id"])

    def delete_webhook(self, webhook_id: int) -> None:
        try:
            self._http.request(self._credentials, "DELETE", f"/webhooks/{webhook_id}")
        except InvalidRequestError as error:
            if "404" not in str(error):
                raise  # a webhook already gone is what we wanted


def _checked(response: requests.Response, method: str, path: str) -> requests.Response:
    status = response.status_code
    if status in (401, 403):
        raise InvalidRequestError("Shipmondo refused the API user and key (check them in Shipmondo: Settings > API)")
    if status >= 500:
        raise RetryableError(f"Shipmondo answered {method} {path.split('?')[0]} with {status}")
    if status >= 400:
        raise InvalidRequestError(f"Shipmondo answered {method} {path.split('?')[0]} with {status}")
    return response


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 1.0


def _int_header(response: requests.Response, name: str, default: int) -> int:
    try:
        return int(response.headers.get(name, ""))
    except ValueError:
        return default
