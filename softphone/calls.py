"""One call as the connector follows it: baresip's events in, the service's call events out."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from softphone.api import Lease
from softphone.ctrl_tcp import PhoneEvent
from softphone.outbox import Record


@dataclass
class Call:
    """A dialled lease: its SIP Call-ID once baresip names it, and what was reported so far.

    baresip's answer to `dial` carries no Call-ID, so the dialing event waits for
    the first event that names one, and is reported with the instant of the dial.
    """

    lease: Lease
    uri: str
    dialed_at: datetime
    report: Callable[[Record], None]
    call_id: str | None = None
    reported: set[str] = field(default_factory=set)
    answered: bool = False
    ended: bool = False
    reason: str | None = None

    def take(self, event: PhoneEvent, at: datetime) -> bool:
        """Follow a baresip event; False when it belongs to another call."""
        if event.direction == "incoming" or event.call_id is None:
            return False
        if self.call_id is None:
            self.call_id = event.call_id
        if event.call_id != self.call_id:
            return False
        reason = event.param if event.kind == "hangup" else None
        self._reach(event.kind, at, reason)
        return True

    def lose(self, reason: str, at: datetime) -> None:
        """The softphone went away: the call is over as far as anyone can tell."""
        self._reach("hangup", at, reason)

    def _reach(self, kind: str, at: datetime, reason: str | None) -> None:
        if self.ended or kind in self.reported:
            return
        if "dialing" not in self.reported:
            self._report("dialing", self.dialed_at, None)
        self._report(kind, at, reason)
        if kind == "answered":
            self.answered = True
        if kind == "hangup":
            self.ended, self.reason = True, reason

    def _report(self, kind: str, at: datetime, reason: str | None) -> None:
        self.reported.add(kind)
        record: Record = {"event": kind, "number": self.lease.phone, "at": at.isoformat()}
        if self.call_id is not None:
            record["call_id"] = self.call_id
        if reason is not None:
            record["reason"] = reason
        self.report(record)
