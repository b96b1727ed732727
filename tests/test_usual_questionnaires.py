"""The managers' usual cases on PostgreSQL: a questionnaire's change of status in two statements
answers and writes what the full path does and yields to it whenever the row moved after its
read; their list in two reads answers the full route's bytes."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.models import (
    Desk,
    IdempotencyRecord,
    Questionnaire,
    QuestionnaireStatus,
    Role,
    User,
)
from tests.builders import Actor
from tests.builders_managers import floor, warm
from tests.floor import quick_actor
from tests.test_managers_concurrency import a_lock_waited_for
from tests.test_next_call import statements_of
from tests.test_usual_outcome import full_path

CHANGES = [
    [{"status": "in_progress"}],
    [{"status": "in_progress"}, {"status": "lost", "reason": "  chose a rival  "}],
]


async def filed_for(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[Actor, uuid.UUID]:
    """An MPK and a new questionnaire of theirs."""
    mpk = await quick_actor(sessionmaker, Role.MANAGER, utcnow(), desk=Desk.ACQUISITION, capacity=5)
    filed = await warm(sessionmaker, await floor(sessionmaker), company=uuid.uuid4().hex)
    async with sessionmaker.begin() as session:
        mine = update(Questionnaire).where(Questionnaire.id == filed.id)
        await session.execute(mine.values(manager_id=mpk.id))
    return mpk, filed.id


async def change(
    client: httpx.AsyncClient, actor: Actor, questionnaire_id: uuid.UUID, body: Any, key: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/questionnaires/{questionnaire_id}/status",
        json=body,
        headers=actor.headers | {"Idempotency-Key": key},
    )


async def kept(sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, key: str) -> Any:
    async with sessionmaker() as session:
        record = await session.get_one(IdempotencyRecord, (actor.id, key))
        return record.status_code, record.body


@pytest.mark.parametrize("changes", CHANGES)
async def test_the_usual_change_answers_as_the_full_path_and_as_a_read_after_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    changes: list[dict[str, Any]],
) -> None:
    """The answer is the questionnaire as a read right after shows it, the key keeps that
    answer, a repeat gets the same bytes; and the full path does and answers the same."""
    answers = []
    for usual in (True, False):
        mpk, questionnaire_id = await filed_for(sessionmaker)
        app.state.usual_cases = usual
        try:
            for n, body in enumerate(changes):
                first = await change(client, mpk, questionnaire_id, body, f"k{n}")
                again = await change(client, mpk, questionnaire_id, body, f"k{n}")
                read = await client.get(
                    f"/api/v1/questionnaires/{questionnaire_id}", headers=mpk.headers
                )
                assert first.status_code == again.status_code == read.status_code == 200
                assert first.json() == read.json()
                assert again.content == first.content
                assert await kept(sessionmaker, mpk, f"k{n}") == (200, first.json())
        finally:
            app.state.usual_cases = True
        answers.append(first.json())
    usual_answer, full_answer = answers
    assert usual_answer.keys() == full_answer.keys()
    same = ("status", "amount", "reason", "overdue", "additions", "account_id", "labels", "notes")
    assert {k: usual_answer[k] for k in same} == {k: full_answer[k] for k in same}
    assert len(usual_answer["history"]) == len(full_answer["history"]) == 1
    assert usual_answer["status"] == changes[-1]["status"]
    if usual_answer["status"] == "lost":
        assert usual_answer["reason"] == "chose a rival"


async def test_the_usual_change_is_one_read_and_one_guarded_write_on_postgresql(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    mpk, questionnaire_id = await filed_for(sessionmaker)
    sent = statements_of(app)
    taken = await change(client, mpk, questionnaire_id, {"status": "in_progress"}, "k")
    assert taken.status_code == 200
    said = [" ".join(s.split()).upper() for s in sent]
    if app.state.engine.dialect.name == "postgresql":
        assert len(said) == 2, said
        assert said[0].startswith("SELECT QUESTIONNAIRE.ID")
        assert said[1].startswith("WITH CHANGED AS ( UPDATE QUESTIONNAIRE")
    else:
        # The full path: its transaction, the caller, the key, the read, the change, the
        # answer kept.
        assert said[0] == "BEGIN IMMEDIATE"
        assert len(said) == 6, said


async def test_a_row_written_between_the_read_and_the_write_sends_the_change_to_the_full_path(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A supervisor hands the questionnaire to another MPK while its manager takes it up:
    the write waits for the hand-over, finds the row no longer the version read, writes
    nothing, and the full path refuses as the questionnaire now says."""
    mpk, questionnaire_id = await filed_for(sessionmaker)
    other = await quick_actor(
        sessionmaker, Role.MANAGER, utcnow(), desk=Desk.ACQUISITION, capacity=5
    )
    handed = (
        update(Questionnaire)
        .where(Questionnaire.id == questionnaire_id)
        .values(manager_id=other.id)
    )
    async with sessionmaker.begin() as session:
        await session.execute(handed)
        taking = asyncio.create_task(
            change(client, mpk, questionnaire_id, {"status": "in_progress"}, "k")
        )
        if app.state.engine.dialect.name == "postgresql":
            await asyncio.wait_for(a_lock_waited_for(sessionmaker), 10)
            assert not taking.done()
    taken = await asyncio.wait_for(taking, 10)
    assert taken.status_code == 403, taken.text
    async with sessionmaker() as session:
        questionnaire = await session.get_one(Questionnaire, questionnaire_id)
        assert questionnaire.status is QuestionnaireStatus.NEW
        assert questionnaire.manager_id == other.id
        assert await session.get(IdempotencyRecord, (mpk.id, "k")) is None


