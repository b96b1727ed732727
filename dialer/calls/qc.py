"""Quality control: which recorded calls are reviewed, and a reviewer's scores of one.

A recording is sampled for review when it arrives: every warm call, every
not-interested call with its objection (the students' one skill is answering those),
and a share of the rest (the campaign's `qc_sample_percent`), chosen by the attempt's
random id so that the choice is the same however often it is asked. A review scores
each criterion of the campaign's QC form from 0 to its maximum; the weighted score is
the form's weighted share of the maximum, in percent.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import AlreadyReviewed, InvalidInput, NotFound
from dialer.base.models import Attempt, Campaign, Contact, Disposition, QcReview, Recording, User

DEFAULT_QC_FORM: list[dict[str, Any]] = [
    {"code": "greeting", "label": "Greeting and introduction", "weight": 1, "max": 5},
    {"code": "script", "label": "Script followed", "weight": 2, "max": 5},
    {
        "code": "objection_counter",
        "label": "Objection answered with a counter-question",
        "weight": 3,
        "max": 5,
    },
    {"code": "questionnaire", "label": "Questionnaire complete", "weight": 2, "max": 5},
    {"code": "courtesy", "label": "Courtesy", "weight": 1, "max": 5},
]
# The criterion that says whether an objection was handled well (at least half its maximum).
OBJECTION_CRITERION = "objection_counter"


def form_of(campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's QC form, or the default one."""
    return list(campaign.qc_form) or DEFAULT_QC_FORM


def sampled(attempt: Attempt, percent: int) -> bool:
    """Whether a recorded attempt goes to the review queue."""
    if attempt.disposition is Disposition.WARM:
        return True
    if attempt.disposition is Disposition.NOT_INTERESTED and attempt.objection:
        return True
    # A uuid4's first bits are random: a fair, repeatable draw.
    return int(attempt.id.hex[:8], 16) % 100 < percent


def weighted_score(form: list[dict[str, Any]], scores: dict[str, Any]) -> Decimal:
    """The weighted share of the form's maximum, in percent, to two places."""
    total = sum(Decimal(str(c["weight"])) for c in form)
    got = sum(
        Decimal(str(c["weight"])) * Decimal(str(scores[c["code"]])) / Decimal(str(c["max"]))
        for c in form
    )
    return (got * 100 / total).quantize(Decimal("0.01")) if total else Decimal("0.00")


def check_scores(form: list[dict[str, Any]], scores: dict[str, float]) -> dict[str, float]:
    """The scores, if each criterion of the form has one within 0..max and nothing else."""
    problems = []
    codes = {c["code"] for c in form}
    problems += [
        (code, "not a criterion of the campaign's QC form") for code in scores.keys() - codes
    ]
    for criterion in form:
        code, most = criterion["code"], criterion["max"]
        if code not in scores:
            problems.append((code, "a score is needed"))
        elif not 0 <= scores[code] <= most:
            problems.append((code, f"must be from 0 to {most}"))
    if problems:
        raise InvalidInput(
            "Score every criterion of the form within its maximum.",
            fields=[{"loc": ["body", "scores", code], "msg": msg} for code, msg in problems],
        )
    return scores


async def review(
    session: AsyncSession,
    attempt_id: uuid.UUID,
    reviewer_id: uuid.UUID,
    scores: dict[str, float],
    comment: str,
    now: datetime,
) -> QcReview:
    """Score a call against its campaign's form; one review per call."""
    found = (
        await session.execute(
            select(Attempt, Campaign)
            .join(Campaign, Campaign.id == Attempt.campaign_id)
            .where(Attempt.id == attempt_id)
            .with_for_update(of=Attempt)
        )
    ).first()
    if found is None:
        raise NotFound("There is no such attempt.")
    attempt, campaign = found
    if await session.scalar(select(QcReview.id).where(QcReview.attempt_id == attempt_id)):
        raise AlreadyReviewed()
    form = form_of(campaign)
    row = QcReview(
        attempt_id=attempt_id,
        operator_id=attempt.operator_id,
        reviewer_id=reviewer_id,
        scores=check_scores(form, scores),
        score=weighted_score(form, scores),
        comment=comment,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


@dataclass(frozen=True)
class QueuedCall:
    """A sampled call waiting for its review, with what the reviewer needs to score it."""

    attempt: Attempt
    recording: Recording
    operator: User
    campaign: Campaign
    contact: Contact


async def review_queue(
    session: AsyncSession, limit: int, offset: int
) -> tuple[list[QueuedCall], int]:
    """Sampled recorded calls not yet reviewed, oldest first; and how many there are."""
    waiting = (
        select(Attempt, Recording, User, Campaign, Contact)
        .join(Recording, Recording.attempt_id == Attempt.id)
        .join(User, User.id == Attempt.operator_id)
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .join(Contact, Contact.id == Attempt.contact_id)
        .outerjoin(QcReview, QcReview.attempt_id == Attempt.id)
        .where(Recording.sampled.is_(True), QcReview.id.is_(None))
    )
    total = await session.scalar(select(func.count()).select_from(waiting.subquery()))
    rows = await session.execute(
        waiting.order_by(Attempt.created_at, Attempt.id).limit(limit).offset(offset)
    )
    return [QueuedCall(*row) for row in rows.all()], int(total or 0)


async def reviews_of(
    session: AsyncSession, operator_id: uuid.UUID, limit: int, offset: int
) -> list[tuple[QcReview, Attempt, Recording | None, Campaign, Contact]]:
    """An operator's reviewed calls, newest review first, each with the contact it called."""
    rows = await session.execute(
        select(QcReview, Attempt, Recording, Campaign, Contact)
        .join(Attempt, Attempt.id == QcReview.attempt_id)
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .join(Contact, Contact.id == Attempt.contact_id)
        .outerjoin(Recording, Recording.attempt_id == Attempt.id)
        .where(QcReview.operator_id == operator_id)
        .order_by(QcReview.created_at.desc(), QcReview.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all())
