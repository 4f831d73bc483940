from datetime import UTC, datetime, timedelta

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.rate_window import Place
from dinero_bookkeeping.domain.retry_policy import (
    MAX_DELAY_S,
    MAX_HIDE_S,
    MAX_SEND_DELAY_S,
    Hide,
    Requeue,
    how_to_wait,
    retry_delay_seconds,
)


def test_retry_after_from_dinero_wins_over_backoff() -> None:
    # Given
    error = RetryableError("rate limited", retry_after_seconds=41.2)
    # When
    delay = retry_delay_seconds(error, receive_count=5, base_delay_s=10)
    # Then
    assert delay == 42


def test_backoff_doubles_with_every_receive_and_is_capped() -> None:
    # Given
    error = RetryableError("Dinero answered 503")
    # When
    delays = [retry_delay_seconds(error, receive_count=n, base_delay_s=10) for n in (1, 2, 3, 10)]
    # Then
    assert delays == [10, 20, 40, MAX_DELAY_S]


def test_zero_base_delay_retries_at_once() -> None:
    # Given / When / Then
    assert retry_delay_seconds(RetryableError("timeout"), receive_count=3, base_delay_s=0) == 0


T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_first_wait_sends_a_fresh_copy_carrying_the_place_at_most_fifteen_minutes_ahead() -> None:
    # Given: a message received for the first time (or the third: failures before) whose order got a place
    near, far = Place(T0 + timedelta(seconds=61.2), False), Place(T0 + timedelta(hours=3), True)
    # When
    actions = [
        how_to_wait(near, T0, receive_count=1, carries_place=False),
        how_to_wait(far, T0, receive_count=3, carries_place=False),
    ]
    # Then
    assert actions == [Requeue(62, near), Requeue(MAX_SEND_DELAY_S, far)]


def test_copy_early_for_its_place_is_hidden_until_then_once() -> None:
    # Given: a copy received for the first time, hours before its place
    place = Place(T0 + timedelta(hours=3), False)
    # When
    first = how_to_wait(place, T0, receive_count=1, carries_place=True)
    again = how_to_wait(place, T0 + timedelta(hours=3), receive_count=2, carries_place=True)
    # Then: hidden straight to its place; at its second receive any further wait is a fresh copy again
    assert first == Hide(3 * 3600)
    assert again == Requeue(0, place)


def test_hiding_stops_at_sqs_twelve_hour_limit() -> None:
    # Given / When
    action = how_to_wait(Place(T0 + timedelta(hours=20), False), T0, receive_count=1, carries_place=True)
    # Then
    assert action == Hide(MAX_HIDE_S) and MAX_HIDE_S < 12 * 3600
