"""Import jobs: the process pool, the command line, and imports whose process died."""

import asyncio
import logging
import os
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import background, cli
from app.main import create_app
from dialer.base.clock import utcnow
from dialer.base.models import Contact, ContactImport, ImportStatus, Role
from dialer.base.settings import Settings
from dialer.contacts.imports import run as import_run
from dialer.contacts.imports.files import inspect_file, map_header
from dialer.contacts.imports.jobs import ABANDONED, fail_abandoned_imports
from dialer.contacts.imports.rows import Plan, Tally
from dialer.contacts.imports.run import FAILED, STOPPED, ImportJob, Progress
from dialer.contacts.imports.stores import Written
from dialer.contacts.imports.worker import WorkerError, Workers
from dialer.contacts.phones import phone_hash
from tests.builders import TEST_SECRET, actor, campaign, contact

ROWS = "".join(
    f"8 (495) {n:03d}-{n % 100:02d}-{n % 97:02d};Компания {n}\n" for n in range(100, 400)
)
TEXT = "Телефон;Компания\n" + ROWS + "12345;Плохая\n" + "".join(ROWS.splitlines(True)[:4])


def job(database_url: str, path: Path, workers: int) -> ImportJob:
    return ImportJob(
        database_url,
        path,
        inspect_file(path),
        region="RU",
        key=TEST_SECRET,
        clock=utcnow,
        workers=workers,
    )


async def run(
    database_url: str,
    path: Path,
    campaign_id: str,
    workers: int,
    stop: bool = False,
    progress: Progress | None = None,
) -> Tally:
    def work() -> Tally:
        started = job(database_url, path, workers)
        try:
            started.open(uuid.UUID(campaign_id), path.name, None)
            event = threading.Event()
            if stop:
                event.set()
            return started.run(progress, stop=event)
        finally:
            started.close()

    return await asyncio.to_thread(work)


async def phones(sessionmaker: async_sessionmaker[AsyncSession], campaign_id: str) -> list[str]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Contact.phone, Contact.company, Contact.timezone)
            .where(Contact.campaign_id == uuid.UUID(campaign_id))
            .order_by(Contact.phone)
        )
        return [f"{p} {c} {z}" for p, c, z in rows]


