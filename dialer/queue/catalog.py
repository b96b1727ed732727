"""What the claim needs to know about the active campaigns, kept briefly in memory.

Reading every active campaign and the time zones of its ready contacts on every
next-call would double the claim's cost, and both change rarely (a campaign is
created or stopped, an import brings a new zone). The catalog keeps them for a
few seconds; the claim still checks `campaign.active` in its own statement, so
a stopped campaign stops at once, and an empty queue refreshes the catalog
before answering `queue_empty`, so a new campaign or zone is never missed.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Uuid, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import NotFound
from dialer.base.models import Campaign
from dialer.queue.retries import RetryPolicy
from dialer.queue.windows import open_zones

DEFAULT_TTL = timedelta(seconds=30)
DEFAULT_SWEEP_INTERVAL = timedelta(seconds=1)

# A loose index scan over ix_contact_ready: one index descent per distinct zone
# instead of reading every ready row.
_ZONES = text(
    """
    WITH RECURSIVE zones(timezone) AS (
        SELECT (SELECT timezone FROM contact
                WHERE campaign_id = :campaign_id AND state = 'ready' AND callback_at IS NULL
                ORDER BY timezone LIMIT 1)
        UNION ALL
        SELECT (SELECT c.timezone FROM contact c
                WHERE c.campaign_id = :campaign_id AND c.state = 'ready'
                  AND c.callback_at IS NULL AND c.timezone > zones.timezone
                ORDER BY c.timezone LIMIT 1)
        FROM zones WHERE zones.timezone IS NOT NULL
    )
    SELECT timezone FROM zones WHERE timezone IS NOT NULL
    UNION
    SELECT DISTINCT timezone FROM contact
    WHERE campaign_id = :campaign_id AND state = 'ready' AND callback_at IS NOT NULL
    """
).bindparams(bindparam("campaign_id", type_=Uuid()))


@dataclass(frozen=True)
class CampaignView:
    """The parts of a campaign the queue and the lease need."""

    id: uuid.UUID
    name: str
    script: str
    objections: list[Any]
    questionnaire_fields: list[Any]
    window_start: time
    window_end: time
    max_attempts: int
    lease_seconds: int
    callback_handover_minutes: int
    callback_max_days: int
    retry: RetryPolicy
    zones: frozenset[str]

    @classmethod
    def of(cls, campaign: Campaign, zones: Sequence[str] = ()) -> "CampaignView":
        return cls(
            id=campaign.id,
            name=campaign.name,
            script=campaign.script,
            objections=list(campaign.objections),
            questionnaire_fields=list(campaign.questionnaire_fields),
            window_start=campaign.window_start,
            window_end=campaign.window_end,
            max_attempts=campaign.max_attempts,
            lease_seconds=campaign.lease_seconds,
            callback_handover_minutes=campaign.callback_handover_minutes,
            callback_max_days=campaign.callback_max_days,
            retry=RetryPolicy.of(campaign.retry),
            zones=frozenset(zones),
        )

    def open_zones(self, now: datetime) -> list[str]:
        """The zones of this campaign's contacts whose window is open now."""
        return open_zones(self.zones, self.window_start, self.window_end, now)

    def lease_expiry(self, now: datetime) -> datetime:
        """When a lease taken now ends unless a heartbeat extends it."""
        return now + timedelta(seconds=self.lease_seconds)


async def load_campaign(session: AsyncSession, campaign_id: uuid.UUID) -> CampaignView | None:
    """One campaign, active or not, without its zones."""
    campaign = await session.get(Campaign, campaign_id)
    return None if campaign is None else CampaignView.of(campaign)


class Catalog:
    """Active campaigns with their zones, reloaded when older than `ttl`."""

    def __init__(
        self, ttl: timedelta = DEFAULT_TTL, sweep_interval: timedelta = DEFAULT_SWEEP_INTERVAL
    ) -> None:
        self.ttl = ttl
        self.sweep_interval = sweep_interval
        self._campaigns: dict[uuid.UUID, CampaignView] = {}
        self._loaded_at: datetime | None = None
        self._swept_at: datetime | None = None

    async def active(
        self, session: AsyncSession, now: datetime, *, refresh: bool = False
    ) -> list[CampaignView]:
        """The active campaigns, oldest first."""
        if refresh or self._stale(now):
            await self._load(session, now)
        return list(self._campaigns.values())

    def current(self, now: datetime) -> list[CampaignView] | None:
        """The active campaigns as loaded, or None when a reload or a sweep is due first."""
        if self._stale(now) or self._sweep_pending(now):
            return None
        return list(self._campaigns.values())

    def fresh(self, campaign_id: uuid.UUID, now: datetime) -> CampaignView | None:
        """An active campaign from memory while the catalog is fresh, sweep due or not."""
        return None if self._stale(now) else self._campaigns.get(campaign_id)

    async def campaign(self, session: AsyncSession, campaign_id: uuid.UUID) -> CampaignView:
        """A campaign by id: from memory when active, else read."""
        view = self._campaigns.get(campaign_id) or await load_campaign(session, campaign_id)
        if view is None:
            raise NotFound("There is no such campaign.")
        return view

    def forget(self) -> None:
        """Drop what is kept: a campaign changed, so the next claim reads them afresh."""
        self._campaigns = {}
        self._loaded_at = None

    def sweep_due(self, now: datetime) -> bool:
        """True at most once per sweep interval: time to expire overdue leases."""
        if not self._sweep_pending(now):
            return False
        self._swept_at = now
        return True

    def _stale(self, now: datetime) -> bool:
        return self._loaded_at is None or not (now - self.ttl < self._loaded_at <= now)

    def _sweep_pending(self, now: datetime) -> bool:
        return self._swept_at is None or not (now - self.sweep_interval < self._swept_at <= now)

    async def _load(self, session: AsyncSession, now: datetime) -> None:
        campaigns = await session.scalars(
            select(Campaign).where(Campaign.active).order_by(Campaign.created_at, Campaign.id)
        )
        loaded = {}
        for campaign in campaigns:
            zones = await session.scalars(_ZONES, {"campaign_id": campaign.id})
            loaded[campaign.id] = CampaignView.of(campaign, list(zones))
        self._campaigns = loaded
        self._loaded_at = now
