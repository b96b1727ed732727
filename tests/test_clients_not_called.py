"""A number whose company is already a client is never handed to an operator again."""

import uuid
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Contact, ContactState, Desk, QuestionnaireStatus, Role, User
from dialer.sales.policy import Policy
from dialer.sales.questionnaires import StatusChange, change_status
from tests import builders_managers
from tests.builders_managers import add_contact, user_row, warm
from tests.floor import Floor, make_floor, quick_actor
from tests.test_imports import HEADER, imported

Maker = async_sessionmaker[AsyncSession]


async def won(floor: Floor, company: str) -> None:
    """A client of the company: a warm questionnaire taken to a first order."""
    await user_row(floor.sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=10)
    supervisor_id = await user_row(floor.sessionmaker, Role.SUPERVISOR)
    where = builders_managers.Floor(floor.campaign_id, floor.operators[0].id)
    filed = await warm(floor.sessionmaker, where, company=company, now=floor.clock.now)
    async with floor.sessionmaker.begin() as session:
        supervisor = await session.get(User, supervisor_id)
        assert supervisor is not None
        for change in (
            StatusChange(QuestionnaireStatus.IN_PROGRESS),
            StatusChange(QuestionnaireStatus.FIRST_ORDER, amount=Decimal(100)),
        ):
            await change_status(session, filed.id, change, supervisor, floor.clock.now, Policy())


async def state_of(sessionmaker: Maker, contact_id: uuid.UUID | str) -> ContactState:
    async with sessionmaker() as session:
        state = await session.scalar(
            select(Contact.state).where(Contact.id == uuid.UUID(str(contact_id)))
        )
        assert state is not None
        return state


async def test_the_claim_passes_over_a_clients_contact_added_later(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    await won(floor, "ООО Ромашка")
    async with sessionmaker.begin() as session:
        # Added behind the cascade's back, after the account exists: still ready.
        client_contact = await add_contact(
            session, floor.campaign_id, company="ооо «РОМАШКА»", now=floor.clock.now
        )
        other = await add_contact(
            session, floor.campaign_id, company="ООО Лютик", now=floor.clock.now
        )
        ids = (client_contact.id, other.id)
    operator = floor.operators[0]
    lease = await floor.lease(operator)
    assert lease["contact"]["id"] == str(ids[1])
    done = await floor.outcome(operator, lease["lease_id"], disposition="wrong_number")
    assert done.status_code == 200, done.text
    empty = await floor.next(operator)
    assert empty.status_code == 409
    assert empty.json()["error"] == "queue_empty"
    assert await state_of(sessionmaker, ids[0]) is ContactState.READY


async def test_a_call_under_way_when_the_company_becomes_a_client_leaves_it_closed(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    await floor.add(company="Company")
    operator = floor.operators[0]
    lease = await floor.lease(operator)
    await won(floor, "company")
    assert await state_of(sessionmaker, lease["contact"]["id"]) is ContactState.CLOSED
    answer = await floor.outcome(operator, lease["lease_id"], disposition="no_answer")
    assert answer.status_code == 200, answer.text
    assert answer.json()["contact_state"] == "closed"
    assert await state_of(sessionmaker, lease["contact"]["id"]) is ContactState.CLOSED


async def test_an_import_closes_the_contacts_of_clients(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    await won(floor, "ООО Ромашка")
    rows = "+74951112233;Пётр;ООО  «Ромашка»;Москва;директор\r\n"
    rows += "+74951112244;Анна;АО Вектор;;\r\n"
    staff = await quick_actor(sessionmaker, Role.ADMIN, floor.clock.now)
    report = await imported(client, app, staff, str(floor.campaign_id), (HEADER + rows).encode())
    assert report["imported"] == 2
    async with sessionmaker() as session:
        rows_now = await session.execute(
            select(Contact.phone, Contact.state).where(
                Contact.phone.in_(["+74951112233", "+74951112244"])
            )
        )
        states = {row[0]: row[1] for row in rows_now}
    assert states == {"+74951112233": ContactState.CLOSED, "+74951112244": ContactState.READY}
