"""What every step of an order (its invoice, a payment, a credit note, a cancellation) shares once its record is
claimed: the outcomes, and how each way the step can end is written to the record.

- another worker holds the record: the message comes back when that worker's lease ends; a settled record makes the
  delivery a duplicate;
- permanent failure: the record is failed with the reason the merchant reads;
- waiting for Dinero's budget: no failure, not even on the queue's last delivery (the message is requeued);
- transient failure or an error we do not understand: the lease is given back and the error raised, so the queue
  brings the message back; on its last delivery the record is failed instead, so no record stays in processing once
  its message has left the queue. An unexpected error is recorded by its type only: a message may quote personal data.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dinero_bookkeeping.domain.errors import PermanentError, RetryableError
from dinero_bookkeeping.domain.integration import AccountingIntegration, ConnectionStatus
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, RecordKind
from dinero_bookkeeping.domain.rate_window import WaitForBudget
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Claim, Clock, ConnectionRepository, OrderRecordRepository


class Outcome(StrEnum):
    BOOKED = "booked"
    DRAFT = "draft"
    FAILED = "failed"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class StepOutcome:
    """What one step of a message did in Dinero (the invoice, its payment, a credit note, a cancellation)."""

    kind: RecordKind
    outcome: Outcome


def require_reachable(integration: AccountingIntegration, connections: ConnectionRepository) -> None:
    """Dinero's API serves Pro organizations through a live connection; anything else is a permanent failure."""
    if not integration.is_pro:
        raise PermanentError(
            f"{integration.organization_name} has no Dinero Pro subscription, which Dinero's API requires"
        )
    connection = connections.get_connection(integration.connection_id)
    if connection is None or connection.status is ConnectionStatus.DISCONNECTED:
        raise PermanentError("Dinero is disconnected: connect Dinero again, then retry the order")


def unmetered() -> None:
    """The request meter of a lone worker without a shared budget (tests of the other rules)."""


def unacquired(claim: Claim, clock: Clock) -> Outcome:
    """A claim this worker did not get: RetryableError until the other worker's lease ends, else a duplicate."""
    if claim.record.status is OrderStatus.PROCESSING:
        # Come back when its lease ends: by then that worker has finished, or died and the record is free.
        lease_until = claim.record.lease_until or clock.now()
        wait = max(1.0, (lease_until - clock.now()).total_seconds())
        raise RetryableError("Another worker is processing this order", retry_after_seconds=wait)
    logger.info("duplicate delivery ignored", kind=claim.record.kind.value, status=claim.record.status.value)
    return Outcome.DUPLICATE


def run_claimed(
    records: OrderRecordRepository,
    clock: Clock,
    record: OrderRecord,
    step: Callable[[], Outcome],
    *,
    final_attempt: bool,
) -> Outcome:
    """Do the step of a claimed record; every way it can end is written to the record (see the module's rules)."""
    try:
        return step()
    except PermanentError as error:
        records.finish(record, OrderStatus.FAILED, reason=error.reason)
        logger.warning("order failed permanently", kind=record.kind.value, reason=error.reason)
        return Outcome.FAILED
    except WaitForBudget as error:
        records.release(record, f"Will retry: {error}", clock.now())
        raise
    except RetryableError as error:
        if final_attempt:
            return _give_up(records, record, f"Gave up after repeated attempts ({error}): retry the order later")
        records.release(record, f"Will retry: {error}", clock.now())
        raise
    except Exception as error:
        if final_attempt:
            return _give_up(
                records, record, f"Failed after an unexpected error ({type(error).__name__}): retry the order"
            )
        records.release(record, f"Will retry after an unexpected error ({type(error).__name__})", clock.now())
        raise


def _give_up(records: OrderRecordRepository, record: OrderRecord, reason: str) -> Outcome:
    records.finish(record, OrderStatus.FAILED, reason=reason)
    logger.warning("order failed on its last delivery", kind=record.kind.value, reason=reason)
    return Outcome.FAILED
