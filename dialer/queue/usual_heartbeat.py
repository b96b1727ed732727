"""A heartbeat's usual case: one statement on PostgreSQL, outside any session.

An operator's page beats every few seconds for each call; on a floor of thousands that is
more requests than next-call. The usual case is the operator's own live lease: one
conditional UPDATE extends it and returns its new expiry. When it finds nothing (another
operator's lease, an ended or expired one, a revoked token, no such lease), the full route
(`dialer.queue.leases.heartbeat`) answers as it always has, with its reason.
"""

import uuid
from datetime import datetime

import asyncpg

from dialer.base.users import TokenClaims

# `dialer.queue.leases.heartbeat` and `check_live`, and `app.deps.Operator`, in SQL: the
# caller is an active operator of this token's version, the lease theirs and live; it is
# extended by its campaign's lease time.
EXTEND = """
    UPDATE lease SET expires_at = $3::timestamptz + make_interval(secs => campaign.lease_seconds)
    FROM campaign
    WHERE lease.id = $1 AND campaign.id = lease.campaign_id
      AND lease.operator_id = $2 AND lease.ended_at IS NULL AND lease.expires_at > $3
      AND EXISTS (SELECT 1 FROM user_account u
                  WHERE u.id = $2 AND u.active AND u.role = 'operator'
                    AND u.token_version = $4)
    RETURNING lease.expires_at
"""


async def extend_usual(
    driver: asyncpg.Connection, lease_id: uuid.UUID, token: TokenClaims, now: datetime
) -> datetime | None:
    """The lease's new expiry, extended in one statement, or None for the full route."""
    expires_at: datetime | None = await driver.fetchval(
        EXTEND, lease_id, token.user_id, now, token.token_version
    )
    return expires_at
