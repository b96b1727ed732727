"""Campaigns: created and managed by admins and supervisors."""

import dataclasses
import uuid
from datetime import datetime, time
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.deps import Now, Session, Staff, StatsCount
from app.listing import Page, Total
from app.schemas import Model, WallTime
from dialer.base.audit import record
from dialer.base.models import Campaign
from dialer.calls.qc import DEFAULT_QC_FORM, form_of
from dialer.contacts.campaigns import (
    DEFAULT_OBJECTIONS,
    DEFAULT_QUESTIONNAIRE_FIELDS,
    DEFAULT_RETRY,
    CampaignSpec,
    create_campaign,
    get_campaign,
    list_campaigns,
    planning_of_spec,
    set_active,
    spec_of,
    update_campaign,
)
from dialer.queue.catalog import CampaignView, Catalog

router = APIRouter(tags=["campaigns"])

Code = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")


class Window(Model):
    start: WallTime = time(9, 0)
    end: WallTime = time(20, 0)


class RetryRule(Model):
    delay_minutes: int = Field(ge=1, le=60 * 24 * 60)
    max_attempts: int = Field(ge=1, le=100)


class Retry(Model):
    max_attempts: int = Field(default=6, ge=1, le=100)
    calls_per_day: int = Field(default=3, ge=1, le=100)
    busy: RetryRule = RetryRule(**DEFAULT_RETRY["busy"])
    no_answer: RetryRule = RetryRule(**DEFAULT_RETRY["no_answer"])
    voicemail: RetryRule = RetryRule(**DEFAULT_RETRY["voicemail"])


class Objection(Model):
    code: str = Code
    answer: str = Field(max_length=4000)


class QuestionnaireField(Model):
    name: str = Code
    label: str = Field(max_length=200)
    type: Literal["text", "number", "phone", "email", "date", "choice", "bool"] = "text"
    required: bool = False
    choices: list[str] | None = None


class Planning(Model):
    """What the shift planner assumes while the floor has too little history of its own."""

    warm_per_operator_hour: float = Field(default=2.0, gt=0, le=100)
    closes_per_manager_day: float = Field(default=8.0, gt=0, le=1000)


class QcCriterion(Model):
    code: str = Code
    label: str = Field(max_length=200)
    weight: float = Field(default=1, gt=0, le=100)
    max: int = Field(default=5, ge=1, le=100)


class CampaignIn(Model):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="Europe/Moscow", max_length=64)
    calling_window: Window = Window()
    retry: Retry = Retry()
    script: str = Field(default="", max_length=20_000)
    objections: list[Objection] = Field(
        default_factory=lambda: [Objection(**o) for o in DEFAULT_OBJECTIONS], max_length=100
    )
    questionnaire_fields: list[QuestionnaireField] = Field(
        default_factory=lambda: [QuestionnaireField(**f) for f in DEFAULT_QUESTIONNAIRE_FIELDS],
        max_length=100,
    )
    lease_minutes: int = Field(default=10, ge=1, le=120)
    callback_handover_minutes: int = Field(default=30, ge=0, le=24 * 60)
    callback_max_days: int = Field(default=90, ge=1, le=3660)
    active: bool = True
    planning: Planning = Planning()
    # How many days its calls' recordings are kept.
    recording_days: int = Field(default=90, ge=1, le=3660)
    qc_form: list[QcCriterion] = Field(
        default_factory=lambda: [QcCriterion(**c) for c in DEFAULT_QC_FORM],
        min_length=1,
        max_length=30,
    )
    # The share of calls neither warm nor an objection sampled for quality control.
    qc_sample_percent: int = Field(default=10, ge=0, le=100)
    # A warm questionnaire is filed only with the consent said on the call.
    consent_required: bool = False
    # Said first on every call (the lease's script begins with it): "this call is recorded".
    recording_notice: str = Field(default="", max_length=2000)


