"""The claim: the statements that hand one contact to one operator.

On PostgreSQL one statement does it all: pick the best due callback, or else
the head of the open zone whose head comes first, `FOR UPDATE SKIP LOCKED` so
that concurrent claims step past each other's rows instead of queueing behind
them; mark the contact leased and insert the lease, `RETURNING` both. The
partial unique indexes on `lease` refuse a second active lease per contact or
operator whatever happens above them. On SQLite, where every transaction
begins IMMEDIATE and so holds the write lock from its first read, the same
pick runs as an `UPDATE … RETURNING` followed by the lease's INSERT. Neither
ever picks a contact whose company is already a client (`not_a_client`).

Next-call's usual case on PostgreSQL claims for several operators at once in
another statement, `claim_batch`, with the gate of each in it (see `dialer.queue.lanes`).

The claim is the hot path, so no statement is built per request: building
a dozen-leg statement in SQLAlchemy cost more than running it. PostgreSQL's
single claim is one fixed text taking the open (campaign, zone) pairs as arrays,
the batch claim one text per number of open pairs, each prepared once per
connection; SQLite's is built once per shape (zones per campaign) with bound
parameters and reused.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

import asyncpg
from sqlalchemy import (
    BindParameter,
    Integer,
    Row,
    Select,
    Table,
    Uuid,
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.db import UTCDateTime, driver_statement
from dialer.base.models import Attendance, Campaign, Contact, ContactState, Lease, state_literal
from dialer.base.users import TokenClaims
from dialer.contacts.companies import not_a_client
from dialer.queue.catalog import CampaignView
from dialer.shifts.gate import DIALER_TARGET

contact = cast(Table, Contact.__table__)
lease = cast(Table, Lease.__table__)
campaign = cast(Table, Campaign.__table__)
attendance = cast(Table, Attendance.__table__)

READY = state_literal(ContactState.READY)

CONTACT_COLUMNS = (
    contact.c.id,
    contact.c.campaign_id,
    contact.c.phone,
    contact.c.name,
    contact.c.company,
    contact.c.timezone,
    contact.c.fields,
    contact.c.attempts,
    contact.c.callback_at,
    contact.c.callback_scope,
    contact.c.callback_operator_id,
)


@dataclass(frozen=True)
class Slot:
    """A campaign and the zones of its contacts whose window is open now."""

    campaign: CampaignView
    zones: tuple[str, ...]


@dataclass(frozen=True)
class Claimed:
    """A contact just leased: its row and the new lease."""

    lease_id: uuid.UUID
    contact: Mapping[Any, Any]
    expires_at: datetime
    attempt_no: int


Shape = tuple[int, ...]


def _shape(slots: Sequence[Slot]) -> Shape:
    """How many open zones each slot has: all a statement's structure depends on."""
    return tuple(len(s.zones) for s in slots)


