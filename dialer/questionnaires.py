"""Warm questionnaires: filed from a warm outcome, worked by the managers."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialer.models import Attempt, Questionnaire, QuestionnaireStatus


async def file_questionnaire(
    session: AsyncSession,
    attempt: Attempt,
    answers: dict[str, Any],
    company: str | None,
    now: datetime,
) -> Questionnaire:
    """Record the warm questionnaire an attempt produced."""
    questionnaire = Questionnaire(
        attempt_id=attempt.id,
        contact_id=attempt.contact_id,
        campaign_id=attempt.campaign_id,
        operator_id=attempt.operator_id,
        status=QuestionnaireStatus.NEW,
        answers=answers,
        company=company,
        created_at=now,
        updated_at=now,
    )
    session.add(questionnaire)
    await session.flush()
    return questionnaire