class CampaignPatch(Model):
    """Any field of the campaign's body; each one given replaces that setting whole."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    calling_window: Window | None = None
    retry: Retry | None = None
    script: str | None = Field(default=None, max_length=20_000)
    objections: list[Objection] | None = Field(default=None, max_length=100)
    questionnaire_fields: list[QuestionnaireField] | None = Field(default=None, max_length=100)
    lease_minutes: int | None = Field(default=None, ge=1, le=120)
    callback_handover_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    callback_max_days: int | None = Field(default=None, ge=1, le=3660)
    active: bool | None = None
    planning: Planning | None = None
    recording_days: int | None = Field(default=None, ge=1, le=3660)
    qc_form: list[QcCriterion] | None = Field(default=None, min_length=1, max_length=30)
    qc_sample_percent: int | None = Field(default=None, ge=0, le=100)
    consent_required: bool | None = None
    recording_notice: str | None = Field(default=None, max_length=2000)

    def applied_to(self, spec: CampaignSpec) -> CampaignSpec:
        """The spec with every given field replaced."""
        given = self.model_fields_set
        changes: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("name", "timezone", "script", "lease_minutes")
            if name in given and getattr(self, name) is not None
        }
        for name in (
            "callback_handover_minutes",
            "callback_max_days",
            "active",
            "recording_days",
            "qc_sample_percent",
            "consent_required",
            "recording_notice",
        ):
            if name in given and getattr(self, name) is not None:
                changes[name] = getattr(self, name)
        if self.calling_window is not None:
            changes["window_start"] = self.calling_window.start
            changes["window_end"] = self.calling_window.end
        if self.retry is not None:
            changes["retry"] = self.retry.model_dump()
        if self.objections is not None:
            changes["objections"] = [o.model_dump() for o in self.objections]
        if self.planning is not None:
            changes["planning"] = self.planning.model_dump()
        if self.qc_form is not None:
            changes["qc_form"] = [c.model_dump() for c in self.qc_form]
        if self.questionnaire_fields is not None:
            changes["questionnaire_fields"] = [
                f.model_dump(exclude_none=True) for f in self.questionnaire_fields
            ]
        return dataclasses.replace(spec, **changes)


class CampaignOut(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str
    calling_window: dict[str, str]
    retry: dict[str, Any]
    script: str
    objections: list[Any]
    questionnaire_fields: list[Any]
    lease_minutes: int
    callback_handover_minutes: int
    callback_max_days: int
    active: bool
    planning: dict[str, float]
    created_at: datetime
    recording_days: int
    qc_form: list[Any]
    qc_sample_percent: int
    consent_required: bool
    recording_notice: str

    @classmethod
    def of(cls, c: Campaign) -> "CampaignOut":
        return cls(
            id=c.id,
            name=c.name,
            timezone=c.timezone,
            calling_window={
                "start": c.window_start.strftime("%H:%M"),
                "end": c.window_end.strftime("%H:%M"),
            },
            retry=c.retry,
            script=c.script,
            objections=c.objections,
            questionnaire_fields=c.questionnaire_fields,
            lease_minutes=c.lease_seconds // 60,
            callback_handover_minutes=c.callback_handover_minutes,
            callback_max_days=c.callback_max_days,
            active=c.active,
            planning=planning_of_spec(c.planning),
            created_at=c.created_at,
            recording_days=c.recording_days,
            qc_form=form_of(c),
            qc_sample_percent=c.qc_sample_percent,
            consent_required=c.consent_required,
            recording_notice=c.recording_notice,
        )


class ActiveIn(Model):
    active: bool


@router.post("/campaigns", status_code=201)
async def add_campaign(body: CampaignIn, session: Session, now: Now, staff: Staff) -> CampaignOut:
    """Create a campaign; everything but the name has a default."""
    spec = CampaignSpec(
        name=body.name,
        timezone=body.timezone,
        window_start=body.calling_window.start,
        window_end=body.calling_window.end,
        retry=body.retry.model_dump(),
        script=body.script,
        objections=[o.model_dump() for o in body.objections],
        questionnaire_fields=[f.model_dump(exclude_none=True) for f in body.questionnaire_fields],
        lease_minutes=body.lease_minutes,
        callback_handover_minutes=body.callback_handover_minutes,
        callback_max_days=body.callback_max_days,
        active=body.active,
        planning=body.planning.model_dump(),
        recording_days=body.recording_days,
        qc_form=[c.model_dump() for c in body.qc_form],
        qc_sample_percent=body.qc_sample_percent,
        consent_required=body.consent_required,
        recording_notice=body.recording_notice,
    )
    created = await create_campaign(session, spec, now)
    await record(session, staff, "campaign.create", "campaign", created.id, created.name, now)
    return CampaignOut.of(created)


@router.get("/campaigns")
async def campaigns(session: Session, page: Page, total: Total, _staff: Staff) -> list[CampaignOut]:
    """Every campaign, newest first."""
    found, count = await list_campaigns(session, page.limit, page.offset)
    total.set(count)
    return [CampaignOut.of(c) for c in found]


@router.get("/campaigns/{campaign_id}")
async def campaign(campaign_id: uuid.UUID, session: Session, _staff: Staff) -> CampaignOut:
    """One campaign."""
    return CampaignOut.of(await get_campaign(session, campaign_id))


@router.patch("/campaigns/{campaign_id}")
async def patch_campaign(
    campaign_id: uuid.UUID,
    body: CampaignPatch,
    request: Request,
    session: Session,
    now: Now,
    staff: Staff,
) -> CampaignOut:
    """Change any setting; the next claim obeys it, filed questionnaires keep their answers."""
    current = await get_campaign(session, campaign_id)
    before = CampaignOut.of(current).model_dump(mode="json")
    changed = await update_campaign(session, campaign_id, body.applied_to(spec_of(current)))
    after = CampaignOut.of(changed)
    summary = _changes(before, after.model_dump(mode="json"), body.model_fields_set)
    await record(session, staff, "campaign.update", "campaign", campaign_id, summary, now)
    await _committed_then_forgotten(request, session)
    return after


@router.get("/campaigns/{campaign_id}/stats")
async def stats(
    campaign_id: uuid.UUID, session: Session, now: Now, count: StatsCount, _staff: Staff
) -> dict[str, Any]:
    """The campaign's live counts; they may trail the contacts by a second or two
    (`app.counts`)."""
    campaign = await get_campaign(session, campaign_id)
    return await count(session, CampaignView.of(campaign), now)


@router.put("/campaigns/{campaign_id}/active")
async def activate(
    campaign_id: uuid.UUID,
    body: ActiveIn,
    request: Request,
    session: Session,
    now: Now,
    staff: Staff,
) -> CampaignOut:
    """Start or stop handing out the campaign's numbers."""
    changed = await set_active(session, campaign_id, body.active)
    summary = f"{changed.name}: active → {changed.active}"
    await record(session, staff, "campaign.update", "campaign", campaign_id, summary, now)
    await _committed_then_forgotten(request, session)
    return CampaignOut.of(changed)


async def _committed_then_forgotten(request: Request, session: Session) -> None:
    # The claims of this process read campaigns from a catalog kept 30 s. Dropped only
    # after the commit, a reload in between cannot keep the old settings.
    await session.commit()
    catalog: Catalog = request.app.state.catalog
    catalog.forget()


def _changes(before: dict[str, Any], after: dict[str, Any], given: set[str]) -> str:
    changed = sorted(k for k in given if before.get(k) != after.get(k))
    return f"{after['name']}: " + (
        ", ".join(changed) + " changed" if changed else "nothing changed"
    )
