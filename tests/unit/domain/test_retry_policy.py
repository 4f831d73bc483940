from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.retry_policy import MAX_DELAY_S, retry_delay_seconds


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
