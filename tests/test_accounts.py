"""The cascade: first order → account with an MRK; plan volume → regular; strategic → KAM."""

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import event, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.clock import utcnow
from dialer.base.folds import company_key, company_key_sql, search_key, search_key_sql
from dialer.base.models import Account, Contact, ContactState, Desk, Role, User
from dialer.sales.accounts import assign_unowned, record_order
from dialer.sales.managers import recheck
from dialer.sales.policy import Policy
from tests.builders import Actor, actor
from tests.builders_managers import add_contact, floor, user_row, warm

Maker = async_sessionmaker[AsyncSession]


async def first_order(
    client: httpx.AsyncClient, manager: Actor, questionnaire_id: uuid.UUID, amount: str
) -> dict[str, Any]:
    url = f"/api/v1/questionnaires/{questionnaire_id}/status"
    await client.post(url, json={"status": "in_progress"}, headers=manager.headers)
    answer = await client.post(
        url, json={"status": "first_order", "amount": amount}, headers=manager.headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def manager(client: httpx.AsyncClient, sessionmaker: Maker, desk: Desk) -> Actor:
    return await actor(client, sessionmaker, Role.MANAGER, desk=desk, capacity=10)


async def test_a_first_order_opens_an_account_with_the_least_loaded_mrk(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    mpk = await manager(client, sessionmaker, Desk.ACQUISITION)
    busy_mrk = await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
    where = await floor(sessionmaker)
    await first_order(client, mpk, (await warm(sessionmaker, where, company="Alpha")).id, "100")
    mrk = await manager(client, sessionmaker, Desk.DEVELOPMENT)
    filed = await warm(sessionmaker, where, company="ООО «Ромашка»")
    done = await first_order(client, mpk, filed.id, "120000")

    shown = await client.get(f"/api/v1/accounts/{done['account_id']}", headers=mrk.headers)
    assert shown.status_code == 200, shown.text
    account = shown.json()
    assert account["stage"] == "working"
    assert account["manager_id"] == str(mrk.id)
    assert account["company"] == "ООО «Ромашка»"
    assert account["turnover"] == "120000.00"
    assert account["orders"] == 1
    [handoff] = account["handoffs"]
    assert handoff["from_stage"] is None
    assert handoff["to_stage"] == "working"
    assert handoff["actor_id"] == str(mpk.id)
    assert handoff["to_manager_id"] == str(mrk.id)
    assert "first order" in handoff["reason"]
    others = await client.get("/api/v1/accounts", headers=mrk.headers)
    assert [a["id"] for a in others.json()] == [done["account_id"]]
    assert busy_mrk != mrk.id


async def test_a_company_is_one_account_and_its_other_numbers_are_never_called_again(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    mpk = await manager(client, sessionmaker, Desk.ACQUISITION)
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    where = await floor(sessionmaker)
    async with sessionmaker.begin() as session:
        same = await add_contact(session, where.campaign_id, company="ооо  ромашка")
        other = await add_contact(session, where.campaign_id, company="ООО Лютик")
        mid_call = await add_contact(
            session, where.campaign_id, company="ООО Ромашка", state=ContactState.LEASED
        )
        ids = (same.id, other.id, mid_call.id)
    one = await first_order(
        client, mpk, (await warm(sessionmaker, where, company="ООО Ромашка")).id, "1000"
    )
    two = await first_order(
        client, mpk, (await warm(sessionmaker, where, company='ооо "Ромашка"')).id, "500"
    )
    assert one["account_id"] == two["account_id"]
    accounts = await client.get("/api/v1/accounts", headers=supervisor.headers)
    [account] = accounts.json()
    assert account["turnover"] == "1500.00"
    assert account["orders"] == 2
    async with sessionmaker() as session:
        contacts = {c.id: c for c in await session.scalars(select(Contact))}
    states = {id_: c.state for id_, c in contacts.items()}
    assert states[ids[0]] is ContactState.CLOSED
    assert states[ids[1]] is ContactState.READY
    assert states[ids[2]] is ContactState.CLOSED  # mid-call: its outcome will leave it closed
    # Closed, and nothing else of them changed: each keeps its own spelling of the company.
    assert [contacts[i].company for i in ids] == ["ооо  ромашка", "ООО Лютик", "ООО Ромашка"]


async def test_the_number_is_closed_in_every_campaign(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    mpk = await manager(client, sessionmaker, Desk.ACQUISITION)
    where, elsewhere = await floor(sessionmaker), await floor(sessionmaker)
    filed = await warm(sessionmaker, where)
    async with sessionmaker.begin() as session:
        called = await session.get(Contact, filed.contact_id)
        assert called is not None
        twin = await add_contact(session, elsewhere.campaign_id, phone=called.phone)
        twin_id = twin.id
    await first_order(client, mpk, filed.id, "10")
    async with sessionmaker() as session:
        twin_again = await session.get(Contact, twin_id)
        assert twin_again is not None
        assert twin_again.state is ContactState.CLOSED


async def test_orders_up_to_the_plan_pass_the_account_to_the_regular_desk(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    mpk = await manager(client, sessionmaker, Desk.ACQUISITION)
    mrk = await manager(client, sessionmaker, Desk.DEVELOPMENT)
    regular = await manager(client, sessionmaker, Desk.REGULAR)
    done = await first_order(
        client, mpk, (await warm(sessionmaker, await floor(sessionmaker))).id, "100000"
    )
    url = f"/api/v1/accounts/{done['account_id']}/orders"
    below = await client.post(url, json={"amount": "199999.99"}, headers=mrk.headers)
    assert below.status_code == 201, below.text
    assert below.json()["account"]["stage"] == "working"
    reached = await client.post(url, json={"amount": "0.01"}, headers=mrk.headers)
    account = reached.json()["account"]
    assert account["stage"] == "regular"
    assert account["manager_id"] == str(regular.id)
    step = account["handoffs"][-1]
    assert (step["from_stage"], step["to_stage"]) == ("working", "regular")
    assert step["from_manager_id"] == str(mrk.id)
    assert step["actor_id"] == str(mrk.id)
    assert "plan" in step["reason"]
    # The MRK no longer holds it.
    assert (await client.post(url, json={"amount": "1"}, headers=mrk.headers)).status_code == 403
    assert (
        await client.post(url, json={"amount": "1"}, headers=regular.headers)
    ).status_code == 201


async def test_a_strategic_turnover_goes_straight_to_a_kam(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    mpk = await manager(client, sessionmaker, Desk.ACQUISITION)
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
    kam = await user_row(sessionmaker, Role.MANAGER, desk=Desk.KEY_ACCOUNT, capacity=10)
    done = await first_order(
        client, mpk, (await warm(sessionmaker, await floor(sessionmaker))).id, "3000000"
    )
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    shown = await client.get(f"/api/v1/accounts/{done['account_id']}", headers=supervisor.headers)
    account = shown.json()
    assert account["stage"] == "key_account"
    assert account["manager_id"] == str(kam)
    assert [h["to_stage"] for h in account["handoffs"]] == ["working", "key_account"]
    assert "strategic threshold" in account["handoffs"][1]["reason"]


async def test_a_supervisor_marks_an_account_strategic_and_a_manager_may_not(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    mpk = await manager(client, sessionmaker, Desk.ACQUISITION)
    mrk = await manager(client, sessionmaker, Desk.DEVELOPMENT)
    kam = await user_row(sessionmaker, Role.MANAGER, desk=Desk.KEY_ACCOUNT, capacity=10)
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    done = await first_order(
        client, mpk, (await warm(sessionmaker, await floor(sessionmaker))).id, "10"
    )
    url = f"/api/v1/accounts/{done['account_id']}/strategic"
    refused = await client.post(url, json={}, headers=mrk.headers)
    assert refused.status_code == 403
    marked = await client.post(url, json={"reason": "federal chain"}, headers=supervisor.headers)
    assert marked.status_code == 200, marked.text
    account = marked.json()
    assert account["strategic"] is True
    assert account["stage"] == "key_account"
    assert account["manager_id"] == str(kam)
    step = account["handoffs"][-1]
    assert step["actor_id"] == str(supervisor.id)
    assert step["reason"] == "marked strategic by a supervisor: federal chain"


async def test_orders_are_refused_to_strangers_and_for_nothing(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    mpk = await manager(client, sessionmaker, Desk.ACQUISITION)
    mrk = await manager(client, sessionmaker, Desk.DEVELOPMENT)
    other_mrk = await actor(client, sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=0)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    done = await first_order(
        client, mpk, (await warm(sessionmaker, await floor(sessionmaker))).id, "10"
    )
    url = f"/api/v1/accounts/{done['account_id']}/orders"
    assert (
        await client.post(url, json={"amount": "5"}, headers=other_mrk.headers)
    ).status_code == 403
    assert (
        await client.post(url, json={"amount": "5"}, headers=operator.headers)
    ).status_code == 403
    assert (await client.post(url, json={"amount": "0"}, headers=mrk.headers)).status_code == 422
    assert (await client.post(url, json={"amount": "-5"}, headers=mrk.headers)).status_code == 422
    missing = await client.post(
        f"/api/v1/accounts/{uuid.uuid4()}/orders", json={"amount": "5"}, headers=mrk.headers
    )
    assert missing.status_code == 404
    assert (await client.get("/api/v1/accounts", headers=other_mrk.headers)).json() == []
    seen = await client.get(f"/api/v1/accounts/{done['account_id']}", headers=other_mrk.headers)
    assert seen.status_code == 403


async def test_only_orders_inside_the_plan_period_count(sessionmaker: Maker) -> None:
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
    await user_row(sessionmaker, Role.MANAGER, desk=Desk.REGULAR, capacity=10)
    supervisor_id = await user_row(sessionmaker, Role.SUPERVISOR)
    account_id = await _account(sessionmaker)
    policy = Policy(plan_volume=Decimal(1000), plan_period=timedelta(days=30))
    start = utcnow()
    async with sessionmaker.begin() as session:
        supervisor = await session.get(User, supervisor_id)
        assert supervisor is not None
        await record_order(session, account_id, Decimal(600), supervisor, start, policy)
        later = start + timedelta(days=30, seconds=1)
        held, _ = await record_order(session, account_id, Decimal(600), supervisor, later, policy)
        assert held.stage == "working"
        held, _ = await record_order(session, account_id, Decimal(400), supervisor, later, policy)
        assert held.stage == "regular"


async def test_accounts_wait_for_a_desk_and_follow_a_departing_manager(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    account_id = await _account(sessionmaker)
    async with sessionmaker() as session:
        unowned = await session.get(Account, account_id)
        assert unowned is not None
        assert unowned.manager_id is None
    first = await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
    async with sessionmaker.begin() as session:
        await recheck(session, utcnow(), Policy())
    second = await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=10)
    answer = await client.post(f"/api/v1/users/{first}/deactivate", headers=admin.headers)
    assert answer.status_code == 200
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    shown = (await client.get(f"/api/v1/accounts/{account_id}", headers=supervisor.headers)).json()
    assert shown["manager_id"] == str(second)
    assert [h["to_manager_id"] for h in shown["handoffs"]] == [None, str(first), str(second)]
    assert "no active manager" in shown["handoffs"][0]["reason"]


async def test_waiting_accounts_are_read_only_when_their_desk_has_room(
    sessionmaker: Maker,
) -> None:
    # Every new client weighs the accounts still waiting: behind a desk without room
    # that must cost the same however many wait, and room goes to the oldest first.
    waiting = [await _account(sessionmaker) for _ in range(3)]
    loaded: list[uuid.UUID] = []

    def seen(target: Account, _context: object) -> None:
        loaded.append(target.id)

    event.listen(Account, "load", seen)
    try:
        async with sessionmaker.begin() as session:
            assert await assign_unowned(session, utcnow(), "nobody at the desk") == 0
        assert loaded == []
        mrk = await user_row(sessionmaker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=2)
        async with sessionmaker.begin() as session:
            assert await assign_unowned(session, utcnow(), "an MRK has room") == 2
    finally:
        event.remove(Account, "load", seen)
    assert loaded == waiting[:2]
    async with sessionmaker() as session:
        owners = dict((await session.execute(select(Account.id, Account.manager_id))).all())
    assert [owners[i] for i in waiting] == [mrk, mrk, None]


async def _account(sessionmaker: Maker) -> uuid.UUID:
    """An account opened by a first order, through the domain."""
    from dialer.base.models import QuestionnaireStatus
    from dialer.sales.questionnaires import StatusChange, change_status

    await user_row(sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION, capacity=10)
    supervisor_id = await user_row(sessionmaker, Role.SUPERVISOR)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    async with sessionmaker.begin() as session:
        supervisor = await session.get(User, supervisor_id)
        assert supervisor is not None
        now = utcnow()
        await change_status(
            session,
            filed.id,
            StatusChange(QuestionnaireStatus.IN_PROGRESS),
            supervisor,
            now,
            Policy(),
        )
        _, account = await change_status(
            session,
            filed.id,
            StatusChange(QuestionnaireStatus.FIRST_ORDER, amount=Decimal(1)),
            supervisor,
            now,
            Policy(),
        )
        assert account is not None
        return account.id


NAMES = ["ООО «Ромашка»", "  ооо   РОМАШКА ", '"Vector" LLC', "АО\u00a0Вектор", "'", "", "ЁЛКА"]


async def test_the_database_folds_company_names_as_python_does(sessionmaker: Maker) -> None:
    async with sessionmaker() as session:
        for name in NAMES:
            folded = await session.scalar(select(company_key_sql(literal(name))))
            assert folded == company_key(name), name
            searched = await session.scalar(select(search_key_sql(literal(name))))
            assert searched == search_key(name), name


async def test_a_repeated_order_with_its_key_is_recorded_once(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    mpk = await manager(client, sessionmaker, Desk.ACQUISITION)
    mrk = await manager(client, sessionmaker, Desk.DEVELOPMENT)
    filed = await warm(sessionmaker, await floor(sessionmaker))
    url = f"/api/v1/questionnaires/{filed.id}/status"
    headers = {**mpk.headers, "Idempotency-Key": "take-it"}
    first = await client.post(url, json={"status": "in_progress"}, headers=headers)
    again = await client.post(url, json={"status": "in_progress"}, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    done = await first_order(client, mpk, filed.id, "10")
    orders = f"/api/v1/accounts/{done['account_id']}/orders"
    keyed = {**mrk.headers, "Idempotency-Key": "order-7"}
    one = await client.post(orders, json={"amount": "5"}, headers=keyed)
    two = await client.post(orders, json={"amount": "5"}, headers=keyed)
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json() == two.json()
    assert two.json()["account"]["orders"] == 2  # the first order and this one, once
    other = await client.post(orders, json={"amount": "6"}, headers=keyed)
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
