"""Quality control per operator: reviews, weighted score, each criterion, objections handled.

An objection counts as handled well when the review gave the counter-question criterion
(`objection_counter`) at least half its maximum, or, on a form without it, when the
call's weighted score is at least 50 %.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import Attempt, Campaign, QcReview, User
from dialer.calls.qc import OBJECTION_CRITERION, form_of


@dataclass
class Handled:
    well: int = 0
    badly: int = 0


@dataclass
class OperatorQc:
    operator_id: uuid.UUID
    login: str
    name: str
    reviews: int = 0
    score_total: Decimal = Decimal(0)
    criteria: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    objections: dict[str, Handled] = field(default_factory=lambda: defaultdict(Handled))

    @property
    def score(self) -> Decimal:
        """The mean weighted score, in percent."""
        return (self.score_total / self.reviews).quantize(Decimal("0.01"))

    def averages(self) -> dict[str, float]:
        return {code: round(sum(got) / len(got), 2) for code, got in sorted(self.criteria.items())}


def handled_well(form: list[dict[str, Any]], scores: dict[str, Any], score: Decimal) -> bool:
    """Whether the review says the call's objection was answered well."""
    for criterion in form:
        if criterion["code"] == OBJECTION_CRITERION and OBJECTION_CRITERION in scores:
            return bool(scores[OBJECTION_CRITERION] * 2 >= criterion["max"])
    return score >= 50


async def qc_report(session: AsyncSession, start: datetime, end: datetime) -> list[OperatorQc]:
    """Per operator, the reviews made in [start, end), by name."""
    rows = await session.execute(
        select(QcReview, Attempt.objection, Campaign, User)
        .join(Attempt, Attempt.id == QcReview.attempt_id)
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .join(User, User.id == QcReview.operator_id)
        .where(QcReview.created_at >= start, QcReview.created_at < end)
    )
    people: dict[uuid.UUID, OperatorQc] = {}
    for review, objection, campaign, user in rows.all():
        line = people.setdefault(user.id, OperatorQc(user.id, user.login, user.name))
        line.reviews += 1
        line.score_total += review.score
        for code, got in review.scores.items():
            line.criteria[code].append(float(got))
        if objection:
            handled = line.objections[objection]
            if handled_well(form_of(campaign), review.scores, review.score):
                handled.well += 1
            else:
                handled.badly += 1
    return sorted(people.values(), key=lambda line: (line.name, line.login))
