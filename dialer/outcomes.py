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
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.answers import check_answers
from dialer.catalog import CampaignView, Catalog
from dialer.dnc import DncSource, suppress_hash
from dialer.errors import IdempotencyKeyReused, InvalidInput, LeaseClosed, NotFound
from dialer.idempotency import Answer, fingerprint, recall, save
from dialer.models import (
    Attempt,
    CallbackScope,
    Contact,
    ContactState,
    Disposition,
    Lease,
    LeaseEnd,
    Shift,
    SoftphoneEvent,
)
from dialer.questionnaires import file_questionnaire
from dialer.queue import check_live
from dialer.retries import RETRYABLE, cap_until, is_exhausted, retry_at
from dialer.softphone import attach_call
from dialer.windows import is_open

# Dispositions that end the contact's life in the queue for good.
CLOSING = frozenset({Disposition.WRONG_NUMBER, Disposition.NOT_INTERESTED, Disposition.WARM})
# States the contact left the queue to while leased: an outcome never undoes them.
# Closed: its company became a client during the call (`dialer.accounts.close_contacts`).
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


@dataclass(frozen=True)
class Recorded:
    """The answer to an outcome."""

    attempt_id: uuid.UUID
    contact_state: ContactState
    next_call_at: datetime | None
    questionnaire_id: uuid.UUID | None

    def as_json(self) -> dict[str, Any]:
        return {
            "attempt_id": str(self.attempt_id),
            "contact_state": self.contact_state.value,
            "next_call_at": self.next_call_at.isoformat() if self.next_call_at else None,
            "questionnaire_id": str(self.questionnaire_id) if self.questionnaire_id else None,
        }


def _lease_key(lease_id: uuid.UUID) -> str:
    # Every outcome is also kept under its lease, so a repeat without an
    # Idempotency-Key still gets the first answer instead of a second attempt.
    return f"lease-outcome:{lease_id}"


async def record_outcome(
    session: AsyncSession,
    catalog: Catalog,
    lease_id: uuid.UUID,
    operator_id: uuid.UUID,
    outcome: Outcome,
    now: datetime,
) -> dict[str, Any]:
    """Record the outcome of the operator's lease; the answer as JSON."""
    call = await _lock(session, lease_id)
    held = call.lease
    request_hash = fingerprint(dataclasses.asdict(outcome))
    if held.operator_id == operator_id and held.end_reason is LeaseEnd.OUTCOME:
        return await _repeat(session, held, request_hash)
    await check_live(session, held, operator_id, now)
    view = await catalog.campaign(session, held.campaign_id)
    answers = _validate(outcome, view, call.contact, now)
    recorded = await _apply(session, call, view, outcome, answers, now)
    answer = recorded.as_json()
    await save(session, operator_id, _lease_key(held.id), request_hash, Answer(200, answer), now)
    return answer


@dataclass(frozen=True)
class _Call:
    """A lease and its contact, locked, with what the outcome needs to know of them."""

    lease: Lease
    contact: Contact
    shift_ends_at: datetime | None
    has_events: bool


