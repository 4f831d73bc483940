"""Dinero's per-organization budget, shared by all workers: one item RATE#<organization id>/WINDOW in the table.

The item holds the organization's `RateWindow` (grants by id, and the tail of its line; times in epoch
milliseconds) and a version. A reservation reads the item, applies the pure window arithmetic and writes it back
only if the version is still the one read (optimistic concurrency), so concurrent workers never both spend the same
room; a conflict is simply tried again on the fresh item. Settling rewrites one grant in place (and bumps the
version), a single request. The item stays small whatever the backlog (the places travel with the messages) and
expires through the table's TTL once an organization has been idle for a day.
"""

import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code
from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.rate_window import (
    Admitted,
    Grant,
    Place,
    RateWindow,
    Reservation,
    Slot,
    Wait,
    WaitForBudget,
    reservation_for,
)
from dinero_bookkeeping.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

IDLE_EXPIRY = timedelta(days=1)
# Workers of one organization rarely collide more than a few times in a row; past this, the order waits a moment.
MAX_ATTEMPTS = 12
BUSY_WAIT_S = (1.0, 5.0)


def rate_key(organization_id: int) -> dict[str, str]:
    return {"pk": f"RATE#{organization_id}", "sk": "WINDOW"}


class DynamoRateLimiter:
    """The RateLimiter port over DynamoDB."""

    def __init__(self, table: "Table", limit_per_minute: int) -> None:
        self._table = table
        self._limit = limit_per_minute

    def reserve(
        self, organization_id: int, calls: int, now: datetime, *, resumed: bool, place: Place | None = None
    ) -> Reservation:
        grant_id = uuid.uuid4().hex
        busy = Place(now, reached_dinero=place.reached_dinero if place else resumed)
        return self._change(
            organization_id,
            now,
            lambda window: window.reserve(calls, now, resumed=resumed, grant_id=grant_id, place=place),
            busy,
        )

    def reserve_now(self, organization_id: int, calls: int, now: datetime) -> Reservation:
        grant_id = uuid.uuid4().hex
        return self._change(
            organization_id,
            now,
            lambda window: window.reserve_now(calls, now, grant_id=grant_id),
            Place(now, reached_dinero=False),
        )

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

    def _change(
        self,
        organization_id: int,
        now: datetime,
        change: Callable[[RateWindow], tuple[RateWindow, Admitted | Wait]],
        busy: Place,
    ) -> Reservation:
        for attempt in range(MAX_ATTEMPTS):
            with dynamodb_errors("read rate window"):
                item = self._table.get_item(Key=rate_key(organization_id), ConsistentRead=True).get("Item")
            window = _window(item, self._limit)
            changed, outcome = change(window)
            if changed == window:  # early for its place: nothing to write
                return reservation_for(organization_id, outcome, now)
            try:
                self._write(organization_id, changed, int(str(item["version"])) if item else 0, now)
            except ClientError as error:
                if error_code(error) != CONDITION_FAILED:
                    raise
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # another worker changed it first
                continue
            return reservation_for(organization_id, outcome, now)
        # Too many workers of this organization at once: a short wait, not a failure (it must not dead-letter).
        raise WaitForBudget(Place(busy.at + timedelta(seconds=random.uniform(*BUSY_WAIT_S)), busy.reached_dinero), now)

    def _write(self, organization_id: int, window: RateWindow, version: int, now: datetime) -> None:
        item: dict[str, Any] = {
            **rate_key(organization_id),
            "version": version + 1,
            "grants": {grant.grant_id: _grant_item(grant) for grant in window.grants},
            "tail": [[_ms(slot.at), slot.calls] for slot in window.tail],
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
    tail = tuple(Slot(_time(s[0]), int(s[1])) for s in item.get("tail", []))
    return RateWindow(limit=limit, grants=grants, tail=tail)


def _grant_item(grant: Grant) -> list[int]:
    return [_ms(grant.start), _ms(grant.last_call), grant.calls, int(grant.settled)]


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _time(ms: Decimal | int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)
