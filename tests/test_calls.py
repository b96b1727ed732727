"""The rules that read a call from its softphone events, at fixed instants."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from dialer.base.models import Disposition
from dialer.calls.calls import CallTimes, call_id_of, call_times, sip_status, suggest_disposition

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Ev:
    event: str
    at: datetime
    call_id: str | None = "c1"
    reason: str | None = None


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


ANSWERED = [
    Ev("dialing", s(0)),
    Ev("ringing", s(0.007)),
    Ev("answered", s(4)),
    Ev("hangup", s(64), reason="Connection reset by user"),
]
REJECTED = [Ev("dialing", s(0)), Ev("ringing", s(1)), Ev("hangup", s(3), reason="486 Rejected")]
UNANSWERED = [
    Ev("dialing", s(0)),
    Ev("ringing", s(1)),
    Ev("hangup", s(41), reason="Connection reset by user"),
]


def test_an_answered_call_has_every_time_and_no_suggestion() -> None:
    assert call_times(ANSWERED) == CallTimes(
        s(0), s(0.007), s(4), s(64), "Connection reset by user"
    )
    assert suggest_disposition(ANSWERED) is None


def test_a_rejected_call_suggests_busy() -> None:
    assert call_times(REJECTED) == CallTimes(s(0), s(1), None, s(3), "486 Rejected")
    assert suggest_disposition(REJECTED) is Disposition.BUSY


@pytest.mark.parametrize(
    "reason", ["486 Busy Here", "600 Busy Everywhere", "603 Decline", "SIP/2.0 486 Busy"]
)
def test_busy_codes_suggest_busy(reason: str) -> None:
    events = [Ev("ringing", s(1)), Ev("hangup", s(2), reason=reason)]
    assert suggest_disposition(events) is Disposition.BUSY


@pytest.mark.parametrize(
    "reason", ["Connection reset by user", "Connection timed out", "480 Unavailable", None]
)
def test_an_unanswered_call_that_was_not_refused_suggests_no_answer(reason: str | None) -> None:
    events = [Ev("dialing", s(0)), Ev("hangup", s(32), reason=reason)]
    assert suggest_disposition(events) is Disposition.NO_ANSWER


def test_a_call_still_going_suggests_nothing() -> None:
    assert suggest_disposition(UNANSWERED[:2]) is None
    assert suggest_disposition([]) is None
    assert call_times([]) == CallTimes(None, None, None, None, None)


def test_events_arriving_out_of_order_are_read_in_time_order() -> None:
    assert call_times(list(reversed(ANSWERED))) == call_times(ANSWERED)


def test_of_two_calls_on_one_lease_the_answered_one_counts() -> None:
    first = [Ev(e.event, e.at, "c1", e.reason) for e in ANSWERED]
    redial = [Ev(e.event, e.at + timedelta(minutes=2), "c2", e.reason) for e in UNANSWERED]
    assert call_times(first + redial).answered == s(4)
    assert call_id_of(first + redial) == "c1"
    assert suggest_disposition(first + redial) is None


def test_of_two_unanswered_calls_the_latest_counts() -> None:
    first = [Ev(e.event, e.at, "c1", e.reason) for e in REJECTED]
    redial = [Ev(e.event, e.at + timedelta(minutes=2), "c2", e.reason) for e in UNANSWERED]
    assert call_id_of(first + redial) == "c2"
    assert suggest_disposition(first + redial) is Disposition.NO_ANSWER


def test_sip_status_reads_only_final_response_codes() -> None:
    assert sip_status("486 Rejected") == 486
    assert sip_status("Connection reset by peer") is None
    assert sip_status("180 Ringing") is None
    assert sip_status(None) is None


def test_events_without_a_call_id_are_read_as_one_call() -> None:
    events = [Ev("answered", s(2), call_id=None), Ev("hangup", s(9), "y-1", "Terminated")]
    assert call_times(events) == CallTimes(None, None, s(2), s(9), "Terminated")
    assert call_id_of(events) == "y-1"