def _params(slots: Sequence[Slot], operator_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    """The bound values of the statements built for `_shape(slots)`."""
    params: dict[str, Any] = {"now": now, "operator_id": operator_id}
    for k, slot in enumerate(slots):
        view = slot.campaign
        params[f"c{k}"] = view.id
        params[f"m{k}"] = view.max_attempts
        params[f"h{k}"] = now - timedelta(minutes=view.callback_handover_minutes)
        params[f"zs{k}"] = list(slot.zones)
        for j, zone in enumerate(slot.zones):
            params[f"z{k}_{j}"] = zone
    return params


def _ready_head(k: int, j: int) -> Select[Any]:
    """The first due contact of slot k's campaign in its zone j: one index descent."""
    return (
        select(
            contact.c.id,
            contact.c.campaign_id,
            contact.c.timezone,
            contact.c.priority,
            contact.c.next_call_at,
        )
        .where(
            contact.c.state == READY,
            contact.c.callback_at.is_(None),
            contact.c.campaign_id == bindparam(f"c{k}"),
            contact.c.timezone == bindparam(f"z{k}_{j}"),
            contact.c.next_call_at <= bindparam("now"),
            contact.c.attempts < bindparam(f"m{k}"),
            exists().where(campaign.c.id == bindparam(f"c{k}"), campaign.c.active),
            not_a_client(),
        )
        .order_by(contact.c.priority, contact.c.next_call_at)
        .limit(1)
    )


@lru_cache(maxsize=64)
def _heads(shape: Shape) -> Select[Any]:
    legs = [select(_ready_head(k, j).subquery()) for k, n in enumerate(shape) for j in range(n)]
    union = union_all(*legs).subquery("heads") if len(legs) > 1 else legs[0].subquery("heads")
    return select(union).order_by(union.c.priority, union.c.next_call_at)


async def heads(
    session: AsyncSession, slots: Sequence[Slot], operator_id: uuid.UUID, now: datetime
) -> list[Row[*tuple[Any, ...]]]:
    """The head of every open (campaign, zone), unlocked, best first."""
    connection = await session.connection()
    rows = await connection.execute(_heads(_shape(slots)), _params(slots, operator_id, now))
    return list(rows.all())


@lru_cache(maxsize=64)
def _callback_pick(shape: Shape) -> Select[Any]:
    """The due callback this operator may take: its own first, then anyone's by time.

    A personal callback stays with its operator until `callback_handover_minutes`
    after it fell due, and longer while that operator is clocked in (it will be
    the first thing they get); then anyone may take it.
    """
    slots = range(len(shape))
    open_here = or_(
        *(
            and_(
                contact.c.campaign_id == bindparam(f"c{k}"),
                contact.c.timezone.in_(bindparam(f"zs{k}", expanding=True)),
            )
            for k in slots
        )
    )
    handed_over = or_(
        *(
            and_(
                contact.c.campaign_id == bindparam(f"c{k}"),
                contact.c.callback_at <= bindparam(f"h{k}"),
            )
            for k in slots
        )
    )
    owner_on_shift = exists().where(
        attendance.c.operator_id == contact.c.callback_operator_id,
        attendance.c.clock_out_at.is_(None),
    )
    me: BindParameter[uuid.UUID] = bindparam("operator_id", type_=Uuid())
    claimable = or_(
        contact.c.callback_operator_id.is_(None),
        contact.c.callback_operator_id == me,
        and_(handed_over, ~owner_on_shift),
    )
    return (
        select(contact.c.id)
        .where(
            contact.c.state == READY,
            contact.c.callback_at.is_not(None),
            contact.c.callback_at <= bindparam("now"),
            contact.c.campaign_id.in_(select(campaign.c.id).where(campaign.c.active)),
            open_here,
            claimable,
            not_a_client(),
        )
        .order_by(case((contact.c.callback_operator_id == me, 0), else_=1), contact.c.callback_at)
        .limit(1)
    )


@lru_cache(maxsize=64)
def _sqlite_pick(shape: Shape) -> Any:
    best = _heads(shape).subquery()
    ready_id = select(best.c.id).limit(1).scalar_subquery()
    callback_id = _callback_pick(shape).scalar_subquery()
    holding = exists().where(
        lease.c.operator_id == bindparam("operator_id", type_=Uuid()), lease.c.ended_at.is_(None)
    )
    return (
        update(contact)
        .where(contact.c.id == func.coalesce(callback_id, ready_id), ~holding)
        .values(state=ContactState.LEASED)
        .returning(*CONTACT_COLUMNS)
    )


# Fragments both PostgreSQL claims share. "Not a client yet" is a scalar subquery,
# not NOT EXISTS: the planner may turn NOT EXISTS into a hash anti-join that reads
# every due contact of a zone (measured: 300 ms on 100k contacts whose statistics
# predated their import) where a walk down the index stops at the first.
_NOT_A_CLIENT = """(SELECT 1 FROM account
               WHERE account.company_key = c.company_key LIMIT 1) IS NULL"""

# Each campaign's handover cut-off for personal callbacks and its new lease expiry.
_TERMS = """terms AS (
        SELECT t.campaign_id, t.handover_before, t.expires_at
        FROM unnest(CAST(:term_campaign_ids AS uuid[]),
                    CAST(:handover_before AS timestamptz[]),
                    CAST(:expires_at AS timestamptz[]))
             AS t(campaign_id, handover_before, expires_at)
    ),"""


def _due_callback(mine: str) -> str:
    """A due callback in an open pair that an operator matching `mine` may take."""
    return f"""c.state = 'ready' AND c.callback_at IS NOT NULL AND c.callback_at <= :now
          AND (SELECT 1 FROM pairs p
               WHERE p.campaign_id = c.campaign_id AND p.timezone = c.timezone
               LIMIT 1) IS NOT NULL
          AND {_NOT_A_CLIENT}
          AND (c.callback_operator_id IS NULL OR c.callback_operator_id = {mine}
               OR (c.callback_at <= (SELECT t.handover_before FROM terms t
                                     WHERE t.campaign_id = c.campaign_id)
                   AND NOT EXISTS (
                       SELECT 1 FROM attendance a
                       WHERE a.operator_id = c.callback_operator_id
                         AND a.clock_out_at IS NULL)))"""


# The same claim for PostgreSQL, as one statement of fixed text. `pairs` are the
# open (campaign, zone) pairs of active campaigns; `terms` each campaign's
# handover cut-off and new lease expiry. The due callbacks are read once, each
# checked against the open pairs and its campaign's terms by scalar subqueries:
# joined to them instead, the planner walked the callback index once per open pair
# (eleven times in the benchmark, where no callback is due), and PostgreSQL spent
# 0.03 ms more CPU per claim (0.42 against 0.39).
_CLAIM = f"""
    WITH pairs AS (
        SELECT p.campaign_id, p.timezone, p.max_attempts
        FROM unnest(CAST(:campaign_ids AS uuid[]), CAST(:zones AS text[]),
                    CAST(:max_attempts AS integer[])) AS p(campaign_id, timezone, max_attempts)
        JOIN campaign ON campaign.id = p.campaign_id AND campaign.active
        -- An operator holding a lease claims nothing: the caller returns that lease.
        WHERE NOT EXISTS (
            SELECT 1 FROM lease WHERE lease.operator_id = :operator_id AND lease.ended_at IS NULL
        )
    ),
    {_TERMS}
    callback_pick AS (
        SELECT c.id FROM contact c
        WHERE {_due_callback(":operator_id")}
        ORDER BY CASE WHEN c.callback_operator_id = :operator_id THEN 0 ELSE 1 END, c.callback_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ),
    heads AS (
        SELECT h.campaign_id, h.timezone, h.priority, h.next_call_at, p.max_attempts
        FROM pairs p CROSS JOIN LATERAL (
            SELECT c.campaign_id, c.timezone, c.priority, c.next_call_at FROM contact c
            WHERE c.state = 'ready' AND c.callback_at IS NULL
              AND c.campaign_id = p.campaign_id AND c.timezone = p.timezone
              AND c.next_call_at <= :now AND c.attempts < p.max_attempts
              AND {_NOT_A_CLIENT}
            ORDER BY c.priority, c.next_call_at
            LIMIT 1
        ) h
    ),
    best AS (
        SELECT campaign_id, timezone, max_attempts FROM heads
        ORDER BY priority, next_call_at LIMIT 1
    ),
    ready_pick AS (
        SELECT c.id FROM contact c
        WHERE c.state = 'ready' AND c.callback_at IS NULL
          AND c.campaign_id = (SELECT campaign_id FROM best)
          AND c.timezone = (SELECT timezone FROM best)
          AND c.next_call_at <= :now
          AND c.attempts < (SELECT max_attempts FROM best)
          AND NOT EXISTS (SELECT 1 FROM callback_pick)
          AND {_NOT_A_CLIENT}
        ORDER BY c.priority, c.next_call_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ),
    picked AS (
        SELECT id FROM callback_pick UNION ALL SELECT id FROM ready_pick
    ),
    claimed AS (
        UPDATE contact SET state = 'leased' FROM picked WHERE contact.id = picked.id
        RETURNING contact.id, contact.campaign_id, contact.phone, contact.name, contact.company,
                  contact.timezone, contact.fields, contact.attempts, contact.callback_at,
                  contact.callback_scope, contact.callback_operator_id
    ),
    new_lease AS (
        INSERT INTO lease (id, contact_id, operator_id, campaign_id, shift_id, attempt_no,
                           created_at, expires_at)
        SELECT :lease_id, claimed.id, :operator_id, claimed.campaign_id, :shift_id,
               claimed.attempts + 1, :now, t.expires_at
        FROM claimed JOIN terms t ON t.campaign_id = claimed.campaign_id
        RETURNING expires_at, attempt_no
    )
    SELECT claimed.*, new_lease.expires_at AS lease_expires_at, new_lease.attempt_no
    FROM claimed, new_lease
"""

_CLAIMED_COLUMNS = (
    *CONTACT_COLUMNS,
    column("lease_expires_at", UTCDateTime()),
    column("attempt_no", Integer()),
)
POSTGRES_CLAIM = text(_CLAIM).columns(*_CLAIMED_COLUMNS)


def _pairs(slots: Sequence[Slot]) -> list[tuple[CampaignView, str]]:
    return [(s.campaign, zone) for s in slots for zone in s.zones]


def _pairs_and_terms(slots: Sequence[Slot], now: datetime) -> dict[str, Any]:
    """The values of `pairs` and `terms` in both PostgreSQL claims."""
    pairs = _pairs(slots)
    return {
        "campaign_ids": [view.id for view, _ in pairs],
        "zones": [zone for _, zone in pairs],
        "max_attempts": [view.max_attempts for view, _ in pairs],
        "term_campaign_ids": [s.campaign.id for s in slots],
        "handover_before": [
            now - timedelta(minutes=s.campaign.callback_handover_minutes) for s in slots
        ],
        "expires_at": [s.campaign.lease_expiry(now) for s in slots],
        "now": now,
    }


def _postgres_params(
    slots: Sequence[Slot],
    operator_id: uuid.UUID,
    shift_id: uuid.UUID | None,
    lease_id: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    return _pairs_and_terms(slots, now) | {
        "operator_id": operator_id,
        "shift_id": shift_id,
        "lease_id": lease_id,
    }


async def claim_in(
    session: AsyncSession,
    slots: Sequence[Slot],
    operator_id: uuid.UUID,
    shift_id: uuid.UUID | None,
    now: datetime,
) -> Claimed | None:
    """Lease the best free contact of these slots to the operator, or None."""
    connection = await session.connection()
    lease_id = uuid.uuid4()
    if connection.dialect.name == "postgresql":
        params = _postgres_params(slots, operator_id, shift_id, lease_id, now)
        row = (await connection.execute(POSTGRES_CLAIM, params)).first()
        if row is None:
            return None
        return Claimed(lease_id, row._mapping, row.lease_expires_at, row.attempt_no)
    params = _params(slots, operator_id, now)
    row = (await connection.execute(_sqlite_pick(_shape(slots)), params)).first()
    if row is None:
        return None
    view = next(s.campaign for s in slots if s.campaign.id == row.campaign_id)
    expires_at = view.lease_expiry(now)
    await connection.execute(
        insert(lease).values(
            id=lease_id,
            contact_id=row.id,
            operator_id=operator_id,
            campaign_id=row.campaign_id,
            shift_id=shift_id,
            attempt_no=row.attempts + 1,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return Claimed(lease_id, row._mapping, expires_at, row.attempts + 1)


# Next-call's usual case for several operators at once: the asks that arrived while
# every lane was busy (see `dialer.queue.lanes`). One statement checks each operator's
# token and gate, finds the best due contacts of the open pairs, locks as many as
# there are operators allowed, and leases them in order of asking. It claims nothing
# while a callback that one of these operators could take is due: each then takes
# the single path, which serves callbacks first.
#
# The contacts are found in two steps, one leg per open pair: an unlocked walk of
# each pair's head (merged lazily in order), which says how many of the best
# contacts each pair holds; then each pair's own walk `FOR UPDATE SKIP LOCKED`,
# limited to that many, so that a row another claim holds is stepped past inside
# its pair and no more rows are locked than are leased. A limit of the locking
# walks cannot come from a joined row, hence one leg per pair in the text.
BATCH_MOST = 32


def _batch_leg_filter(k: int) -> str:
    return f"""c.state = 'ready' AND c.callback_at IS NULL
              AND c.campaign_id = :c{k} AND c.timezone = :z{k}
              AND c.next_call_at <= :now AND c.attempts < :m{k}"""


def _batch_head(k: int) -> str:
    return f"""SELECT {k} AS leg, priority, next_call_at FROM (
            SELECT c.priority, c.next_call_at FROM contact c
            WHERE {_batch_leg_filter(k)}
            ORDER BY c.priority, c.next_call_at LIMIT {BATCH_MOST}) head{k}"""


def _batch_leg(k: int) -> str:
    return f"""SELECT * FROM (
            SELECT c.id, c.priority, c.next_call_at FROM contact c
            WHERE {_batch_leg_filter(k)}
              AND EXISTS (SELECT 1 FROM campaign WHERE campaign.id = :c{k} AND campaign.active)
              AND {_NOT_A_CLIENT}
            ORDER BY c.priority, c.next_call_at
            LIMIT (SELECT coalesce(max(take), 0) FROM quota WHERE quota.leg = {k})
            FOR UPDATE OF c SKIP LOCKED) leg{k}"""


_BATCH_CLAIM = f"""
    WITH asks AS (
        SELECT a.operator_id, a.token_version, a.lease_id, a.ord
        FROM unnest(CAST(:operator_ids AS uuid[]), CAST(:token_versions AS integer[]),
                    CAST(:lease_ids AS uuid[])) WITH ORDINALITY
             AS a(operator_id, token_version, lease_id, ord)
    ),
    pairs AS (
        SELECT p.campaign_id, p.timezone
        FROM unnest(CAST(:campaign_ids AS uuid[]), CAST(:zones AS text[]))
             AS p(campaign_id, timezone)
        JOIN campaign ON campaign.id = p.campaign_id AND campaign.active
    ),
    {_TERMS}
    callback_due AS (
        SELECT 1 FROM contact c
        WHERE {_due_callback("ANY(CAST(:operator_ids AS uuid[]))")}
        LIMIT 1
    ),
    -- Mirrors `dialer.shifts.gate.may_dial` and the token's revocation check: the shift of
    -- each operator who may dial now and holds no lease. The checks per operator are
    -- scalar subqueries, each an index lookup by the operator: written as EXISTS, the
    -- planner joined them instead, and a plan made while few leases were open walked
    -- every open lease for each operator once many were (measured: 15 ms a batch of 8).
    permitted AS (
        SELECT DISTINCT ON (k.ord) k.operator_id, k.lease_id, k.ord, s.id AS shift_id
        FROM asks k
        JOIN attendance a ON a.operator_id = k.operator_id AND a.clock_out_at IS NULL
        JOIN shift s ON s.id = a.shift_id
        WHERE s.state = 'open' AND s.starts_at <= :now AND s.ends_at > :now
          AND (SELECT 1 FROM user_account u
               WHERE u.id = k.operator_id AND u.active AND u.role = 'operator'
                 AND u.token_version = k.token_version) IS NOT NULL
          AND (SELECT 1 FROM pause p
               WHERE p.scope = 'operator' AND p.target_id = k.operator_id
                 AND p.ended_at IS NULL LIMIT 1) IS NULL
          AND (SELECT 1 FROM lease l
               WHERE l.operator_id = k.operator_id AND l.ended_at IS NULL) IS NULL
          AND NOT EXISTS (SELECT 1 FROM pause p
                          WHERE p.scope = 'dialer' AND p.target_id = :dialer_target
                            AND p.ended_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM callback_due)
        ORDER BY k.ord
    ),
    ranked AS (
        SELECT operator_id, lease_id, shift_id, row_number() OVER (ORDER BY ord) AS rn
        FROM permitted
    ),
    quota AS (
        SELECT leg, count(*) AS take FROM (
            SELECT leg FROM ({{heads}}) heads
            ORDER BY priority, next_call_at
            LIMIT (SELECT count(*) FROM ranked)
        ) best
        GROUP BY leg
    ),
    chosen AS (
        SELECT locked.id, row_number() OVER (ORDER BY locked.priority, locked.next_call_at) AS rn
        FROM ({{legs}}) locked
    ),
    claimed AS (
        UPDATE contact SET state = 'leased'
        FROM chosen JOIN ranked ON ranked.rn = chosen.rn
        WHERE contact.id = chosen.id
        RETURNING contact.id, contact.campaign_id, contact.phone, contact.name, contact.company,
                  contact.timezone, contact.fields, contact.attempts, contact.callback_at,
                  contact.callback_scope, contact.callback_operator_id, chosen.rn
    ),
    new_lease AS (
        INSERT INTO lease (id, contact_id, operator_id, campaign_id, shift_id, attempt_no,
                           created_at, expires_at)
        SELECT r.lease_id, c.id, r.operator_id, c.campaign_id, r.shift_id, c.attempts + 1, :now,
               t.expires_at
        FROM claimed c JOIN ranked r ON r.rn = c.rn JOIN terms t ON t.campaign_id = c.campaign_id
        RETURNING contact_id, operator_id, expires_at, attempt_no
    )
    SELECT claimed.*, new_lease.operator_id, new_lease.expires_at AS lease_expires_at,
           new_lease.attempt_no
    FROM claimed JOIN new_lease ON new_lease.contact_id = claimed.id
"""


@lru_cache(maxsize=64)
def _batch_claim(pairs: int) -> tuple[str, tuple[str, ...]]:
    """The batch claim for this many open pairs, in the driver's parameter style."""
    union = "\n            UNION ALL "
    sql = _BATCH_CLAIM.format(
        heads=union.join(_batch_head(k) for k in range(pairs)),
        legs=union.join(_batch_leg(k) for k in range(pairs)),
    )
    return driver_statement(text(sql))


async def claim_batch(
    driver: asyncpg.Connection, slots: Sequence[Slot], tokens: Sequence[TokenClaims], now: datetime
) -> dict[uuid.UUID, Claimed]:
    """On PostgreSQL, the gate and the claim for several operators in one statement.

    Each operator appears once. The answer holds a lease for each operator the statement
    could serve; one missing says nothing about why (a held lease, a pause, no clock-in,
    a revoked token, another role, a due callback, too few free contacts): that caller
    then takes the path that finds out. The statement goes to the driver's connection
    as it is, outside any transaction: one round trip, atomic as a single statement is.
    """
    pairs = _pairs(slots)
    if not pairs or not tokens:
        return {}
    sql, names = _batch_claim(len(pairs))
    lease_ids = {token.user_id: uuid.uuid4() for token in tokens}
    params = _pairs_and_terms(slots, now) | {
        "operator_ids": [token.user_id for token in tokens],
        "token_versions": [token.token_version for token in tokens],
        "lease_ids": list(lease_ids.values()),
        "dialer_target": DIALER_TARGET,
    }
    for k, (view, zone) in enumerate(pairs):
        params |= {f"c{k}": view.id, f"z{k}": zone, f"m{k}": view.max_attempts}
    try:
        rows = await driver.fetch(sql, *(params[name] for name in names))
    except asyncpg.UniqueViolationError:
        # One of these operators claimed on another path at the same moment: that
        # lease stands, and every caller here takes the path that finds it.
        return {}
    return {
        row["operator_id"]: Claimed(
            lease_ids[row["operator_id"]], row, row["lease_expires_at"], row["attempt_no"]
        )
        for row in rows
    }
