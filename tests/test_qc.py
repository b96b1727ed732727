"""Quality control: the sampled queue, scoring a call, the report, the operator's own reviews."""

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.builders import Actor, campaign
from tests.builders_recordings import attempt, upload, wav
from tests.floor import Floor, make_floor

Maker = async_sessionmaker[AsyncSession]
WARM = {
    "disposition": "warm",
    "questionnaire": {"contact_person": "Ivan", "need": "paper", "volume": 10},
}
OBJECTION = {"disposition": "not_interested", "objection": "need_nothing"}
TOP = {"greeting": 5, "script": 5, "objection_counter": 5, "questionnaire": 5, "courtesy": 5}


async def recorded(floor: Floor, operator: Actor, tone: float = 440.0, **outcome: Any) -> str:
    floor.clock.advance(minutes=1)
    attempt_id = await attempt(floor, operator, **outcome)
    sent = await upload(floor.client, attempt_id, operator, wav(0.3, tone=tone))
    assert sent.status_code == 201, sent.text
    return str(attempt_id)


async def queued(floor: Floor) -> list[dict[str, Any]]:
    answer = await floor.client.get("/api/v1/qc/queue", headers=floor.supervisor.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-total-count"] == str(len(answer.json()))
    calls: list[dict[str, Any]] = answer.json()
    return calls


async def test_warm_calls_and_objections_are_always_sampled_the_rest_by_share(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker, qc_sample_percent=0)
    operator = floor.operators[0]
    objection = await recorded(floor, operator, **OBJECTION)
    await recorded(floor, operator, 500.0, disposition="wrong_number")
    everyone = await campaign(client, floor.supervisor, qc_sample_percent=100)
    await floor.add(campaign_id=everyone["id"])
    rest = await recorded(floor, operator, 600.0, new_contact=False, disposition="wrong_number")
    warm = await recorded(floor, operator, 700.0, **WARM)
    calls = await queued(floor)
    assert [c["attempt_id"] for c in calls] == [objection, rest, warm]
    first = calls[0]
    assert (first["disposition"], first["objection"]) == ("not_interested", "need_nothing")
    assert first["operator"]["id"] == str(operator.id)
    assert [c["code"] for c in first["qc_form"]] == list(TOP)
    assert first["recording"]["content_type"] == "audio/wav"
    assert calls[1]["campaign"]["id"] == everyone["id"]


async def test_a_call_is_scored_once_against_its_form_and_leaves_the_queue(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker)
    attempt_id = await recorded(floor, floor.operators[0], **OBJECTION)
    url = f"/api/v1/attempts/{attempt_id}/qc"
    bad = await client.post(
        url, json={"scores": {**TOP, "greeting": 7, "charm": 1}}, headers=floor.supervisor.headers
    )
    assert bad.status_code == 422
    assert {tuple(f["loc"]) for f in bad.json()["fields"]} == {
        ("body", "scores", "greeting"),
        ("body", "scores", "charm"),
    }
    missing = {k: v for k, v in TOP.items() if k != "courtesy"}
    incomplete = await client.post(url, json={"scores": missing}, headers=floor.supervisor.headers)
    assert incomplete.status_code == 422

    scores = {**TOP, "objection_counter": 0, "courtesy": 4}
    made = await client.post(
        url, json={"scores": scores, "comment": "Ask back!"}, headers=floor.supervisor.headers
    )
    assert made.status_code == 201, made.text
    review = made.json()
    # (1·5/5 + 2·5/5 + 3·0/5 + 2·5/5 + 1·4/5) / 9 = 5.8 / 9
    assert Decimal(str(review["score"])) == Decimal("64.44")
    assert review["operator_id"] == str(floor.operators[0].id)
    assert await queued(floor) == []
    again = await client.post(url, json={"scores": TOP}, headers=floor.supervisor.headers)
    assert (again.status_code, again.json()["error"]) == (409, "already_reviewed")
    unknown = await client.post(
        f"/api/v1/attempts/{uuid.uuid4()}/qc",
        json={"scores": TOP},
        headers=floor.supervisor.headers,
    )
    assert unknown.status_code == 404


async def test_the_report_gives_each_operator_its_scores_and_objections_handled(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    first, second = floor.operators
    well = await recorded(floor, first, **OBJECTION)
    badly = await recorded(floor, first, 500.0, **OBJECTION)
    other = await recorded(floor, second, 600.0, **OBJECTION)
    for attempt_id, counter in ((well, 5), (badly, 1), (other, 3)):
        answer = await client.post(
            f"/api/v1/attempts/{attempt_id}/qc",
            json={"scores": {**TOP, "objection_counter": counter}},
            headers=floor.supervisor.headers,
        )
        assert answer.status_code == 201
    day = floor.clock.now.date().isoformat()
    answer = await client.get(
        "/api/v1/reports/qc", params={"from": day, "to": day}, headers=floor.supervisor.headers
    )
    assert answer.status_code == 200, answer.text
    lines = {line["operator_id"]: line for line in answer.json()}
    mine = lines[str(first.id)]
    assert mine["reviews"] == 2
    assert mine["criteria"]["objection_counter"] == 3.0
    assert mine["criteria"]["greeting"] == 5.0
    assert mine["objections"] == {"need_nothing": {"handled_well": 1, "handled_badly": 1}}
    assert lines[str(second.id)]["objections"]["need_nothing"]["handled_well"] == 1
    before = await client.get(
        "/api/v1/reports/qc",
        params={"from": "2020-01-01", "to": "2020-01-02"},
        headers=floor.supervisor.headers,
    )
    assert before.json() == []


@pytest.fixture
async def reviewed(app: FastAPI, client: httpx.AsyncClient, sessionmaker: Maker) -> Floor:
    floor = await make_floor(app, client, sessionmaker, operators=2)
    attempt_id = await recorded(floor, floor.operators[0], **OBJECTION)
    answer = await client.post(
        f"/api/v1/attempts/{attempt_id}/qc",
        json={"scores": TOP, "comment": "Well asked."},
        headers=floor.supervisor.headers,
    )
    assert answer.status_code == 201
    return floor


async def test_an_operator_sees_its_reviews_and_hears_them_through_the_link(
    reviewed: Floor,
) -> None:
    owner, another = reviewed.operators
    client = reviewed.client
    answer = await client.get("/api/v1/me/reviews", headers=owner.headers)
    [review] = answer.json()
    assert (review["comment"], Decimal(str(review["score"]))) == ("Well asked.", Decimal("100"))
    assert review["scores"] == TOP
    assert review["objection"] == "need_nothing"
    link = review["recording"]["url"]
    # No bearer token: the link alone plays, with Range, as an audio element asks.
    whole = await client.get(link)
    assert whole.status_code == 200
    assert whole.content == wav(0.3)
    part = await client.get(link, headers={"Range": "bytes=0-43"})
    assert (part.status_code, part.content) == (206, wav(0.3)[:44])
    assert (await client.get("/api/v1/me/reviews", headers=another.headers)).json() == []

    forged = link[:-4] + ("0000" if not link.endswith("0000") else "1111")
    assert (await client.get(forged)).status_code == 401
    other_attempt = f"/api/v1/attempts/{uuid.uuid4()}/recording?" + link.split("?")[1]
    assert (await client.get(other_attempt)).status_code == 401
    reviewed.clock.advance(hours=3)
    assert (await client.get(link)).status_code == 401