async def test_a_key_taken_by_another_change_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    mpk, first_id = await filed_for(sessionmaker)
    _, second_id = await filed_for(sessionmaker)
    async with sessionmaker.begin() as session:
        mine = update(Questionnaire).where(Questionnaire.id == second_id)
        await session.execute(mine.values(manager_id=mpk.id))
    assert (await change(client, mpk, first_id, {"status": "in_progress"}, "k")).status_code == 200
    reused = await change(client, mpk, second_id, {"status": "in_progress"}, "k")
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_reused"
    async with sessionmaker() as session:
        second = await session.get_one(Questionnaire, second_id)
        assert second.status is QuestionnaireStatus.NEW


async def test_the_managers_list_reads_the_same_bytes_on_either_path(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A manager's poll and a supervisor's list, with a call added to a questionnaire and
    one taken up: the same answer through the usual case and the full route; the manager's
    in two statements on PostgreSQL (the caller, the list) and a third for the additions."""
    mpk, first_id = await filed_for(sessionmaker)
    supervisor = await quick_actor(sessionmaker, Role.SUPERVISOR, utcnow())
    where = await floor(sessionmaker)
    await warm(sessionmaker, where, company="Acme")
    await warm(sessionmaker, where, company="Acme")  # added to the first of Acme
    async with sessionmaker.begin() as session:
        mine = update(Questionnaire).where(Questionnaire.manager_id.is_(None))
        await session.execute(mine.values(manager_id=mpk.id))
    assert (await change(client, mpk, first_id, {"status": "in_progress"}, "k")).status_code == 200
    for actor, query in (
        (mpk, "?status=new"),
        (mpk, "?status=new&status=in_progress"),
        (mpk, ""),
        (supervisor, "?status=in_progress"),
    ):
        path = f"/api/v1/questionnaires{query}"
        sent = statements_of(app)
        usual = await client.get(path, headers=actor.headers)
        said = list(sent)
        with full_path(app):
            full = await client.get(path, headers=actor.headers)
        assert usual.status_code == full.status_code == 200
        assert usual.content == full.content
        assert usual.headers["content-type"] == full.headers["content-type"]
        assert usual.json()
        if app.state.engine.dialect.name == "postgresql":
            added = any(item["additions"] for item in usual.json())
            assert len(said) == (3 if added else 2), said
    everything = (await client.get("/api/v1/questionnaires", headers=mpk.headers)).json()
    assert {item["status"] for item in everything} == {"new", "in_progress"}
    assert any(item["additions"] for item in everything)


async def test_the_lists_refusals_are_the_full_routes(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    mpk, _ = await filed_for(sessionmaker)
    operator = await quick_actor(sessionmaker, Role.OPERATOR, utcnow())
    gone = await quick_actor(sessionmaker, Role.MANAGER, utcnow(), desk=Desk.ACQUISITION)
    async with sessionmaker.begin() as session:
        await session.execute(update(User).where(User.id == gone.id).values(active=False))
    for actor, query, status in (
        (operator, "", 403),
        (gone, "", 401),
        (mpk, "?status=sold", 422),
        (mpk, "?overdue=true", 200),
    ):
        answer = await client.get(f"/api/v1/questionnaires{query}", headers=actor.headers)
        assert answer.status_code == status, (query, answer.text)
    unsigned = await client.get("/api/v1/questionnaires", headers={"Authorization": "Bearer x"})
    assert unsigned.status_code == 401