async def _lock(session: AsyncSession, lease_id: uuid.UUID) -> _Call:
    """Lease and contact locked in one statement, against a concurrent outcome or expiry."""
    has_events = exists().where(SoftphoneEvent.lease_id == Lease.id)
    row = (
        await session.execute(
            select(Lease, Contact, Shift.ends_at, has_events.label("has_events"))
            .join(Contact, Contact.id == Lease.contact_id)
            .outerjoin(Shift, Shift.id == Lease.shift_id)
            .where(Lease.id == lease_id)
            .with_for_update(of=[Lease, Contact])
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        raise NotFound("There is no such lease.")
    return _Call(row[0], row[1], row[2], bool(row[3]))


async def _repeat(session: AsyncSession, held: Lease, request_hash: str) -> dict[str, Any]:
    try:
        first = await recall(session, held.operator_id, _lease_key(held.id), request_hash)
    except IdempotencyKeyReused as error:
        raise LeaseClosed("Another outcome was already recorded for this lease.") from error
    if first is None:
        raise LeaseClosed()
    body: dict[str, Any] = first.body
    return body


def _invalid(loc: str, msg: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, fields=[{"loc": ["body", loc], "msg": msg}])


def _validate(
    outcome: Outcome, view: CampaignView, target: Contact, now: datetime
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
        _check_callback_time(outcome.callback_at, view, target, now)
    if (outcome.questionnaire is not None) != (disposition is Disposition.WARM):
        raise _invalid("questionnaire", "goes with warm only", "Fill in the questionnaire.")
    if outcome.questionnaire is None:
        return None
    return check_answers(view.questionnaire_fields, outcome.questionnaire)


def _check_callback_time(at: datetime, view: CampaignView, target: Contact, now: datetime) -> None:
    if at <= now:
        raise _invalid("callback_at", "must be in the future", "The callback time has passed.")
    if not is_open(target.timezone, view.window_start, view.window_end, at):
        window = f"{view.window_start:%H:%M}–{view.window_end:%H:%M}"
        raise _invalid(
            "callback_at",
            f"outside the calling window {window} in the contact's time zone",
            f"That time is outside the calling window ({window} {target.timezone}).",
        )


async def _apply(
    session: AsyncSession,
    call: _Call,
    view: CampaignView,
    outcome: Outcome,
    answers: dict[str, Any] | None,
    now: datetime,
) -> Recorded:
    """Write the attempt, end the lease, move the contact on."""
    held, target = call.lease, call.contact
    attempt = Attempt(
        lease_id=held.id,
        contact_id=target.id,
        operator_id=held.operator_id,
        campaign_id=held.campaign_id,
        shift_id=held.shift_id,
        attempt_no=held.attempt_no,
        disposition=outcome.disposition,
        objection=outcome.objection,
        notes=outcome.notes,
        callback_at=outcome.callback_at,
        created_at=now,
    )
    history = await _number_history(session, target) if outcome.disposition in RETRYABLE else []
    session.add(attempt)
    held.ended_at = now
    held.end_reason = LeaseEnd.OUTCOME
    suppressed = target.state in SUPPRESSED
    _count_attempt(target, now)
    if not suppressed:
        await _move_on(session, call, view, outcome, history, now)
    await session.flush()
    if call.has_events:
        await attach_call(session, attempt)
    questionnaire_id = None
    if answers is not None:
        filed = await file_questionnaire(session, attempt, answers, target.company, now)
        questionnaire_id = filed.id
    ready = target.state is ContactState.READY
    return Recorded(
        attempt.id, target.state, target.next_call_at if ready else None, questionnaire_id
    )


def _count_attempt(target: Contact, now: datetime) -> None:
    target.attempts += 1
    target.last_attempt_at = now
    target.expired_streak = 0
    target.callback_at = None
    target.callback_scope = None
    target.callback_operator_id = None


async def _move_on(
    session: AsyncSession,
    call: _Call,
    view: CampaignView,
    outcome: Outcome,
    history: list[tuple[uuid.UUID, Disposition, datetime]],
    now: datetime,
) -> None:
    held, target = call.lease, call.contact
    disposition = outcome.disposition
    if disposition in CLOSING:
        target.state = ContactState.CLOSED
    elif disposition is Disposition.DO_NOT_CALL:
        await suppress_hash(
            session, target.phone_hash, target.phone, DncSource.OUTCOME, held.operator_id, now
        )
        target.state = ContactState.DO_NOT_CALL
    elif disposition is Disposition.CALLBACK:
        assert outcome.callback_at is not None  # checked by _validate
        personal = outcome.callback_scope is CallbackScope.PERSONAL
        target.state = ContactState.READY
        target.next_call_at = outcome.callback_at
        target.callback_at = outcome.callback_at
        target.callback_scope = outcome.callback_scope
        target.callback_operator_id = held.operator_id if personal else None
    else:
        await _retry_or_close(session, call, view, disposition, history, now)


async def _number_history(
    session: AsyncSession, target: Contact
) -> list[tuple[uuid.UUID, Disposition, datetime]]:
    """Every earlier attempt on this number, in any campaign: (contact, disposition, when)."""
    rows = await session.execute(
        select(Attempt.contact_id, Attempt.disposition, Attempt.created_at)
        .join(Contact, Contact.id == Attempt.contact_id)
        .where(Contact.phone_hash == target.phone_hash)
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def _retry_or_close(
    session: AsyncSession,
    call: _Call,
    view: CampaignView,
    disposition: Disposition,
    history: list[tuple[uuid.UUID, Disposition, datetime]],
    now: datetime,
) -> None:
    target = call.contact
    same = 1 + sum(1 for c, d, _ in history if c == target.id and d is disposition)
    if is_exhausted(view.retry, disposition, target.attempts, same):
        target.state = ContactState.CLOSED
        return
    due = retry_at(view.retry, disposition, now, call.shift_ends_at)
    capped = cap_until([t for _, _, t in history] + [now], view.retry.calls_per_day, now)
    target.state = ContactState.READY
    target.next_call_at = max(due, capped) if capped else due
    if capped is not None:
        await _cap_siblings(session, target, capped)


async def _cap_siblings(session: AsyncSession, target: Contact, capped: datetime) -> None:
    """The cap is per number: the same number in other campaigns waits as long.

    A sibling locked by its own call in progress is skipped rather than waited
    for (two outcomes on one number must not deadlock): its outcome computes the
    cap from the number's history when it is recorded.
    """
    siblings = (
        select(Contact.id)
        .where(
            Contact.phone_hash == target.phone_hash,
            Contact.id != target.id,
            Contact.state == ContactState.READY,
            Contact.next_call_at < capped,
        )
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        update(Contact)
        .where(Contact.id.in_(siblings.scalar_subquery()))
        .values(next_call_at=capped)
        .execution_options(synchronize_session=False)
    )