async def test_worker_processes_import_what_one_process_does(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    inline, pooled = await campaign(client, admin), await campaign(client, admin)
    path = tmp_path / "base.csv"
    path.write_text(TEXT, encoding="cp1251")
    alone = await run(database_url, path, inline["id"], workers=0)
    together = await run(database_url, path, pooled["id"], workers=2)
    assert alone == together
    assert (alone.rows, alone.imported, alone.invalid) == (305, 300, 1)
    assert alone.duplicates == 4
    assert alone.errors == [
        {"line": 302, "reason": "not a valid phone number: '12345'", "raw": "12345;Плохая"}
    ]
    assert await phones(sessionmaker, inline["id"]) == await phones(sessionmaker, pooled["id"])


async def test_a_number_met_again_in_the_next_block_or_later_is_one_contact_the_first(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A block per row: each repeat falls in the block written just before its own, or
    # in one written earlier, and the list's number in both.
    monkeypatch.setattr(import_run, "BLOCK_CHARS", 8)
    admin = await actor(client, sessionmaker, Role.ADMIN)
    listed = await client.post("/api/v1/dnc", json={"phone": "+73432123456"}, headers=admin.headers)
    assert listed.status_code == 201
    rows = ["84951000001;Первая", "84951000001;Вторая", "83432123456;Список", "84951000002;Третья"]
    rows += ["83432123456;Список", "84951000001;Четвёртая", "84951000002;Пятая"]
    path = tmp_path / "base.csv"
    path.write_text("Телефон;Компания\n" + "".join(f"{row}\n" for row in rows), encoding="cp1251")
    for workers in (0, 2):
        created = await campaign(client, admin)
        tally = await run(database_url, path, created["id"], workers=workers)
        assert (tally.rows, tally.imported, tally.duplicates, tally.do_not_call) == (7, 2, 3, 2)
        assert await phones(sessionmaker, created["id"]) == [
            "+74951000001 Первая Europe/Moscow",
            "+74951000002 Третья Europe/Moscow",
        ]


async def test_a_number_someone_else_writes_into_a_new_campaign_mid_import_is_a_duplicate(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The campaign is empty as the import begins, so on PostgreSQL only the numbers the
    # import itself may have written are looked up; a number added by someone else once
    # the first block is in is not among them, and its block's copy meets it.
    monkeypatch.setattr(import_run, "BLOCK_CHARS", 8)
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    rows = ["84951000001;Первая", "84951000002;Вторая", "84951000003;Третья", "84951000001;Снова"]
    path = tmp_path / "base.csv"
    path.write_text("Телефон;Компания\n" + "".join(f"{row}\n" for row in rows), encoding="cp1251")
    loop = asyncio.get_running_loop()
    added: list[uuid.UUID] = []

    def meanwhile(_position: int, _tally: Tally) -> None:
        if not added:
            written = contact(sessionmaker, created["id"], "+74951000003", company="Чужая")
            added.append(asyncio.run_coroutine_threadsafe(written, loop).result())

    tally = await run(database_url, path, created["id"], workers=0, progress=meanwhile)
    assert (tally.rows, tally.imported, tally.duplicates, tally.errors) == (4, 2, 2, [])
    assert await phones(sessionmaker, created["id"]) == [
        "+74951000001 Первая Europe/Moscow",
        "+74951000002 Вторая Europe/Moscow",
        "+74951000003 Чужая Europe/Moscow",
    ]
    async with sessionmaker() as session:
        (report,) = await session.scalars(select(ContactImport))
    assert report.status is ImportStatus.DONE


def test_the_numbers_an_import_wrote_are_always_named_again_and_others_seldom() -> None:
    written = Written(size=1 << 20)
    chunks = [[phone_hash(TEST_SECRET, f"+7495{n:07d}") for n in range(start, start + 5000)]
              for start in range(0, 50_000, 5000)]  # fmt: skip
    # Two bits a number in 2**20 bits: under 1 % named by mistake at 50,000 numbers.
    for chunk in chunks:
        first = written.add(chunk)
        assert first <= set(chunk)
        assert len(first) < 0.06 * len(chunk)
    for chunk in chunks:
        assert written.add(chunk) == set(chunk)
    others = [phone_hash(TEST_SECRET, f"+7812{n:07d}") for n in range(50_000)]
    assert 0 < len(written.add(others)) < 0.06 * len(others)


async def test_a_stopping_service_fails_its_import_with_a_reason(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    path = tmp_path / "base.csv"
    path.write_text(TEXT, encoding="utf-8")
    tally = await run(database_url, path, created["id"], workers=0, stop=True)
    async with sessionmaker() as session:
        (found,) = await session.scalars(select(ContactImport))
    assert found.status is ImportStatus.FAILED
    assert found.errors[0] == {"line": None, "reason": STOPPED}
    assert found.imported == tally.imported == 300


async def test_a_stopped_import_keeps_what_it_counted_and_nothing_in_flight(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Many small blocks: on PostgreSQL the next is being written when the first is counted.
    monkeypatch.setattr(import_run, "BLOCK_CHARS", 512)
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    path = tmp_path / "base.csv"
    path.write_text(TEXT, encoding="utf-8")
    tally = await run(database_url, path, created["id"], workers=0, stop=True)
    async with sessionmaker() as session:
        (found,) = await session.scalars(select(ContactImport))
        imported = await session.scalars(select(Contact.id))
        assert found.status is ImportStatus.FAILED
        assert 0 < found.imported == tally.imported == len(imported.all()) < 300


def dead_backend(job: ImportJob) -> int:
    """The server process behind the import's connection, the one holding its lock."""
    assert job.conn is not None
    pid = job.conn.scalar(text("SELECT pg_backend_pid()"))
    job.conn.commit()
    return int(pid)


async def test_an_import_whose_process_died_is_reported_failed(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    path = tmp_path / "base.csv"
    path.write_text(TEXT, encoding="utf-8")
    before = utcnow()
    live, dead = job(database_url, path, 0), job(database_url, path, 0)
    campaign_id = uuid.UUID(created["id"])
    live_id = await asyncio.to_thread(live.open, campaign_id, None, admin.id)
    dead_id = await asyncio.to_thread(dead.open, campaign_id, None, admin.id)
    postgres = "postgresql" in database_url
    backend = await asyncio.to_thread(dead_backend, dead) if postgres else None
    await asyncio.to_thread(dead.close)
    if backend is not None:
        # The server ends a closed connection's backend, and its lock, in its own time:
        # wait for that end (or make it) rather than race it.
        async with sessionmaker() as session:
            await session.execute(
                text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": backend}
            )
    try:
        async with sessionmaker.begin() as session:
            assert await fail_abandoned_imports(session, before, utcnow()) == (
                1 if "postgresql" in database_url else 0
            )
        later = utcnow() + timedelta(seconds=1)
        async with sessionmaker.begin() as session:
            await fail_abandoned_imports(session, later, utcnow())
        async with sessionmaker() as session:
            statuses = {i.id: i.status for i in await session.scalars(select(ContactImport))}
        # PostgreSQL sees the live import's lock; SQLite serves one process, for which
        # every import started before it is dead.
        alive = ImportStatus.RUNNING if "postgresql" in database_url else ImportStatus.FAILED
        assert statuses == {live_id: alive, dead_id: ImportStatus.FAILED}
        report = await client.get(f"/api/v1/imports/{dead_id}", headers=admin.headers)
        assert report.json()["status"] == "failed"
        assert report.json()["errors"] == [{"line": None, "reason": ABANDONED}]
    finally:
        await asyncio.to_thread(live.close)


async def test_the_command_line_imports_a_file_and_prints_the_report(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CASCADE_DATABASE_URL", database_url)
    monkeypatch.setenv("CASCADE_SECRET_KEY", TEST_SECRET)
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    path = tmp_path / "base.csv"
    path.write_text(TEXT, encoding="cp1251")
    code = await asyncio.to_thread(cli.main, ["import", str(path), "--campaign", created["id"]])
    out, err = capsys.readouterr()
    assert code == 0
    assert "status:      done" in out
    assert "imported:    300" in out
    assert "line 302: not a valid phone number: '12345'" in out
    assert "[##############################] 100%" in err
    assert len(await phones(sessionmaker, created["id"])) == 300
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nA\n")
    code = await asyncio.to_thread(cli.main, ["import", str(bad), "--campaign", created["id"]])
    assert code == 2
    assert "no phone column" in capsys.readouterr().err


def test_a_worker_that_fails_on_a_block_says_why_and_serves_on() -> None:
    workers = Workers(1)
    try:
        broken = workers.submit(None, 2, "84951234567\n")  # type: ignore[arg-type]
        with pytest.raises(WorkerError, match="AttributeError"):
            broken.result()
        plan = Plan(
            map_header(["phone"]), ";", "RU", "k", "UTC", "rows", uuid.uuid4(), uuid.uuid4(), ""
        )
        assert workers.submit(plan, 2, "84951234567\n").result().rows == 1
    finally:
        workers.close()
    assert all(p.returncode == 0 for p in workers.processes)


async def test_uploads_a_killed_process_left_are_removed_at_start_up(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "uploads"
    monkeypatch.setattr(background, "UPLOADS", uploads)
    uploads.mkdir()
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    killed.kill()  # kill -9: no chance to clean up after itself
    killed.wait()
    orphan = uploads / f"{killed.pid}-a1b2c3.csv"
    running = uploads / f"{os.getppid()}-d4e5f6.csv"  # another instance's, still running
    for path in (orphan, running):
        path.write_text("phone\n+74951234567\n")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert not orphan.exists()
        assert running.exists()


async def test_a_failed_import_says_a_sentence_and_logs_the_trace(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    created = await campaign(client, admin)
    path = tmp_path / "base.csv"
    path.write_text(TEXT, encoding="cp1251")

    def work() -> None:
        broken = job(database_url, path, workers=1)
        # A fault inside a worker process: what reaches the report is its traceback.
        broken.key = None  # type: ignore[assignment]
        try:
            broken.open(uuid.UUID(created["id"]), path.name, None)
            broken.run()
        finally:
            broken.close()

    with caplog.at_level(logging.ERROR, logger=import_run.__name__):
        await asyncio.to_thread(work)
    async with sessionmaker() as session:
        report = await session.scalar(select(ContactImport))
    assert report is not None
    assert report.status is ImportStatus.FAILED
    assert report.errors[0] == {"line": None, "reason": FAILED}
    assert not any("Traceback" in e["reason"] or "/" in e["reason"] for e in report.errors)
    assert any("Traceback" in r.getMessage() or r.exc_info for r in caplog.records)
