"""Importing the raw base over the API: the files users have, and what goes wrong in them."""

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Contact, ContactImport, ContactState, Desk, Role
from tests.builders import Actor, actor, campaign, contact

HEADER = "Телефон;ФИО;Компания;Регион;Должность\r\n"


async def upload(
    client: httpx.AsyncClient, staff: Actor, campaign_id: str, content: bytes
) -> httpx.Response:
    files = {"file": ("base.csv", content, "text/csv")}
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/imports", files=files, headers=staff.headers
    )


async def imported(
    client: httpx.AsyncClient, app: FastAPI, staff: Actor, campaign_id: str, content: bytes
) -> dict[str, Any]:
    """The report of a finished import of the content."""
    answer = await upload(client, staff, campaign_id, content)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "running"
    await app.state.imports.drain()
    report = await client.get(
        f"/api/v1/imports/{answer.json()['import_id']}", headers=staff.headers
    )
    assert report.status_code == 200
    body: dict[str, Any] = report.json()
    return body


async def contacts(
    sessionmaker: async_sessionmaker[AsyncSession], campaign_id: str
) -> list[Contact]:
    async with sessionmaker() as session:
        query = select(Contact).where(Contact.campaign_id == uuid.UUID(campaign_id))
        query = query.order_by(Contact.phone)
        return list(await session.scalars(query))


async def test_an_excel_utf8_file_with_bom_and_semicolons_is_imported(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin, timezone="Asia/Novosibirsk")
    rows = "8 (495) 123-45-67;Пётр Иванов;ООО Ромашка;Москва;директор\r\n"
    rows += "+7 912 345-67-89;Анна;АО Вектор;;\r\n"
    report = await imported(client, app, admin, created["id"], ("\ufeff" + HEADER + rows).encode())
    assert {k: report[k] for k in ("status", "rows", "imported", "duplicates", "invalid")} == {
        "status": "done",
        "rows": 2,
        "imported": 2,
        "duplicates": 0,
        "invalid": 0,
    }
    assert report["errors"] == []
    moscow, mobile = await contacts(sessionmaker, created["id"])
    assert (moscow.phone, moscow.name, moscow.company, moscow.region) == (
        "+74951234567",
        "Пётр Иванов",
        "ООО Ромашка",
        "Москва",
    )
    assert moscow.fields == {"Должность": "директор"}
    assert moscow.timezone == "Europe/Moscow"
    # A mobile number spans many zones: the campaign's zone it is.
    assert (mobile.phone, mobile.timezone, mobile.region) == (
        "+79123456789",
        "Asia/Novosibirsk",
        None,
    )
    for c in (moscow, mobile):
        assert (c.state, c.priority, c.attempts) == (ContactState.READY, 0, 0)
        assert str(c.import_id) == report["id"]
        assert c.next_call_at == c.created_at


