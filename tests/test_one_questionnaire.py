"""One open questionnaire per company: a warm call from another number adds to it."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import Desk, Questionnaire, QuestionnaireAddition, Role
from tests.builders import Actor, on_shift
from tests.floor import Clock, Floor, make_floor, quick_actor
from tests.live import live_server

Maker = async_sessionmaker[AsyncSession]
FIRST = {"contact_person": "Anna", "need": "boxes"}
SECOND = {"contact_person": "Boris", "need": "tape", "volume": 40}


async def count(sessionmaker: Maker, model: type[Any]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def warm_call(floor: Floor, **body: Any) -> dict[str, Any]:
    operator = floor.operators[0]
    lease = await floor.lease(operator)
    floor.clock.advance(minutes=3)
    done = await floor.outcome(operator, lease["lease_id"], disposition="warm", **body)
    assert done.status_code == 200, done.text
    answer: dict[str, Any] = done.json()
    return answer


async def two_numbers_of_one_company(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> tuple[Floor, list[Actor]]:
    """A floor with two MPK and two numbers of one company, spelt two ways, the second due."""
    floor = await make_floor(app, client, sessionmaker)
    now = floor.clock.now
    mpk = [
        await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=5)
        for _ in range(2)
    ]
    await floor.add(company="ЗАО «Вектор»", number="+74951110001")
    await floor.add(company="зао  вектор", number="+74951110002", due=now - timedelta(minutes=30))
    return floor, mpk


async def test_a_second_number_of_a_company_adds_to_its_open_questionnaire(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor, mpk = await two_numbers_of_one_company(app, client, sessionmaker)
    now = floor.clock.now

    first = await warm_call(floor, questionnaire=FIRST)
    second = await warm_call(floor, questionnaire=SECOND, notes="the buyer's own number")
    assert second["questionnaire_id"] == first["questionnaire_id"]
    assert second["contact_state"] == "closed"
    assert await count(sessionmaker, Questionnaire) == 1

    # Its MPK sees the second call on the questionnaire; the other MPK has nothing.
    seen = {}
    for manager in mpk:
        listed = await client.get("/api/v1/questionnaires", headers=manager.headers)
        seen[manager.id] = listed.json()
    [holder] = [m for m in mpk if seen[m.id]]
    [shown] = seen[holder.id]
    assert shown["answers"] == FIRST
    [added] = shown["additions"]
    assert (added["phone"], added["answers"], added["notes"]) == (
        "+74951110002",
        SECOND,
        "the buyer's own number",
    )
    assert [m for m in mpk if m is not holder and seen[m.id]] == []

    # The funnel counts both warm calls, and one questionnaire.
    day = str(now.date())
    report = await client.get(
        "/api/v1/reports/funnel", params={"from": day, "to": day}, headers=floor.supervisor.headers
    )
    total = report.json()["total"]
    assert (total["warm"], total["questionnaires"]) == (2, 1)


async def test_one_questionnaire_read_alone_is_what_the_list_shows(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    # One questionnaire, and its status change's answer, read by id as the list reads them all.
    floor, mpk = await two_numbers_of_one_company(app, client, sessionmaker)
    await floor.add(
        company="Alone Ltd", number="+74951110003", due=floor.clock.now - timedelta(minutes=20)
    )
    with_addition = await warm_call(floor, questionnaire=FIRST, notes="call after lunch")
    await warm_call(floor, questionnaire=SECOND, notes="the buyer's own number")
    alone = await warm_call(floor, questionnaire=SECOND)
    for filed in (with_addition, alone):
        qid = filed["questionnaire_id"]
        [holder] = [
            m
            for m in mpk
            if (await client.get(f"/api/v1/questionnaires/{qid}", headers=m.headers)).status_code
            == 200
        ]
        [other] = [m for m in mpk if m is not holder]
        listed = await client.get("/api/v1/questionnaires", headers=holder.headers)
        [shown] = [q for q in listed.json() if q["id"] == qid]
        one = await client.get(f"/api/v1/questionnaires/{qid}", headers=holder.headers)
        assert one.json() == shown
        assert shown["labels"]
        assert shown["history"]
        assert bool(shown["additions"]) is (filed is with_addition)
        assert (shown["notes"] == "call after lunch") is (filed is with_addition)
        url = f"/api/v1/questionnaires/{qid}/status"
        taken = await client.post(url, json={"status": "in_progress"}, headers=holder.headers)
        assert taken.json() | {"status": "new", "updated_at": shown["updated_at"]} == shown
        # Another MPK's questionnaire, or none at all, as before.
        refused = await client.get(f"/api/v1/questionnaires/{qid}", headers=other.headers)
        assert refused.status_code == 403
    missing = await client.get(f"/api/v1/questionnaires/{uuid.uuid4()}", headers=mpk[0].headers)
    assert missing.status_code == 404


async def test_a_company_whose_questionnaire_was_lost_is_filed_again(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    mpk = await quick_actor(
        sessionmaker, Role.MANAGER, floor.clock.now, desk=Desk.ACQUISITION, capacity=5
    )
    await floor.add(company="Lost Ltd")
    first = await warm_call(floor, questionnaire=FIRST)
    url = f"/api/v1/questionnaires/{first['questionnaire_id']}/status"
    for body in ({"status": "in_progress"}, {"status": "lost", "reason": "no budget"}):
        assert (await client.post(url, json=body, headers=mpk.headers)).status_code == 200
    await floor.add(company="LOST LTD")
    again = await warm_call(floor, questionnaire=SECOND)
    assert again["questionnaire_id"] != first["questionnaire_id"]
    assert await count(sessionmaker, Questionnaire) == 2


OPERATORS = 6


def file_warm(url: str, token: str, start: threading.Barrier) -> httpx.Response:
    """One operator: take a lease, wait for the others, record it warm at the same moment."""
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        lease = http.post("/api/v1/dialer/next")
        assert lease.status_code == 200, lease.text
        start.wait()
        return http.post(
            f"/api/v1/leases/{lease.json()['lease_id']}/outcome",
            json={"disposition": "warm", "questionnaire": FIRST, "notes": "same company"},
        )


async def test_operators_filing_warm_for_one_company_at_once_file_one_questionnaire(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: Maker,
    database_url: str,
) -> None:
    now = utcnow()
    supervisor = await quick_actor(sessionmaker, Role.SUPERVISOR, now)
    created = await client.post(
        "/api/v1/campaigns",
        json={"name": "One company", "calling_window": {"start": "00:00", "end": "23:59:59"}},
        headers=supervisor.headers,
    )
    for _ in range(2):
        await quick_actor(sessionmaker, Role.MANAGER, now, desk=Desk.ACQUISITION, capacity=20)
    operators = [await quick_actor(sessionmaker, Role.OPERATOR, now) for _ in range(OPERATORS)]
    shift_id = await on_shift(sessionmaker, [o.id for o in operators])
    floor = Floor(client, sessionmaker, Clock(now), created.json(), supervisor, operators, shift_id)
    for n in range(OPERATORS):
        # Spellings the company fold takes as one.
        await floor.add(company=f"{'ООО' if n % 2 else 'ооо'} «Каскад{' ' * (n % 3)}»")
    start = threading.Barrier(OPERATORS)
    with live_server(database_url, workers=2) as server, ThreadPoolExecutor(OPERATORS) as pool:
        runs = [pool.submit(file_warm, server.url, o.token, start) for o in operators]
        answers = [run.result() for run in runs]
    assert [a.status_code for a in answers] == [200] * OPERATORS, [a.text for a in answers]
    assert len({a.json()["questionnaire_id"] for a in answers}) == 1
    assert await count(sessionmaker, Questionnaire) == 1
    assert await count(sessionmaker, QuestionnaireAddition) == OPERATORS - 1
    async with sessionmaker() as session:
        [held] = await session.scalars(select(Questionnaire))
        assert held.manager_id is not None
        assert uuid.UUID(answers[0].json()["questionnaire_id"]) == held.id
