"""The managers' side as a whole: what the clock re-checks, what a departure releases."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.locks import lock_managers
from dialer.sales.accounts import assign_unowned, release_accounts
from dialer.sales.policy import Policy
from dialer.sales.routing import rebalance, release_manager


async def recheck(session: AsyncSession, now: datetime, policy: Policy) -> None:
    """The periodic check: waiting questionnaires and unowned accounts out, saturation weighed."""
    await rebalance(session, now, policy.marks)
    await assign_unowned(session, now, "a manager of the desk became available")


async def manager_left(
    session: AsyncSession, manager_id: uuid.UUID, now: datetime, policy: Policy
) -> None:
    """A deactivated manager's questionnaires and accounts go to the others."""
    await release_manager(session, manager_id, now, policy.marks)
    await release_accounts(session, manager_id, now)


async def capacity_changed(session: AsyncSession, now: datetime, policy: Policy) -> None:
    """An MPK's capacity changed: route waiting questionnaires and weigh saturation at once."""
    await lock_managers(session)
    await rebalance(session, now, policy.marks)
