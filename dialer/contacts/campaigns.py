"""Campaigns: what is called for and how — window, retry rules, script, questionnaire."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.clock import is_zone
from dialer.base.errors import InvalidInput, NotFound
from dialer.base.models import Campaign

# The objections of the seed article, with counter-questions to answer them.
DEFAULT_OBJECTIONS: list[dict[str, str]] = [
    {
        "code": "dont_know",
        "answer": (
            "Понимаю. А кто у вас принимает решения о закупках? Подскажете, как к нему обратиться?"
        ),
    },
    {
        "code": "need_nothing",
        "answer": "Понимаю. А что вы используете сейчас и чего в этом не хватает?",
    },
    {
        "code": "busy",
        "answer": "Понимаю, займу одну минуту. Когда вам удобно, чтобы я перезвонил?",
    },
]

DEFAULT_QUESTIONNAIRE_FIELDS: list[dict[str, Any]] = [
    {"name": "contact_person", "label": "Contact person", "type": "text", "required": True},
    {"name": "need", "label": "What they need", "type": "text", "required": True},
    {"name": "volume", "label": "Expected volume", "type": "number", "required": False},
]

DEFAULT_RETRY: dict[str, Any] = {
    "max_attempts": 6,
    "calls_per_day": 3,
    "busy": {"delay_minutes": 15, "max_attempts": 5},
    "no_answer": {"delay_minutes": 120, "max_attempts": 5},
    "voicemail": {"delay_minutes": 240, "max_attempts": 3},
}

# What the shift planner assumes until the floor has history of its own: a student on the
# phones files about two warm questionnaires an hour, an MPK closes about eight a day.
DEFAULT_PLANNING: dict[str, float] = {"warm_per_operator_hour": 2.0, "closes_per_manager_day": 8.0}

FIELD_TYPES = frozenset({"text", "number", "phone", "email", "date", "choice", "bool"})


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    timezone: str = "Europe/Moscow"
    window_start: time = time(9, 0)
    window_end: time = time(20, 0)
    retry: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_RETRY))
    script: str = ""
    objections: list[dict[str, str]] = field(default_factory=lambda: list(DEFAULT_OBJECTIONS))
    questionnaire_fields: list[dict[str, Any]] = field(
        default_factory=lambda: list(DEFAULT_QUESTIONNAIRE_FIELDS)
    )
    lease_minutes: int = 10
    callback_handover_minutes: int = 30
    callback_max_days: int = 90
    active: bool = True
    planning: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PLANNING))
    recording_days: int = 90
    # Empty: the default form (`dialer.calls.qc.DEFAULT_QC_FORM`).
    qc_form: list[dict[str, Any]] = field(default_factory=list)
    qc_sample_percent: int = 10
    consent_required: bool = False
    recording_notice: str = ""


def check_timezone(name: str, loc: str = "timezone") -> str:
    """The IANA zone name, or InvalidInput."""
    if not is_zone(name):
        raise InvalidInput(
            f"Unknown time zone {name!r}.", fields=[{"loc": [loc], "msg": "unknown time zone"}]
        )
    return name


def validate_spec(spec: CampaignSpec) -> None:
    """Refuse a campaign whose parts contradict each other."""
    check_timezone(spec.timezone)
    if spec.window_start >= spec.window_end:
        raise InvalidInput(
            "The calling window must start before it ends.",
            fields=[{"loc": ["calling_window"], "msg": "start must be before end"}],
        )
    # A choice with nothing to choose from refuses every answer to it.
    if any(f.get("type") == "choice" and not f.get("choices") for f in spec.questionnaire_fields):
        raise InvalidInput(
            "A choice field needs its choices.",
            fields=[{"loc": ["questionnaire_fields"], "msg": "a choice field needs its choices"}],
        )
    codes = [o["code"] for o in spec.objections]
    names = [f["name"] for f in spec.questionnaire_fields]
    for loc, values in (("objections", codes), ("questionnaire_fields", names)):
        if len(set(values)) != len(values):
            raise InvalidInput(
                f"The {loc.replace('_', ' ')} repeat a name.",
                fields=[{"loc": [loc], "msg": "names must be unique"}],
            )


def planning_of_spec(planning: dict[str, float] | None) -> dict[str, float]:
    """The planner's defaults with the built-in ones where a campaign says nothing."""
    return {**DEFAULT_PLANNING, **(planning or {})}


