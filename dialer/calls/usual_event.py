"""A softphone event's usual case: one statement on PostgreSQL, outside any session.

A softphone reports three or four events a call, more requests than next-call and the
outcome together. The usual one continues the call of the operator's live lease: its SIP
Call-ID is already matched to the lease, or its number is the lease's number; it is not
a repeat, and no attempt has been written yet (so there are no call times to refresh).
One INSERT … SELECT keeps it, matched, if and only if all of that holds as it runs and its
time falls within the lease's life (`kept_aside`'s bounds); it takes the lease's key-share
lock, so an outcome writing that lease at the same moment is waited for and then sends the
event to the full path. Anything else (an event that matches no lease or an ended one, one
kept aside, a repeat, a revoked token) is None: `dialer.calls.events.record_event` then
answers as it always has.
"""

import uuid
from datetime import datetime

import asyncpg

from dialer.base.users import TokenClaims
from dialer.calls.events import (
    CLOCK_SKEW,
    NUMBER_LENGTH,
    TEXT_LENGTH,
    IncomingEvent,
    clip,
    dialled_number,
)

# `record_event`'s `_matching_lease`, `kept_aside` and `_same_event` in SQL, and
# `app.deps.Operator`: the lease known by the Call-ID, else the live lease of the number;
# kept only while that lease is live, the event's time within its life give or take the
# clock skew, and the same event not already kept.
KEEP = """
    WITH caller AS (
        SELECT 1 FROM user_account
        WHERE id = $1 AND active AND role = 'operator' AND token_version = $2
    ), matched AS (
        SELECT lease.id, lease.created_at FROM lease
        WHERE lease.operator_id = $1 AND lease.ended_at IS NULL
          AND lease.id = coalesce(
              (SELECT e.lease_id FROM softphone_event e
               WHERE $3::text IS NOT NULL AND e.operator_id = $1 AND e.call_id = $3
                 AND e.lease_id IS NOT NULL LIMIT 1),
              (SELECT l.id FROM lease l JOIN contact c ON c.id = l.contact_id
               WHERE l.operator_id = $1 AND c.phone = $4 AND l.ended_at IS NULL))
        FOR KEY SHARE
    )
    INSERT INTO softphone_event (id, operator_id, lease_id, event, call_id, number, reason,
                                 at, received_at)
    SELECT $5, $1, matched.id, $6::text, $3::text, $7, $8, $9, $10 FROM matched
    WHERE EXISTS (SELECT 1 FROM caller)
      AND $9::timestamptz BETWEEN matched.created_at - $11::interval
                              AND $10::timestamptz + $11::interval
      AND NOT EXISTS (SELECT 1 FROM softphone_event s
                      WHERE $3::text IS NOT NULL AND s.operator_id = $1 AND s.call_id = $3
                        AND s.event = $6::text AND s.at = $9)
    RETURNING lease_id
"""


async def keep_usual(
    driver: asyncpg.Connection,
    token: TokenClaims,
    incoming: IncomingEvent,
    region: str,
    now: datetime,
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The kept event's id and its lease, in one statement; None for the full route."""
    e164 = dialled_number(incoming.number, region)
    event_id = uuid.uuid4()
    lease_id: uuid.UUID | None = await driver.fetchval(
        KEEP,
        token.user_id,
        token.token_version,
        clip(incoming.call_id, TEXT_LENGTH),
        e164,
        event_id,
        incoming.event.value,
        e164 or clip(incoming.number, NUMBER_LENGTH),
        clip(incoming.reason, TEXT_LENGTH),
        incoming.at,
        now,
        CLOCK_SKEW,
    )
    return None if lease_id is None else (event_id, lease_id)