async def test_a_windows_1251_file_with_commas_is_imported(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = await actor(client, sessionmaker, Role.SUPERVISOR)
    created = await campaign(client, supervisor)
    text = (
        'тел,Контактное лицо,Организация,Комментарий\r\n84012556677,Ольга,"ООО ""Янтарь""",ок\r\n'
    )
    report = await imported(client, app, supervisor, created["id"], text.encode("cp1251"))
    assert (report["status"], report["imported"]) == ("done", 1)
    (kaliningrad,) = await contacts(sessionmaker, created["id"])
    assert (kaliningrad.name, kaliningrad.company) == ("Ольга", 'ООО "Янтарь"')
    assert kaliningrad.fields == {"Комментарий": "ок"}
    assert kaliningrad.timezone == "Europe/Kaliningrad"


async def test_four_spellings_of_one_number_are_one_contact(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    spellings = ["8 (495) 123-45-67", "+7 495 123 45 67", "84951234567", "(495)123-45-67"]
    text = "phone\n" + "".join(f'"{s}"\n' for s in spellings)
    report = await imported(client, app, admin, created["id"], text.encode())
    assert (report["rows"], report["imported"], report["duplicates"]) == (4, 1, 3)
    assert [c.phone for c in await contacts(sessionmaker, created["id"])] == ["+74951234567"]


async def test_several_numbers_in_a_cell_or_columns_are_contacts_of_one_company(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    text = (
        "Компания;Телефон 1;Телефон 2\n"
        'ООО Ромашка;"8 495 123-45-67, 8 495 765-43-21";+7 343 212-34-56\n'
    )
    report = await imported(client, app, admin, created["id"], text.encode())
    assert (report["rows"], report["imported"]) == (1, 3)
    found = await contacts(sessionmaker, created["id"])
    assert [(c.phone, c.company) for c in found] == [
        ("+73432123456", "ООО Ромашка"),
        ("+74951234567", "ООО Ромашка"),
        ("+74957654321", "ООО Ромашка"),
    ]
    assert found[0].timezone == "Asia/Yekaterinburg"


async def test_bad_lines_are_reported_with_their_line_and_the_rest_imported(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    text = (
        "phone;name;timezone;note\n"
        '84951234567;A;;"two\nlines"\n'
        "12345;B;;\n"
        "\n"
        ";C;;\n"
        "+79123456789;D;Mars/Olympus;\n"
        "+79123456780;E;мск+4;\n"
        "+79123456781;F;asia/omsk;\n"
    )
    report = await imported(client, app, admin, created["id"], text.encode())
    assert (report["status"], report["rows"], report["imported"], report["invalid"]) == (
        "done",
        6,
        3,
        3,
    )
    assert report["errors"] == [
        {"line": 4, "reason": "not a valid phone number: '12345'"},
        {"line": 6, "reason": "no phone number"},
        {"line": 7, "reason": "unknown time zone 'Mars/Olympus'"},
    ]
    zones = {c.name: c.timezone for c in await contacts(sessionmaker, created["id"])}
    assert zones == {"A": "Europe/Moscow", "E": "Asia/Krasnoyarsk", "F": "Asia/Omsk"}


async def test_duplicates_against_the_campaign_and_suppressed_numbers_are_skipped(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    other = await campaign(client, admin)
    await contact(sessionmaker, created["id"], "+74951234567")
    erased = await contact(sessionmaker, other["id"], "+74957654321")
    assert (await client.delete(f"/api/v1/contacts/{erased}", headers=admin.headers)).is_success
    listed = await client.post("/api/v1/dnc", json={"phone": "+73432123456"}, headers=admin.headers)
    assert listed.status_code == 201
    text = "phone\n84951234567\n84957654321\n83432123456\n83832123456\n"
    report = await imported(client, app, admin, created["id"], text.encode())
    assert (report["imported"], report["duplicates"], report["do_not_call"]) == (1, 1, 2)
    again = await imported(client, app, admin, created["id"], text.encode())
    assert (again["imported"], again["duplicates"], again["do_not_call"]) == (0, 2, 2)
    assert sorted(c.phone for c in await contacts(sessionmaker, created["id"])) == [
        "+73832123456",
        "+74951234567",
    ]


async def count_imports(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessionmaker() as session:
        imports = await session.scalar(select(func.count()).select_from(ContactImport))
        rows = await session.scalar(select(func.count()).select_from(Contact))
    return imports or 0, rows or 0


async def test_files_that_are_not_a_csv_with_phones_are_refused_whole(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    bad = {
        "binary": bytes(range(256)) * 4,
        "gzip": b"\x1f\x8b\x08\x00" + b"\x00" * 64,
        "undecodable": b"phone\n84951234567\n" + b"\x98\xff\n",
        "no phone column": b"name;company\nA;B\n",
        "empty": b"",
        "blank lines": b"\r\n\r\n",
        "only a bom": b"\xef\xbb\xbf",
    }
    for why, content in bad.items():
        answer = await upload(client, admin, created["id"], content)
        assert answer.status_code == 422, why
        assert answer.json()["error"] == "invalid_file", why
    assert await count_imports(sessionmaker) == (0, 0)


async def test_only_staff_import_and_only_into_a_campaign_that_exists(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    operator = await actor(client, sessionmaker, Role.OPERATOR)
    manager = await actor(client, sessionmaker, Role.MANAGER, desk=Desk.ACQUISITION)
    created = await campaign(client, admin)
    content = b"phone\n84951234567\n"
    for user in (operator, manager):
        assert (await upload(client, user, created["id"], content)).status_code == 403
    missing = await upload(client, admin, "00000000-0000-0000-0000-000000000001", content)
    assert missing.status_code == 404
    assert await count_imports(sessionmaker) == (0, 0)
    unknown = await client.get(
        "/api/v1/imports/00000000-0000-0000-0000-000000000001", headers=admin.headers
    )
    assert unknown.status_code == 404
