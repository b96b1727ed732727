"""The managers' side in numbers: saturation marks, overdue questionnaires, cascade thresholds.

Built once from the settings at the edge and bound to the sessionmaker, so that the
domain functions whose signatures are shared with other parts (`file_questionnaire`)
read the configured numbers from the session they are given.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.settings import Settings

POLICY_KEY = "cascade.policy"


@dataclass(frozen=True)
class Marks:
    """Saturation marks in percent of the MPK's total capacity."""

    high: int = 100
    low: int = 80

    def __post_init__(self) -> None:
        if not 0 <= self.low < self.high:
            raise ValueError("the low mark must be below the high mark")


@dataclass(frozen=True)
class Policy:
    marks: Marks = field(default_factory=Marks)
    # The recent past whose closed questionnaires estimate when dialing resumes.
    closing_window: timedelta = timedelta(hours=24)
    overdue_after: timedelta = timedelta(hours=24)
    plan_volume: Decimal = Decimal("300000")
    plan_period: timedelta = timedelta(days=90)
    strategic_threshold: Decimal = Decimal("3000000")


def policy_from(settings: Settings) -> Policy:
    """The policy the settings describe."""
    return Policy(
        marks=Marks(settings.saturation_high_percent, settings.saturation_low_percent),
        closing_window=timedelta(hours=settings.closing_rate_hours),
        overdue_after=timedelta(hours=settings.overdue_hours),
        plan_volume=settings.plan_volume,
        plan_period=timedelta(days=settings.plan_period_days),
        strategic_threshold=settings.strategic_threshold,
    )


def bind_policy(maker: async_sessionmaker[AsyncSession], policy: Policy) -> None:
    """Make every session of the maker carry the policy."""
    maker.configure(info={POLICY_KEY: policy})


def policy_of(session: AsyncSession) -> Policy:
    """The policy bound to the session's maker, or the defaults."""
    policy = session.info.get(POLICY_KEY)
    return policy if isinstance(policy, Policy) else Policy()
