"""An outcome's usual case in two statements on PostgreSQL, outside any session.

Most outcomes are reported once by the operator holding a live lease: a retry (no answer,
busy, voicemail), a wrong number, a refusal with its objection, a callback, a do-not-call.
That case needs no session: one read of the call, its softphone events and the number's
history; the new state, by the full path's own rules (`validate_outcome`, `change_of`); then
one statement that writes the attempt with the call's times, ends the lease, moves the
contact, suppresses the number for a do-not-call, and keeps the answer for a repeat. That
statement writes only if, as it runs, the token's user may still report, the lease is still
live, the contact unchanged since the read and its events the ones read. Every other case
(a warm call, a number at its daily cap, an Idempotency-Key already taken), and every refusal
of that guard, is None: `dialer.queue.outcomes.record_outcome` then answers as it always has.

A warm call stays on the full path: filing its questionnaire routes it to an MPK by every
MPK's load and weighs the saturation pause under the managers' lock (`dialer.sales`); a
copy of routing's order in SQL would be a second statement of rules that must never
disagree, for one call in ten.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import func, select, text, true
from sqlalchemy.dialects.postgresql import aggregate_order_by

from dialer.base.db import driver_statement
from dialer.base.errors import InvalidInput
from dialer.base.models import ContactState, Disposition
from dialer.base.users import TokenClaims
from dialer.calls.calls import NOTHING_HEARD, Heard, call_id_of, call_times
from dialer.queue.catalog import Catalog
from dialer.queue.claims import lease
from dialer.queue.outcomes import (
    Outcome,
    Recorded,
    change_of,
    lease_key,
    outcome_hash,
    validate_outcome,
)
from dialer.queue.records import (
    CALL_WITH_HISTORY,
    WRITE_POSTGRES,
    call_of,
    history_of,
    softphone_event,
    write_values,
)

# Everything but warm: see the module's docstring.
USUAL = frozenset(Disposition) - {Disposition.WARM}


class HeardEvent(NamedTuple):
    """A softphone event as `dialer.calls.calls` reads one."""

    event: str
    call_id: str | None
    at: datetime
    reason: str | None


_order = (softphone_event.c.at, softphone_event.c.received_at)
_events = (
    select(
        func.count().label("e_count"),
        func.array_agg(aggregate_order_by(softphone_event.c.event, *_order)).label("e_events"),
        func.array_agg(aggregate_order_by(softphone_event.c.call_id, *_order)).label("e_calls"),
        func.array_agg(aggregate_order_by(softphone_event.c.at, *_order)).label("e_at"),
        func.array_agg(aggregate_order_by(softphone_event.c.reason, *_order)).label("e_reasons"),
    )
    .where(softphone_event.c.lease_id == lease.c.id)
    .lateral("heard")
)
# The call, the number's history and the lease's events, read unlocked.
USUAL_CALL = CALL_WITH_HISTORY.add_columns(
    _events.c.e_count, _events.c.e_events, _events.c.e_calls, _events.c.e_at, _events.c.e_reasons
).join_from(lease, _events, true())

# The operator may report (active, of this token's version), the lease is theirs and live,
# the contact is as the read saw it and so are the lease's events: locked, then written, or
# nothing at all. `dialer.queue.leases.check_live` and `app.deps.Operator` in SQL.
_GUARD = """guard AS (
        SELECT lease.id FROM lease JOIN contact ON contact.id = lease.contact_id
        WHERE lease.id = :lease_id AND lease.operator_id = :operator_id
          AND lease.ended_at IS NULL AND lease.expires_at > :now
          AND contact.state = 'leased' AND contact.attempts = :attempts_read
          AND (SELECT count(*) FROM softphone_event e WHERE e.lease_id = lease.id)
              = :events_read
          AND EXISTS (SELECT 1 FROM user_account u
                      WHERE u.id = :operator_id AND u.active AND u.role = 'operator'
                        AND u.token_version = :token_version)
        FOR UPDATE OF lease, contact
    ), kept AS (
        INSERT INTO idempotency_record (user_id, key, request_hash, status_code, body,
                                        created_at)
        SELECT :operator_id, :key, :request_hash, 200, CAST(CAST(:body AS text) AS json), :now
        FROM guard
        UNION ALL
        SELECT :operator_id, :client_key, :client_hash, 200, CAST(CAST(:body AS text) AS json),
               :now
        FROM guard WHERE CAST(:client_key AS text) IS NOT NULL
    ), """
# `dialer.contacts.dnc.suppress_hash` in SQL: the entry (kept once), and every other contact
# of the number stopped; the called one is stopped by the write itself.
_SUPPRESS = """listed AS (
        INSERT INTO dnc_entry (phone_hash, phone, source, created_by, created_at)
        SELECT :phone_hash, :phone, 'outcome', :operator_id, :now FROM guard
        ON CONFLICT DO NOTHING
    ), stopped AS (
        UPDATE contact SET state = 'do_not_call'
        WHERE phone_hash = :phone_hash AND id <> :contact_id
          AND state NOT IN ('erased', 'do_not_call') AND EXISTS (SELECT 1 FROM guard)
    ), """


def _guarded(guard: str) -> Any:
    return text(
        WRITE_POSTGRES.format(
            guard=guard,
            where_guarded="FROM guard",
            and_guarded="AND EXISTS (SELECT 1 FROM guard)",
        )
    )


GUARDED_WRITE = _guarded(_GUARD)
GUARDED_SUPPRESS = _guarded(_GUARD + _SUPPRESS)


def heard_in(row: Any) -> Heard:
    """What the events read with the call say of it: `dialer.calls.events.heard_on`'s answer."""
    if not row["e_count"]:
        return NOTHING_HEARD
    events = [
        HeardEvent(event, call, at.astimezone(UTC), reason)
        for event, call, at, reason in zip(
            row["e_events"], row["e_calls"], row["e_at"], row["e_reasons"], strict=True
        )
    ]
    return Heard(call_id_of(events), call_times(events))