def retry_settings(retry: dict[str, Any]) -> dict[str, Any]:
    """The retry rules with the defaults filled in where a campaign says nothing."""
    return {**DEFAULT_RETRY, **retry}


def _apply(campaign: Campaign, spec: CampaignSpec) -> None:
    retry = retry_settings(spec.retry)
    campaign.name = spec.name
    campaign.timezone = spec.timezone
    campaign.window_start = spec.window_start
    campaign.window_end = spec.window_end
    campaign.retry = retry
    campaign.max_attempts = int(retry["max_attempts"])
    campaign.calls_per_day = int(retry["calls_per_day"])
    campaign.lease_seconds = spec.lease_minutes * 60
    campaign.callback_handover_minutes = spec.callback_handover_minutes
    campaign.callback_max_days = spec.callback_max_days
    campaign.script = spec.script
    campaign.objections = spec.objections
    campaign.questionnaire_fields = spec.questionnaire_fields
    campaign.active = spec.active
    campaign.planning = planning_of_spec(spec.planning)
    campaign.recording_days = spec.recording_days
    campaign.qc_form = spec.qc_form
    campaign.qc_sample_percent = spec.qc_sample_percent
    campaign.consent_required = spec.consent_required
    campaign.recording_notice = spec.recording_notice


async def create_campaign(session: AsyncSession, spec: CampaignSpec, now: datetime) -> Campaign:
    """Add a campaign."""
    validate_spec(spec)
    campaign = Campaign(created_at=now)
    _apply(campaign, spec)
    session.add(campaign)
    await session.flush()
    return campaign


def spec_of(campaign: Campaign) -> CampaignSpec:
    """The campaign's settings as a spec, for a change to start from."""
    return CampaignSpec(
        name=campaign.name,
        timezone=campaign.timezone,
        window_start=campaign.window_start,
        window_end=campaign.window_end,
        retry=dict(campaign.retry),
        script=campaign.script,
        objections=list(campaign.objections),
        questionnaire_fields=list(campaign.questionnaire_fields),
        lease_minutes=campaign.lease_seconds // 60,
        callback_handover_minutes=campaign.callback_handover_minutes,
        callback_max_days=campaign.callback_max_days,
        active=campaign.active,
        planning=planning_of_spec(campaign.planning),
        recording_days=campaign.recording_days,
        qc_form=list(campaign.qc_form),
        qc_sample_percent=campaign.qc_sample_percent,
        consent_required=campaign.consent_required,
        recording_notice=campaign.recording_notice,
    )


async def update_campaign(
    session: AsyncSession, campaign_id: uuid.UUID, spec: CampaignSpec
) -> Campaign:
    """Change every setting of a campaign; questionnaires already filed keep their answers."""
    validate_spec(spec)
    campaign = await session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise NotFound("There is no such campaign.")
    _apply(campaign, spec)
    await session.flush()
    return campaign


async def get_campaign(session: AsyncSession, campaign_id: uuid.UUID) -> Campaign:
    """The campaign, or NotFound."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("There is no such campaign.")
    return campaign


async def list_campaigns(
    session: AsyncSession, limit: int = 1000, offset: int = 0
) -> tuple[list[Campaign], int]:
    """A page of campaigns, newest first, and how many there are."""
    total = await session.scalar(select(func.count()).select_from(Campaign))
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id)
    found = await session.scalars(query.limit(limit).offset(offset))
    return list(found), int(total or 0)


async def set_active(session: AsyncSession, campaign_id: uuid.UUID, active: bool) -> Campaign:
    """Start or stop handing out a campaign's numbers."""
    campaign = await get_campaign(session, campaign_id)
    campaign.active = active
    await session.flush()
    return campaign
