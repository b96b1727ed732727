"""Outcomes: the one record of a call, and what it does to the contact.

The outcome ends the lease, writes the attempt, and moves the contact on:
retried later (busy, no answer, voicemail, within the campaign's limits and
the rolling cap per number), called back, closed, or suppressed. Everything
happens in the caller's transaction, under the lease's row lock, so a double
submit waits for the first and then receives the first answer.
"""

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import ConsentRequired, IdempotencyKeyReused, InvalidInput, LeaseClosed
from dialer.base.idempotency import Answer, fingerprint, recall, save
from dialer.base.models import Attempt, CallbackScope, ContactState, Disposition, LeaseEnd
from dialer.calls.calls import NOTHING_HEARD
from dialer.calls.events import heard_on
from dialer.contacts.dnc import DncSource, suppress_hash
from dialer.queue.catalog import CampaignView, Catalog
from dialer.queue.leases import check_live
from dialer.queue.records import (
    Call,
    CalledContact,
    Change,
    HeldLease,
    cap_siblings,
    lock_call,
    write_outcome,
)
from dialer.queue.retries import RETRYABLE, cap_until, is_exhausted, retry_at
from dialer.queue.windows import is_open
from dialer.sales.answers import check_answers
from dialer.sales.questionnaires import file_questionnaire

# Dispositions that end the contact's life in the queue for good.
CLOSING = frozenset({Disposition.WRONG_NUMBER, Disposition.NOT_INTERESTED, Disposition.WARM})
# States the contact left the queue to while leased: an outcome never undoes them.
# Closed: its company became a client during the call (`dialer.sales.accounts.close_contacts`).
SUPPRESSED = frozenset({ContactState.DO_NOT_CALL, ContactState.ERASED, ContactState.CLOSED})


@dataclass(frozen=True)
class Outcome:
    """An operator's report of a call, as API.md's outcome body."""

    disposition: Disposition
    objection: str | None = None
    callback_at: datetime | None = None
    callback_scope: CallbackScope = CallbackScope.PERSONAL
    notes: str | None = None
    questionnaire: dict[str, Any] | None = None
    # The consent the contact said on the call: {"given": bool, "scope": "<code>"}.
    consent: dict[str, Any] | None = None


@dataclass(frozen=True)
class Recorded:
    """The answer to an outcome."""

    attempt_id: uuid.UUID
    contact_state: ContactState
    next_call_at: datetime | None
    questionnaire_id: uuid.UUID | None

    @classmethod
    def of(
        cls, attempt_id: uuid.UUID, change: Change, questionnaire_id: uuid.UUID | None = None
    ) -> "Recorded":
        """The answer to an outcome that made this change."""
        ready = change.state is ContactState.READY
        return cls(
            attempt_id, change.state, change.next_call_at if ready else None, questionnaire_id
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "attempt_id": str(self.attempt_id),
            "contact_state": self.contact_state.value,
            "next_call_at": self.next_call_at.isoformat() if self.next_call_at else None,
            "questionnaire_id": str(self.questionnaire_id) if self.questionnaire_id else None,
        }


def lease_key(lease_id: uuid.UUID) -> str:
    """The key every outcome is also kept under, with its lease's operator.

    So a repeat without an Idempotency-Key still gets the first answer instead
    of a second attempt.
    """
    return f"lease-outcome:{lease_id}"


def outcome_hash(outcome: Outcome) -> str:
    """The fingerprint a repeat of the same outcome must match."""
    return fingerprint(dataclasses.asdict(outcome))


async def record_outcome(
    session: AsyncSession,
    catalog: Catalog,
    lease_id: uuid.UUID,
    operator_id: uuid.UUID,
    outcome: Outcome,
    now: datetime,
) -> dict[str, Any]:
    """Record the outcome of the operator's lease; the answer as JSON."""
    call = await lock_call(session, lease_id)
    held = call.lease
    request_hash = outcome_hash(outcome)
    if held.operator_id == operator_id and held.end_reason is LeaseEnd.OUTCOME:
        return await _repeat(session, held, request_hash)
    await check_live(session, held, operator_id, now)
    view = await catalog.campaign(session, held.campaign_id)
    answers = validate_outcome(outcome, view, call.contact, now)
    recorded = await _apply(session, call, view, outcome, answers, now)
    answer = recorded.as_json()
    await save(session, operator_id, lease_key(held.id), request_hash, Answer(200, answer), now)
    return answer


async def _repeat(session: AsyncSession, held: HeldLease, request_hash: str) -> dict[str, Any]:
    try:
        first = await recall(session, held.operator_id, lease_key(held.id), request_hash)
    except IdempotencyKeyReused as error:
        raise LeaseClosed("Another outcome was already recorded for this lease.") from error
    if first is None:
        raise LeaseClosed()
    body: dict[str, Any] = first.body
    return body


def _invalid(loc: str, msg: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, fields=[{"loc": ["body", loc], "msg": msg}])


def validate_outcome(
    outcome: Outcome, view: CampaignView, called: CalledContact, now: datetime
) -> dict[str, Any] | None:
    """Refuse fields that do not go with the disposition; the checked answers of a warm one."""
    disposition = outcome.disposition
    if (outcome.objection is not None) != (disposition is Disposition.NOT_INTERESTED):
        raise _invalid("objection", "goes with not_interested only", "Give an objection code.")
    if outcome.objection is not None:
        codes = {o["code"] for o in view.objections}
        if outcome.objection not in codes:
            raise _invalid("objection", "not an objection of this campaign", "Unknown objection.")
    if (outcome.callback_at is not None) != (disposition is Disposition.CALLBACK):
        raise _invalid("callback_at", "goes with callback only", "Give the callback time.")
    if outcome.callback_at is not None:
        _check_callback_time(outcome.callback_at, view, called.timezone, now)
    if (outcome.questionnaire is not None) != (disposition is Disposition.WARM):
        raise _invalid("questionnaire", "goes with warm only", "Fill in the questionnaire.")
    _check_consent(outcome, view)
    if outcome.questionnaire is None:
        return None
    return check_answers(view.questionnaire_fields, outcome.questionnaire)