async def record_usual(
    driver: asyncpg.Connection,
    catalog: Catalog,
    lease_id: uuid.UUID,
    token: TokenClaims,
    outcome: Outcome,
    now: datetime,
    kept: tuple[str, str] | None = None,
) -> dict[str, Any] | None:
    """The answer to a usual outcome recorded in two statements, or None.

    `kept` is the client's Idempotency-Key and its request's fingerprint, kept with the
    answer as `app.idempotency.idempotent` keeps it. A key already taken (by another
    request, or this one running beside) makes the statement fail whole: None.
    """
    # Consent is evidence, checked and kept by the full path alone (`record_outcome`).
    if outcome.disposition not in USUAL or outcome.consent is not None:
        return None
    sql, names = driver_statement(USUAL_CALL)
    row = await driver.fetchrow(sql, *({"lease_id": lease_id}[name] for name in names))
    if row is None:
        return None
    call = call_of(row, history_of(row))
    view = catalog.fresh(call.lease.campaign_id, now)
    if (
        view is None
        or call.lease.operator_id != token.user_id
        or call.contact.state is not ContactState.LEASED
    ):
        return None
    try:
        validate_outcome(outcome, view, call.contact, now)
    except InvalidInput:
        return None
    change, capped = change_of(call, view, outcome, now)
    if capped is not None:
        # The number's other contacts wait as long: the full path moves them too.
        return None
    attempt_id = uuid.uuid4()
    answer = Recorded.of(attempt_id, change).as_json()
    values = write_values(call, attempt_id, outcome, change, heard_in(row), now)
    values |= {
        "attempts_read": call.contact.attempts,
        "events_read": row["e_count"],
        "token_version": token.token_version,
        "key": lease_key(lease_id),
        "request_hash": outcome_hash(outcome),
        "body": json.dumps(answer),
        "phone_hash": call.contact.phone_hash,
        "phone": call.contact.phone,
        "client_key": kept[0] if kept else None,
        "client_hash": kept[1] if kept else None,
    }
    suppress = outcome.disposition is Disposition.DO_NOT_CALL
    sql, names = driver_statement(GUARDED_SUPPRESS if suppress else GUARDED_WRITE)
    try:
        written = await driver.fetchrow(sql, *(values[name] for name in names))
    except asyncpg.UniqueViolationError:
        return None
    return answer if written is not None else None
