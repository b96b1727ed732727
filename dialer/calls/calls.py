"""What a call's softphone events say: its times, its end, the disposition they suggest.

Pure functions over the events of one lease; no database. A lease may hold
events of several calls (the operator redialled): the call that counts is the
one that was answered, else the latest one. Calls are told apart by their SIP
Call-ID; when some events carry none (a phone that sends it only on some
events), they cannot be told apart and the lease's events are read as one call.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol

from dialer.base.models import Disposition


class CallEvent(StrEnum):
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    HANGUP = "hangup"


class EventLike(Protocol):
    """What the rules read of an event: a stored row or anything shaped like it."""

    @property
    def event(self) -> str: ...
    @property
    def call_id(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def reason(self) -> str | None: ...


class CallTimes(NamedTuple):
    dialed: datetime | None
    ringing: datetime | None
    answered: datetime | None
    hangup: datetime | None
    reason: str | None


# A SIP final response as softphones report it: "486 Busy Here", "603 Decline".
_SIP_STATUS = re.compile(r"^\s*(?:SIP/2\.0\s+)?([3-6]\d\d)\b")
# 486 Busy Here, 600 Busy Everywhere, 603 Decline: the callee said no to this call.
BUSY_CODES = frozenset({486, 600, 603})


def _calls(events: Sequence[EventLike]) -> list[list[EventLike]]:
    ordered = sorted(events, key=lambda e: e.at)
    if any(e.call_id is None for e in ordered):
        return [ordered] if ordered else []
    calls: dict[str | None, list[EventLike]] = {}
    for item in ordered:
        calls.setdefault(item.call_id, []).append(item)
    return list(calls.values())


def the_call(events: Sequence[EventLike]) -> list[EventLike]:
    """The events of the call that counts, oldest first: the answered one, else the latest."""
    calls = _calls(events)
    if not calls:
        return []
    answered = [c for c in calls if any(e.event == CallEvent.ANSWERED for e in c)]
    return max(answered or calls, key=lambda c: c[-1].at)


def _first(call: Sequence[EventLike], kind: CallEvent) -> EventLike | None:
    return next((e for e in call if e.event == kind), None)


def call_times(events: Sequence[EventLike]) -> CallTimes:
    """Dial, ring, answer and hang-up instants of the call that counts, and why it ended."""
    call = the_call(events)
    found = {kind: _first(call, kind) for kind in CallEvent}
    hangup = found[CallEvent.HANGUP]
    return CallTimes(
        dialed=_at(found[CallEvent.DIALING]),
        ringing=_at(found[CallEvent.RINGING]),
        answered=_at(found[CallEvent.ANSWERED]),
        hangup=_at(hangup),
        reason=hangup.reason if hangup else None,
    )


def _at(event: EventLike | None) -> datetime | None:
    return event.at if event else None


def call_id_of(events: Sequence[EventLike]) -> str | None:
    """The SIP Call-ID of the call that counts, when the softphone sent one."""
    return next((e.call_id for e in the_call(events) if e.call_id), None)


def sip_status(reason: str | None) -> int | None:
    """The SIP final response code a hang-up reason starts with, if any."""
    match = _SIP_STATUS.match(reason or "")
    return int(match.group(1)) if match else None


def suggest_disposition(events: Sequence[EventLike]) -> Disposition | None:
    """Busy or no answer when the ended call says so; None when the operator must decide."""
    times = call_times(events)
    if times.hangup is None or times.answered is not None:
        return None
    if sip_status(times.reason) in BUSY_CODES:
        return Disposition.BUSY
    return Disposition.NO_ANSWER


@dataclass(frozen=True)
class Heard:
    """What the softphone said of the call: its SIP Call-ID and times."""

    call_id: str | None
    times: CallTimes


NOTHING_HEARD = Heard(None, CallTimes(None, None, None, None, None))
