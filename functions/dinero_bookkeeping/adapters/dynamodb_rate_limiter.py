"""Dinero's per-organization budget, shared by all workers: one item RATE#<organization id>/WINDOW in the table.

The item holds the organization's `RateWindow` (grants by id, and turns; times in epoch milliseconds) and a version.
A reservation reads the item, applies the pure window arithmetic and writes it back only if the version is still
the one read (optimistic concurrency), so concurrent workers never both spend the same room; a conflict is simply
tried again on the fresh item. Settling rewrites one grant in place (and bumps the version), a single request. The
item expires through the table's TTL once an organization has been idle for a day.
"""

import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code
from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.rate_window import Grant, RateWindow, Reservation, Turn, reservation_for
from dinero_bookkeeping.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

IDLE_EXPIRY = timedelta(days=1)
# Five workers of one organization rarely collide more than a few times in a row; past this, try the order later.
MAX_ATTEMPTS = 12


def rate_key(organization_id: int) -> dict[str, str]:
    return {"pk": f"RATE#{organization_id}", "sk": "WINDOW"}


class DynamoRateLimiter:
    """The RateLimiter port over DynamoDB."""

    def __init__(self, table: "Table", limit_per_minute: int) -> None:
        self._table = table
        self._limit = limit_per_minute

    def reserve(self, organization_id: int, order: str, calls: int, now: datetime, *, resumed: bool) -> Reservation:
        grant_id = uuid.uuid4().hex
        for attempt in range(MAX_ATTEMPTS):
            with dynamodb_errors("read rate window"):
                item = self._table.get_item(Key=rate_key(organization_id), ConsistentRead=True).get("Item")
            window = _window(item, self._limit)
            changed, outcome = window.reserve(order, calls, now, resumed=resumed, grant_id=grant_id)
            if changed == window:  # told to wait for a turn it already has
                return reservation_for(organization_id, outcome, now)
            try:
                self._write(organization_id, changed, int(str(item["version"])) if item else 0, now)
            except ClientError as error:
                if error_code(error) != CONDITION_FAILED:
                    raise
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # another worker changed it first
                continue
            return reservation_for(organization_id, outcome, now)
        raise RetryableError("Dinero's rate budget is busy: too many workers of this organization at once")

    def settle(self, reservation: Reservation, calls_made: int, last_call_at: datetime | None) -> None:
        settled = reservation.grant.settled_with(calls_made, last_call_at)
        update = "REMOVE grants.#grant SET version = version + :one"
        values: dict[str, Any] = {":one": 1}
        if settled is not None:
            update = "SET grants.#grant = :grant, version = version + :one"
            values[":grant"] = _grant_item(settled)
        try:
            with dynamodb_errors("settle rate grant"):
                self._table.update_item(
                    Key=rate_key(reservation.organization_id),
                    UpdateExpression=update,
                    ConditionExpression="attribute_exists(grants.#grant)",
                    ExpressionAttributeNames={"#grant": reservation.grant.grant_id},
                    ExpressionAttributeValues=values,
                )
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            # Gone already: it had stopped occupying the budget (its worker took over a minute and a half).
        except RetryableError:
            # Safe to leave: an unsettled grant keeps occupying the budget as if every reserved call came late.
            logger.warning(
                "rate budget not settled; it frees a little later", organization_id=reservation.organization_id
            )

    def _write(self, organization_id: int, window: RateWindow, version: int, now: datetime) -> None:
        item: dict[str, Any] = {
            **rate_key(organization_id),
            "version": version + 1,
            "grants": {grant.grant_id: _grant_item(grant) for grant in window.grants},
            "turns": [[t.order, _ms(t.at), t.calls, int(t.untouched)] for t in window.turns],
            # The table's TTL attribute (epoch seconds).
            "expires_at": int((now + IDLE_EXPIRY).timestamp()),
        }
        with dynamodb_errors("write rate window"):
            if version:
                self._table.put_item(
                    Item=item, ConditionExpression="version = :version", ExpressionAttributeValues={":version": version}
                )
            else:
                self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")


def _window(item: dict[str, Any] | None, limit: int) -> RateWindow:
    if not item:
        return RateWindow(limit=limit)
    grants = tuple(
        Grant(str(grant_id), _time(g[0]), _time(g[1]), int(g[2]), settled=bool(int(g[3])))
        for grant_id, g in item.get("grants", {}).items()
    )
    turns = tuple(Turn(str(t[0]), _time(t[1]), int(t[2]), untouched=bool(int(t[3]))) for t in item.get("turns", []))
    return RateWindow(limit=limit, grants=grants, turns=turns)


def _grant_item(grant: Grant) -> list[int]:
    return [_ms(grant.start), _ms(grant.last_call), grant.calls, int(grant.settled)]


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _time(ms: Decimal | int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)
