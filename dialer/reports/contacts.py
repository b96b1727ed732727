"""A contact's card: the contact, every attempt with its call times, questionnaire, account."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import NotFound
from dialer.base.folds import company_key
from dialer.base.models import (
    Account,
    Attempt,
    Campaign,
    Contact,
    ContactState,
    Questionnaire,
    Recording,
    User,
)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def attempt_line(
    attempt: Attempt, operator: User | None, recording: Recording | None = None
) -> dict[str, Any]:
    """One attempt as the card lists it; ringing from the dial (or ring) to answer or hang-up."""
    ring_from = attempt.dialed_at or attempt.ringing_at
    ring_to = attempt.answered_at or attempt.hangup_at
    return {
        "id": str(attempt.id),
        "at": attempt.created_at.isoformat(),
        "attempt_no": attempt.attempt_no,
        "operator": None if operator is None else {"id": str(operator.id), "name": operator.name},
        "disposition": attempt.disposition.value,
        "objection": attempt.objection,
        "notes": attempt.notes,
        "callback_at": attempt.callback_at.isoformat() if attempt.callback_at else None,
        "ring_seconds": _seconds(ring_from, ring_to),
        "talk_seconds": _seconds(attempt.answered_at, attempt.hangup_at),
        "hangup_reason": attempt.hangup_reason,
        "recording": None if recording is None else _recording(recording),
        "consent": None
        if attempt.consent_given is None
        else {"given": attempt.consent_given, "scope": attempt.consent_scope},
    }


def _recording(recording: Recording) -> dict[str, Any]:
    return {
        "content_type": recording.content_type,
        "size_bytes": recording.size_bytes,
        "url": f"/api/v1/attempts/{recording.attempt_id}/recording",
    }


async def contact_card(session: AsyncSession, contact_id: uuid.UUID) -> dict[str, Any]:
    """Everything staff see about one contact, attempts newest first."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("There is no such contact.")
    campaign = await session.get(Campaign, contact.campaign_id)
    rows = await session.execute(
        select(Attempt, User, Recording)
        .outerjoin(User, User.id == Attempt.operator_id)
        .outerjoin(Recording, Recording.attempt_id == Attempt.id)
        .where(Attempt.contact_id == contact_id)
        .order_by(Attempt.created_at.desc())
    )
    questionnaire = await session.scalar(
        select(Questionnaire)
        .where(Questionnaire.contact_id == contact_id)
        .order_by(Questionnaire.created_at.desc())
        .limit(1)
    )
    key = company_key(contact.company)
    account = None
    if key is not None:
        account = await session.scalar(select(Account).where(Account.company_key == key))
    return {
        **contact_line(contact),
        "campaign": {"id": str(contact.campaign_id), "name": campaign.name if campaign else None},
        "priority": contact.priority,
        "next_call_at": contact.next_call_at.isoformat(),
        "callback": _callback(contact),
        "attempts": [attempt_line(a, u, r) for a, u, r in rows.all()],
        "questionnaire": _questionnaire(questionnaire),
        "account": _account(account),
    }


def contact_line(contact: Contact) -> dict[str, Any]:
    """A contact as a search lists it."""
    return {
        "id": str(contact.id),
        "campaign_id": str(contact.campaign_id),
        "phone": contact.phone,
        "name": contact.name,
        "company": contact.company,
        "region": contact.region,
        "timezone": contact.timezone,
        "fields": contact.fields,
        "state": contact.state.value,
        "review_reason": _review_reason(contact),
        "attempts_made": contact.attempts,
        "last_attempt_at": contact.last_attempt_at.isoformat() if contact.last_attempt_at else None,
    }


def _review_reason(contact: Contact) -> dict[str, Any] | None:
    """Why a contact is in review, where its row says: the run of leases that ran out without
    an outcome (`dialer.queue.leases.expire_leases` sends it at EXPIRIES_TO_REVIEW)."""
    if contact.state is not ContactState.REVIEW or contact.expired_streak < 1:
        return None
    return {"why": "leases_expired", "in_a_row": contact.expired_streak}


def _callback(contact: Contact) -> dict[str, Any] | None:
    if contact.callback_at is None:
        return None
    return {
        "at": contact.callback_at.isoformat(),
        "scope": contact.callback_scope.value if contact.callback_scope else None,
        "operator_id": str(contact.callback_operator_id) if contact.callback_operator_id else None,
    }


def _questionnaire(found: Questionnaire | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "id": str(found.id),
        "status": found.status.value,
        "answers": found.answers,
        "manager_id": str(found.manager_id) if found.manager_id else None,
        "created_at": found.created_at.isoformat(),
    }


def _account(found: Account | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "id": str(found.id),
        "company": found.company,
        "stage": found.stage.value,
        "manager_id": str(found.manager_id) if found.manager_id else None,
    }
