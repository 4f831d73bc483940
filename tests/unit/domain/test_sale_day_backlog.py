"""A sale-day backlog through the production scheduling code (infra/bench/backlog.py, smaller): waiting for Dinero's
budget never dead-letters an order, and costs each message few receives."""

from infra.bench.backlog import Backlog, QueueSettings


def test_backlog_of_hours_drains_without_dead_letters_and_with_few_receives_per_message() -> None:
    # Given: 1,500 orders at once for one organization with a ceiling of 10 calls a minute (hours of waiting), a
    # quarter of them from new customers, messages up to 10 s late, the template's queue settings
    queue = QueueSettings.from_template()
    backlog = Backlog(orders=1_500, organizations=1, ceiling=10, queue=queue, new_customers=0.25, lateness_s=10.0)
    # When
    backlog.run()
    # Then: every order booked, none dead-lettered, no message received more than twice, the ceiling kept
    assert (backlog.booked, backlog.dead_lettered) == (1_500, 0)
    assert backlog.max_receives <= 2 < queue.max_receive_count
    assert backlog.minutes > 10 * 60  # hours of waiting: places far beyond what one send can delay
    assert backlog.busiest_minute() <= 10


def test_backlog_of_many_organizations_drains_them_side_by_side() -> None:
    # Given
    backlog = Backlog(orders=2_000, organizations=20, ceiling=95, queue=QueueSettings.from_template())
    # When
    backlog.run()
    # Then: 100 orders of 3 calls per organization take about 100 x 3 / 95 minutes, all organizations at once
    assert (backlog.booked, backlog.dead_lettered) == (2_000, 0)
    assert 100 * 3 / 95 < backlog.minutes < 1.2 * 100 * 3 / 95