def _check_consent(outcome: Outcome, view: CampaignView) -> None:
    """Consent is said on a call that was answered; a campaign may need it to file warm."""
    if outcome.consent is not None and outcome.disposition in RETRYABLE:
        raise _invalid("consent", "goes with a call that was answered", "No one gave consent.")
    given = outcome.consent is not None and outcome.consent.get("given") is True
    if view.consent_required and outcome.disposition is Disposition.WARM and not given:
        raise ConsentRequired(fields=[{"loc": ["body", "consent"], "msg": "consent is required"}])


def _check_callback_time(at: datetime, view: CampaignView, zone: str, now: datetime) -> None:
    if at <= now:
        raise _invalid("callback_at", "must be in the future", "The callback time has passed.")
    if at > now + timedelta(days=view.callback_max_days):
        days = view.callback_max_days
        raise _invalid(
            "callback_at",
            f"at most {days} days ahead",
            f"A callback may be set at most {days} days ahead (the campaign's callback_max_days).",
        )
    if not is_open(zone, view.window_start, view.window_end, at):
        window = f"{view.window_start:%H:%M}–{view.window_end:%H:%M}"
        raise _invalid(
            "callback_at",
            f"outside the calling window {window} in the contact's time zone",
            f"That time is outside the calling window ({window} {zone}).",
        )


@dataclass(frozen=True)
class WarmAttempt:
    """The warm attempt just written, as its questionnaire is filed from it (not read back)."""

    id: uuid.UUID
    contact_id: uuid.UUID
    campaign_id: uuid.UUID
    operator_id: uuid.UUID
    notes: str | None


async def _apply(
    session: AsyncSession,
    call: Call,
    view: CampaignView,
    outcome: Outcome,
    answers: dict[str, Any] | None,
    now: datetime,
) -> Recorded:
    """Write the attempt, end the lease, move the contact on."""
    change = await _next_state(session, call, view, outcome, now)
    attempt_id = uuid.uuid4()
    heard = await heard_on(session, call.lease.id) if call.has_events else NOTHING_HEARD
    await write_outcome(session, call, attempt_id, outcome, change, heard, now)
    if outcome.consent is not None:
        # Kept by the full path only: the usual case takes no outcome that carries consent.
        await session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id)
            .values(consent_given=outcome.consent["given"], consent_scope=outcome.consent["scope"])
        )
    questionnaire_id = None
    if answers is not None:
        held = call.lease
        warm = WarmAttempt(
            attempt_id, held.contact_id, held.campaign_id, held.operator_id, outcome.notes
        )
        filed = await file_questionnaire(session, warm, answers, call.contact.company, now)
        questionnaire_id = filed.id
    return Recorded.of(attempt_id, change, questionnaire_id)


async def _next_state(
    session: AsyncSession, call: Call, view: CampaignView, outcome: Outcome, now: datetime
) -> Change:
    called = call.contact
    change, capped = change_of(call, view, outcome, now)
    if outcome.disposition is Disposition.DO_NOT_CALL and called.state not in SUPPRESSED:
        await suppress_hash(
            session, called.phone_hash, called.phone, DncSource.OUTCOME, call.lease.operator_id, now
        )
    if capped is not None:
        await cap_siblings(session, called.phone_hash, called.id, capped)
    return change


def change_of(
    call: Call, view: CampaignView, outcome: Outcome, now: datetime
) -> tuple[Change, datetime | None]:
    """The contact's new state after a checked outcome, and until when its number is capped.

    Pure: a do-not-call's suppression and the cap's siblings are the caller's to write.
    """
    called = call.contact
    disposition = outcome.disposition
    if called.state in SUPPRESSED:
        return Change(called.state, called.next_call_at), None
    if disposition in CLOSING:
        return Change(ContactState.CLOSED, called.next_call_at), None
    if disposition is Disposition.DO_NOT_CALL:
        return Change(ContactState.DO_NOT_CALL, called.next_call_at), None
    if disposition is Disposition.CALLBACK:
        assert outcome.callback_at is not None  # checked by validate_outcome
        personal = outcome.callback_scope is CallbackScope.PERSONAL
        change = Change(
            ContactState.READY,
            outcome.callback_at,
            outcome.callback_at,
            outcome.callback_scope,
            call.lease.operator_id if personal else None,
        )
        return change, None
    return retry_or_close(call, view, disposition, now)


def retry_or_close(
    call: Call, view: CampaignView, disposition: Disposition, now: datetime
) -> tuple[Change, datetime | None]:
    """A retryable disposition's change, and until when the number is capped, if it is."""
    called = call.contact
    history = call.history
    same = 1 + sum(1 for c, d, _ in history if c == called.id and d is disposition)
    if is_exhausted(view.retry, disposition, called.attempts + 1, same):
        return Change(ContactState.CLOSED, called.next_call_at), None
    due = retry_at(view.retry, disposition, now, call.shift_ends_at)
    capped = cap_until([t for _, _, t in history] + [now], view.retry.calls_per_day, now)
    return Change(ContactState.READY, max(due, capped) if capped else due), capped
