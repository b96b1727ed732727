"""An outcome's usual case in two statements on PostgreSQL, outside any session.

Most outcomes are a retry (no answer, busy, voicemail) that the operator holding a live
lease reports once, with no softphone events and the number under its daily cap. That case
needs no session: one read of the call and the number's history; the new state, by the
same rules as `dialer.queue.outcomes`; then one statement that writes the attempt, ends the
lease, moves the contact and keeps the answer for a repeat. That statement writes only if,
as it runs, the token's user may still report, the lease is still live and the contact
unchanged since the read. Every other case, and every refusal of that guard, is None:
`dialer.queue.outcomes.record_outcome` then answers as it always has (measured: 3.6 ms of the
worker's CPU per outcome on the full path).
"""

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import text

from dialer.base.db import driver_statement
from dialer.base.models import ContactState
from dialer.base.users import TokenClaims
from dialer.calls.calls import NOTHING_HEARD
from dialer.queue.catalog import Catalog
from dialer.queue.outcomes import Outcome, Recorded, lease_key, outcome_hash, retry_or_close
from dialer.queue.records import (
    CALL_WITH_HISTORY,
    WRITE_POSTGRES,
    call_of,
    history_of,
    write_values,
)
from dialer.queue.retries import RETRYABLE

# The operator may report (active, of this token's version), the lease is theirs and live,
# and the contact is as the read saw it: locked, then written, or nothing at all.
_GUARD = """guard AS (
        SELECT lease.id FROM lease JOIN contact ON contact.id = lease.contact_id
        WHERE lease.id = :lease_id AND lease.operator_id = :operator_id
          AND lease.ended_at IS NULL AND lease.expires_at > :now
          AND contact.state = 'leased' AND contact.attempts = :attempts_read
          AND NOT EXISTS (SELECT 1 FROM softphone_event e WHERE e.lease_id = lease.id)
          AND EXISTS (SELECT 1 FROM user_account u
                      WHERE u.id = :operator_id AND u.active AND u.role = 'operator'
                        AND u.token_version = :token_version)
        FOR UPDATE OF lease, contact
    ), kept AS (
        INSERT INTO idempotency_record (user_id, key, request_hash, status_code, body,
                                        created_at)
        SELECT :operator_id, :key, :request_hash, 200, CAST(CAST(:body AS text) AS json), :now
        FROM guard
    ), """
GUARDED_WRITE = text(
    WRITE_POSTGRES.format(
        guard=_GUARD,
        where_guarded="FROM guard",
        and_guarded="AND EXISTS (SELECT 1 FROM guard)",
    )
)


async def record_usual(
    driver: asyncpg.Connection,
    catalog: Catalog,
    lease_id: uuid.UUID,
    token: TokenClaims,
    outcome: Outcome,
    now: datetime,
) -> dict[str, Any] | None:
    """The answer to a plain retry recorded in two statements, or None."""
    # Consent is evidence, checked and kept by the full path alone (`record_outcome`).
    extras = (outcome.objection, outcome.callback_at, outcome.questionnaire, outcome.consent)
    if outcome.disposition not in RETRYABLE or any(extra is not None for extra in extras):
        return None
    sql, names = driver_statement(CALL_WITH_HISTORY)
    row = await driver.fetchrow(sql, *({"lease_id": lease_id}[name] for name in names))
    if row is None:
        return None
    call = call_of(row, history_of(row))
    view = catalog.fresh(call.lease.campaign_id, now)
    if (
        view is None
        or call.lease.operator_id != token.user_id
        or call.has_events
        or call.contact.state is not ContactState.LEASED
    ):
        return None
    change, capped = retry_or_close(call, view, outcome.disposition, now)
    if capped is not None:
        # The number's other contacts wait as long: the full path moves them too.
        return None
    attempt_id = uuid.uuid4()
    answer = Recorded.of(attempt_id, change).as_json()
    values = write_values(call, attempt_id, outcome, change, NOTHING_HEARD, now)
    values |= {
        "attempts_read": call.contact.attempts,
        "token_version": token.token_version,
        "key": lease_key(lease_id),
        "request_hash": outcome_hash(outcome),
        "body": json.dumps(answer),
    }
    sql, names = driver_statement(GUARDED_WRITE)
    written = await driver.fetchrow(sql, *(values[name] for name in names))
    return answer if written is not None else None
