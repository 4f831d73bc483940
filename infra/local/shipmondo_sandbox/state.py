"""The Shipmondo sandbox's accounts: sales orders that change over time (fulfilments, payments), webhooks, the
deliveries made (or dropped), and injected faults. Every answer's shape is checked against the vendored spec."""

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.local.shipmondo_sandbox.delivery import Delivery, deliver
from infra.local.shipmondo_sandbox.spec import schema_errors


class SpecViolation(AssertionError):
    """The sandbox was about to answer (or accept) something Shipmondo's spec does not allow."""


def checked(schema: str, instance: Any) -> Any:
    errors = schema_errors(schema, instance)
    if errors:
        raise SpecViolation(f"{schema}: {'; '.join(errors[:5])}")
    return instance


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class Account:
    api_user: str
    api_key: str
    name: str
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)  # with their "key", never served


@dataclass
class Fault:
    path: str
    status: int
    times: int
    skip: int  # matching requests answered normally before the fault starts
    retry_after: int | None = None


class ShipmondoSandboxState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.deliveries: list[Delivery] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) served, for tests of pacing and paging
        self._faults: list[Fault] = []
        self._drop = 0
        self._next_id = 900_000

    def add_account(self, api_user: str, api_key: str, name: str) -> Account:
        with self.lock:
            account = Account(api_user, api_key, name)
            self.accounts[api_user] = account
            return account

    def authenticate(self, api_user: str, api_key: str) -> Account | None:
        with self.lock:
            account = self.accounts.get(api_user)
            return account if account and account.api_key == api_key else None

    def add_order(self, api_user: str, sales_order: dict[str, Any]) -> dict[str, Any]:
        """A new order as the webshop delivers it: not fulfilled, not paid."""
        with self.lock:
            order = copy.deepcopy(sales_order)
            stamp = now_iso()
            order |= {
                "order_fulfillments": [],
                "fulfillment_status": "unfulfilled",
                "payment_status": "authorized",
                "created_at": stamp,
                "updated_at": stamp,
            }
            for line in order["order_lines"]:
                line["shipped_quantity"] = "0.0"
            checked("SalesOrder", order)
            self.accounts[api_user].orders[order["id"]] = order
            return copy.deepcopy(order)

    def fulfil(self, api_user: str, sales_order_id: int) -> dict[str, Any]:
        """Ship every line (an outbound fulfilment) and send the create_fulfillment webhooks."""
        with self.lock:
            order = self.accounts[api_user].orders[sales_order_id]
            stamp = now_iso()
            fulfilment = {
                "id": self.new_id(),
                "code": f"{order['order_id']}-{len(order['order_fulfillments']) + 1}",
                "type": "outbound",
                "cancelled": False,
                "fulfilled_by_third_party": False,
                "created_at": stamp,
                "updated_at": stamp,
                "fulfillment_lines": [
                    {"id": self.new_id(), "order_line_id": line["id"], "shipped_quantity": line["quantity"]}
                    for line in order["order_lines"]
                ],
            }
            for line in order["order_lines"]:
                line["shipped_quantity"] = line["quantity"]
            order["order_fulfillments"].append(fulfilment)
            order |= {"fulfillment_status": "fulfilled", "order_status": "sent", "updated_at": stamp}
            checked("SalesOrder", order)
        self._notify(api_user, order, "create_fulfillment")
        return fulfilment

    def return_goods(self, api_user: str, sales_order_id: int, quantities: dict[int, str]) -> dict[str, Any]:
        """Goods came back: a return fulfilment of these order lines' quantities, with its create_fulfillment
        webhooks."""
        with self.lock:
            order = self.accounts[api_user].orders[sales_order_id]
            stamp = now_iso()
            fulfilment = {
                "id": self.new_id(),
                "code": f"{order['order_id']}-{len(order['order_fulfillments']) + 1}",
                "type": "return",
                "cancelled": False,
                "fulfilled_by_third_party": False,
                "created_at": stamp,
                "updated_at": stamp,
                "fulfillment_lines": [
                    {"id": self.new_id(), "order_line_id": line_id, "shipped_quantity": quantity}
                    for line_id, quantity in quantities.items()
                ],
            }
            order["order_fulfillments"].append(fulfilment)
            order["updated_at"] = stamp
            checked("SalesOrder", order)
        self._notify(api_user, order, "create_fulfillment")
        return fulfilment

    def cancel(self, api_user: str, sales_order_id: int) -> None:
        with self.lock:
            order = self.accounts[api_user].orders[sales_order_id]
            order |= {"order_status": "cancelled", "updated_at": now_iso()}
            checked("SalesOrder", order)
        self._notify(api_user, order, "status_update")

    def capture_payment(self, api_user: str, sales_order_id: int) -> None:
        with self.lock:
            order = self.accounts[api_user].orders[sales_order_id]
            order |= {"payment_status": "paid", "updated_at": now_iso()}
        self._notify(api_user, order, "payment_captured")

    def drop_deliveries(self, count: int) -> None:
        """The next `count` webhook deliveries are lost (Shipmondo does not retry)."""
        with self.lock:
            self._drop += count

    def fail(self, path: str, status: int, *, times: int = 1, skip: int = 0, retry_after: int | None = None) -> None:
        """Answer `status` to the next `times` requests for `path` once `skip` of them were answered normally."""
        with self.lock:
            self._faults.append(Fault(path, status, times, skip, retry_after))

    def injected_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.path != path or fault.times == 0:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
            return None

    def _notify(self, api_user: str, order: dict[str, Any], action: str) -> None:
        with self.lock:
            account = self.accounts[api_user]
            hooks = [dict(hook) for hook in account.webhooks.values() if hook["action"] == action and hook["active"]]
            resource = copy.deepcopy(order)
        for hook in hooks:
            with self.lock:
                dropped = self._drop > 0
                self._drop -= dropped
            status = None if dropped else deliver(hook, hook["key"], resource, api_user)
            with self.lock:
                self.deliveries.append(Delivery(hook["id"], action, order["id"], status, dropped))

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id
