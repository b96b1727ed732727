"""A questionnaire's usual change of status in two statements on PostgreSQL, each its own
transaction.

Most changes are a manager taking up one of its questionnaires (`in_progress`) or losing one
it took up (`lost`), asked once. That case holds no transaction across statements: one read of
the questionnaire as its manager sees it (`read_view`'s own statement) with the caller's row
beside it; the full path's checks (`checked_change`) on what was read; the answer made from the read
and the change, as `change_and_view` makes it; then one statement that writes the change and
keeps the answer for the Idempotency-Key, only if, as it runs, the caller may still act
(active, of the role read, of this token's version) and the questionnaire is the version read
(its `xmin`: no one has written it since). A key already taken makes that statement fail
whole. Every other case, and every refusal, is None: `change_and_view` then answers as it
always has, in one transaction under the row's lock.

A first order stays on the full path: it opens the client's account and hands it to an MRK
under the clients' lock (`dialer.sales.accounts.open_account`).
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, bindparam, cast, literal_column, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from dialer.base.dialects import once_per_dialect
from dialer.base.errors import Forbidden, InvalidInput, InvalidTransition
from dialer.base.models import Questionnaire, QuestionnaireStatus, User
from dialer.base.users import TokenClaims
from dialer.sales.policy import Policy
from dialer.sales.questionnaires import (
    QuestionnaireView,
    StatusChange,
    checked_change,
    is_overdue,
    viewed,
    views_of,
)

USUAL = frozenset({QuestionnaireStatus.IN_PROGRESS, QuestionnaireStatus.LOST})

_caller = aliased(User, name="caller")

# The change, if the caller may still act and the row is the version read; the answer kept
# with it for the key, when there is one.
_WRITE = text(
    """WITH changed AS (
        UPDATE questionnaire SET status = :status, amount = NULL, reason = :reason,
                                 updated_at = :now
        WHERE id = :questionnaire_id AND CAST(xmin AS text) = :version
          AND EXISTS (SELECT 1 FROM user_account u
                      WHERE u.id = :user_id AND u.active AND u.role = :role
                        AND u.token_version = :token_version)
        RETURNING id
    ), kept AS (
        INSERT INTO idempotency_record (user_id, key, request_hash, status_code, body,
                                        created_at)
        SELECT :user_id, CAST(:key AS text), :request_hash, 200,
               CAST(CAST(:body AS text) AS json), :now
        FROM changed WHERE CAST(:key AS text) IS NOT NULL
    )
    SELECT id FROM changed"""
)


@once_per_dialect
def _read(session: AsyncSession) -> Select[Any]:
    """The questionnaire as its manager sees it (`viewed`), the caller's role, whether it is
    active and its token version beside it, and the row's version (`xmin`)."""
    return (
        viewed(session)
        .add_columns(
            _caller.role,
            _caller.active,
            _caller.token_version,
            cast(literal_column("questionnaire.xmin"), Text),
        )
        .outerjoin(_caller, _caller.id == bindparam("caller"))
        .where(Questionnaire.id == bindparam("questionnaire_id"))
    )


async def change_usual(
    session: AsyncSession,
    questionnaire_id: uuid.UUID,
    token: TokenClaims,
    change: StatusChange,
    now: datetime,
    policy: Policy,
    answer_of: Callable[[QuestionnaireView], dict[str, Any]],
    kept: tuple[str, str] | None = None,
) -> dict[str, Any] | None:
    """The answer to a usual change, written, or None.

    `session` makes each statement its own transaction (`dialer.base.db.autocommit_session`).
    `answer_of` turns the view after the change into the JSON answer, as the full route does;
    `kept` is the client's Idempotency-Key and its request's fingerprint.
    """
    if change.status not in USUAL:
        return None
    ids = {"questionnaire_id": questionnaire_id, "caller": token.user_id}
    rows = (await session.execute(_read(session), ids)).all()
    if not rows:
        return None
    # `viewed`'s columns, then the caller's and the row's version added above.
    seen, (role, active, token_version, version) = rows[0][:-4], rows[0][-4:]
    if not active or token_version != token.token_version:
        return None
    questionnaire: Questionnaire = seen[0]
    try:
        # Its role checked there too: only staff and the questionnaire's manager may act.
        checked_change(User(id=token.user_id, role=role), questionnaire, change)
    except (Forbidden, InvalidTransition, InvalidInput):
        return None  # refused by the full path, which says why
    [view] = await views_of(session, [seen], now, policy)
    answer = answer_of(_changed(session, view, change, now, policy))
    values = {
        "questionnaire_id": questionnaire_id,
        "version": version,
        "status": change.status.value,
        "reason": change.written_reason,
        "now": now,
        "user_id": token.user_id,
        "role": role.value,
        "token_version": token.token_version,
        "key": kept[0] if kept else None,
        "request_hash": kept[1] if kept else None,
        "body": json.dumps(answer),
    }
    try:
        written = await session.scalar(_WRITE, values)
    except IntegrityError:
        return None
    return answer if written is not None else None


def _changed(
    session: AsyncSession,
    view: QuestionnaireView,
    change: StatusChange,
    now: datetime,
    policy: Policy,
) -> QuestionnaireView:
    """The view as the change leaves it: the questionnaire as `_write` writes it."""
    questionnaire = view.questionnaire
    session.expunge(questionnaire)
    questionnaire.status = change.status
    questionnaire.amount = None
    questionnaire.reason = change.written_reason
    questionnaire.updated_at = now
    return replace(view, overdue=is_overdue(questionnaire, now, policy))
