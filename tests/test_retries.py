"""Retry rules at fixed instants: delays, limits, the no-answer spread, the rolling cap."""

from datetime import UTC, datetime, timedelta

import pytest

from dialer.base.models import Disposition
from dialer.contacts.campaigns import DEFAULT_RETRY
from dialer.queue.retries import RetryPolicy, cap_until, is_exhausted, retry_at

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
POLICY = RetryPolicy.of(DEFAULT_RETRY)


def test_busy_is_tried_again_after_its_delay() -> None:
    assert retry_at(POLICY, Disposition.BUSY, NOW, NOW + timedelta(hours=3)) == NOW + timedelta(
        minutes=15
    )


def test_no_answer_waits_for_the_next_shift_when_the_delay_ends_sooner() -> None:
    shift_end = NOW + timedelta(hours=3)
    assert retry_at(POLICY, Disposition.NO_ANSWER, NOW, shift_end) == shift_end


def test_no_answer_near_the_end_of_a_shift_waits_the_full_delay() -> None:
    shift_end = NOW + timedelta(minutes=10)
    assert retry_at(POLICY, Disposition.NO_ANSWER, NOW, shift_end) == NOW + timedelta(hours=2)


def test_a_campaign_sets_its_own_delays() -> None:
    policy = RetryPolicy.of({"voicemail": {"delay_minutes": 30, "max_attempts": 2}})
    assert retry_at(policy, Disposition.VOICEMAIL, NOW, None) == NOW + timedelta(minutes=30)
    assert policy.rules[Disposition.BUSY].delay == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("attempts", "same", "exhausted"),
    [(1, 1, False), (4, 4, False), (5, 5, True), (6, 1, True), (5, 2, False)],
)
def test_limits_per_disposition_and_overall(attempts: int, same: int, exhausted: bool) -> None:
    assert is_exhausted(POLICY, Disposition.BUSY, attempts, same) is exhausted


def test_the_rolling_cap_holds_the_number_until_its_oldest_call_is_a_day_old() -> None:
    calls = [NOW - timedelta(hours=5), NOW - timedelta(hours=1), NOW]
    assert cap_until(calls, 3, NOW) == NOW - timedelta(hours=5) + timedelta(hours=24)
    assert cap_until(calls[1:], 3, NOW) is None
    old = [NOW - timedelta(hours=30), NOW - timedelta(hours=1), NOW]
    assert cap_until(old, 3, NOW) is None
