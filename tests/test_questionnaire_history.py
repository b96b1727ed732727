"""A questionnaire's page shows its contact's last attempts, read with the questionnaire in one
statement: the same attempts, in the same order and to the microsecond, as the operator's card
reads on their own (`dialer.contacts.history.history`)."""

from datetime import timedelta

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Disposition, Questionnaire, Role, User
from dialer.contacts.history import HISTORY_SIZE, history
from dialer.sales.policy import Policy
from dialer.sales.questionnaires import file_questionnaire, read_view
from tests.builders_managers import add_contact, call, floor, warm
from tests.floor import quick_actor

Maker = async_sessionmaker[AsyncSession]
# Earlier calls of the contact, oldest first: what each said, and the operator's notes.
EARLIER = [
    (Disposition.NO_ANSWER, None, None),
    (Disposition.NOT_INTERESTED, "price", 'Said "too dear", call in spring'),
    (Disposition.BUSY, None, ""),
    (Disposition.CALLBACK, None, "Перезвонить после 15:00 — ёлки, «скобки» \\ и [x]"),
    (Disposition.NO_ANSWER, None, None),
    (Disposition.NOT_INTERESTED, "has_supplier", "line one\nline two"),
]


async def called_often(sessionmaker: Maker) -> Questionnaire:
    """A questionnaire whose contact was called six times before its warm call."""
    where = await floor(sessionmaker)
    now = utcnow()
    async with sessionmaker.begin() as session:
        contact = await add_contact(session, where.campaign_id, now=now)
        for minutes, (disposition, objection, notes) in enumerate(EARLIER):
            # Microseconds apart as well as minutes: the instants must come back whole.
            at = now - timedelta(minutes=60 - minutes, microseconds=minutes * 111)
            attempt = await call(session, where, contact, disposition, at, objection=objection)
            attempt.notes = notes
        warm_call = await call(session, where, contact, Disposition.WARM, now, answered=True)
        warm_call.notes = "wants boxes"
        return await file_questionnaire(session, warm_call, {"need": "boxes"}, None, now)


async def test_the_page_shows_the_attempts_the_card_reads(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    supervisor = await quick_actor(sessionmaker, Role.SUPERVISOR, utcnow())
    filed = await called_often(sessionmaker)
    async with sessionmaker() as session:
        card = await history(session, filed.contact_id, len(EARLIER) + 1)
    expected = [past.as_json() for past in card]
    # The card's own read: the newest five, the warm call first.
    assert len(expected) == HISTORY_SIZE
    assert expected[0]["disposition"] == "warm"
    assert [p["notes"] for p in expected[1:]] == [notes for _, _, notes in EARLIER[::-1][:4]]

    one = await client.get(f"/api/v1/questionnaires/{filed.id}", headers=supervisor.headers)
    assert one.status_code == 200, one.text
    assert one.json()["history"] == expected
    listed = await client.get("/api/v1/questionnaires", headers=supervisor.headers)
    assert listed.status_code == 200, listed.text
    [shown] = [q for q in listed.json() if q["id"] == str(filed.id)]
    assert shown["history"] == expected


async def test_a_contact_called_once_shows_its_warm_call_and_a_list_keeps_each_its_own(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    supervisor = await quick_actor(sessionmaker, Role.SUPERVISOR, utcnow())
    often = await called_often(sessionmaker)
    once = await warm(sessionmaker, await floor(sessionmaker))
    listed = await client.get("/api/v1/questionnaires", headers=supervisor.headers)
    assert listed.status_code == 200, listed.text
    shown = {q["id"]: q["history"] for q in listed.json()}
    assert [p["disposition"] for p in shown[str(once.id)]] == ["warm"]
    assert len(shown[str(often.id)]) == HISTORY_SIZE


async def test_a_questionnaire_is_read_with_its_history_in_one_statement(
    sessionmaker: Maker,
) -> None:
    supervisor = await quick_actor(sessionmaker, Role.SUPERVISOR, utcnow())
    filed = await called_often(sessionmaker)
    statements: list[str] = []

    def sent(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = sessionmaker.kw["bind"].sync_engine
    async with sessionmaker() as session:
        actor = await session.get(User, supervisor.id)
        assert actor is not None
        event.listen(engine, "before_cursor_execute", sent)
        try:
            view = await read_view(session, filed.id, actor, utcnow(), Policy())
        finally:
            event.remove(engine, "before_cursor_execute", sent)
    assert len(view.history) == HISTORY_SIZE
    assert len(statements) == 1, statements
