"""Retry rules: when a contact is called again after an attempt, and when never.

Pure rules, no database. A campaign's `retry` JSON gives, per retryable
disposition, a delay and a maximum number of attempts ending that way; an
overall maximum of attempts; and a rolling cap of calls per number per 24 h.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dialer.base.models import Disposition
from dialer.contacts.campaigns import retry_settings

RETRYABLE = frozenset({Disposition.NO_ANSWER, Disposition.BUSY, Disposition.VOICEMAIL})
CAP_PERIOD = timedelta(hours=24)


@dataclass(frozen=True)
class RetryRule:
    delay: timedelta
    max_attempts: int


@dataclass(frozen=True)
class RetryPolicy:
    """A campaign's retry rules, read once from its JSON."""

    max_attempts: int
    calls_per_day: int
    rules: Mapping[Disposition, RetryRule]

    @classmethod
    def of(cls, retry: dict[str, Any]) -> "RetryPolicy":
        settings = retry_settings(retry)
        rules = {
            d: RetryRule(
                timedelta(minutes=int(settings[d.value]["delay_minutes"])),
                int(settings[d.value]["max_attempts"]),
            )
            for d in RETRYABLE
        }
        return cls(int(settings["max_attempts"]), int(settings["calls_per_day"]), rules)


def is_exhausted(
    policy: RetryPolicy, disposition: Disposition, attempts: int, same_disposition: int
) -> bool:
    """True when no retry is left: `attempts` and `same_disposition` include this one."""
    rule = policy.rules[disposition]
    return attempts >= policy.max_attempts or same_disposition >= rule.max_attempts


def retry_at(
    policy: RetryPolicy, disposition: Disposition, now: datetime, shift_ends_at: datetime | None
) -> datetime:
    """When to call again after a retryable disposition.

    Someone who did not answer now is likely away for this part of the day, so
    a no-answer retry waits at least until the current shift has ended: the
    next try falls into another shift or another day, not ten minutes later
    into the same one.
    """
    due = now + policy.rules[disposition].delay
    if disposition is Disposition.NO_ANSWER and shift_ends_at is not None:
        return max(due, shift_ends_at)
    return due


def cap_until(calls: Iterable[datetime], cap: int, now: datetime) -> datetime | None:
    """The instant the rolling cap lets the number be called again, if it is reached.

    `calls` are the number's calls (this one included); with `cap` calls in the
    last 24 h the next may come only when the oldest of those leaves the window.
    """
    recent = sorted(t for t in calls if t > now - CAP_PERIOD)
    if len(recent) < cap:
        return None
    return recent[-cap] + CAP_PERIOD
