"""An operator's own callbacks: the personal ones it promised, due first."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import CallbackScope, Campaign, Contact, ContactState


@dataclass(frozen=True)
class Callback:
    contact: Contact
    campaign_name: str


async def own_callbacks(
    session: AsyncSession, operator_id: uuid.UUID, limit: int = 100
) -> list[Callback]:
    """Callbacks this operator took that are still to be made (or in its hands now)."""
    rows = await session.execute(
        select(Contact, Campaign.name)
        .join(Campaign, Campaign.id == Contact.campaign_id)
        .where(
            Contact.callback_operator_id == operator_id,
            Contact.callback_at.is_not(None),
            Contact.callback_scope == CallbackScope.PERSONAL,
            Contact.state.in_([ContactState.READY, ContactState.LEASED]),
        )
        .order_by(Contact.callback_at)
        .limit(limit)
    )
    return [Callback(c, name) for c, name in rows]
