"""Files made to hurt the import: stray quotes, endless lines, false byte order marks, NUL."""

import codecs
import csv
import io
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.errors import InvalidFile
from dialer.base.models import Contact, ContactImport, Role
from dialer.contacts.imports.files import (
    MAX_ROW,
    Block,
    Refused,
    RowSplitter,
    inspect_file,
    read_blocks,
)
from tests.builders import actor, campaign
from tests.test_imports import HEADER, imported, upload

Maker = async_sessionmaker[AsyncSession]
COMPANY = '"ООО ""Ромашка"""'


def numbered(first: int, count: int) -> str:
    """Rows of distinct valid Moscow numbers with a quoted company."""
    return "".join(
        f"8 495 {n // 10000 % 1000:03d}-{n // 100 % 100:02d}-{n % 100:02d};Имя {n};{COMPANY};;\r\n"
        for n in range(first, first + count)
    )


def test_a_stray_quote_keeps_the_splitter_linear_and_loses_one_line() -> None:
    # Three megabytes after one unclosed quote: before, each chunk was searched again
    # from its start for every line end in it, and the rest of the file became one row.
    lines = ["8 495 111-11-11;Ann;Zed\n", '8 495 222-22-22;"Bob;Yo\n']
    lines += [f"8 495 {n:07d};Name {n};Co\n" for n in range(3_000_000 // 24)]
    text = "".join(lines)
    splitter = RowSplitter(2)
    pieces: list[Block | Refused] = []
    longest_carry = 0
    for start in range(0, len(text), 1 << 19):
        pieces.extend(splitter.feed(text[start : start + (1 << 19)], start))
        longest_carry = max(longest_carry, len(splitter.carry))
    pieces.extend(splitter.finish(len(text)))
    assert longest_carry <= MAX_ROW
    refused = [p for p in pieces if isinstance(p, Refused)]
    assert [r.line for r in refused] == [3]
    blocks = [p for p in pieces if isinstance(p, Block)]
    assert "".join(b.text for b in blocks) == text.replace(lines[1], "")
    assert sum(b.text.count("\n") for b in blocks) == len(lines) - 1
    assert blocks[1].line == 4


def test_a_line_past_the_bound_is_refused_by_its_number(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long_line = "8 495 333-33-33;" + "x" * (MAX_ROW + 10) + "\n"
    path.write_text("phone;note\n8 495 111-11-11;a\n" + long_line + "8 495 222-22-22;b\n")
    fmt = inspect_file(path)
    for size in (50, 1 << 19):
        pieces = list(read_blocks(path, fmt, size))
        assert [p.line for p in pieces if isinstance(p, Refused)] == [3]
        texts = "".join(p.text for p in pieces if isinstance(p, Block))
        assert texts == "8 495 111-11-11;a\n8 495 222-22-22;b\n"


async def test_an_import_with_a_stray_quote_and_an_endless_line_refuses_only_those_lines(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: Maker
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    made = await campaign(client, admin)
    stray = '8 495 999-00-01;"Stray quote;Co;;\r\n'
    endless = "8 495 999-00-02;" + "y" * (MAX_ROW * 2) + ";;;\r\n"
    body = HEADER + numbered(0, 10) + stray + numbered(10, 3000) + endless + numbered(3010, 10)
    report = await imported(client, app, admin, made["id"], body.encode("cp1251"))
    assert report["status"] == "done", report
    assert (report["rows"], report["imported"], report["invalid"]) == (3022, 3020, 2)
    assert [e["line"] for e in report["errors"]] == [12, 3013]
    assert all("64 KiB" in e["reason"] for e in report["errors"])
    async with sessionmaker() as session:
        phones = set(await session.scalars(select(Contact.phone)))
    assert len(phones) == 3020
    assert not {"+74959990001", "+74959990002"} & phones


async def test_a_nul_in_a_field_is_an_error_of_its_line(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: Maker
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    made = await campaign(client, admin)
    bad = "8 495 999-00-03;Nul\x00Name;Co;;\r\n"
    for bom in ("", "\ufeff"):
        body = bom + HEADER + numbered(0, 200) + bad + numbered(200, 5)
        report = await imported(client, app, admin, made["id"], body.encode("utf-8"))
        assert report["status"] == "done", report
        assert report["invalid"] == 1
        assert report["errors"] == [
            {"line": 202, "reason": "the line holds a control character (such as NUL)"}
        ]
    async with sessionmaker() as session:
        names = list(await session.scalars(select(Contact.name)))
        assert await session.scalar(select(func.count()).select_from(Contact)) == 205
    assert not [n for n in names if n and "\x00" in n]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (codecs.BOM_UTF8 + (HEADER + "8 495 123-45-67;Пётр;;;\r\n").encode("cp1251"), "UTF-8"),
        (codecs.BOM_UTF8 + HEADER.encode() + b"8 495 123-45-67;\xff\xfe\xc3;;;\r\n", "UTF-8"),
        (("Телефон;" + "Заметка" * MAX_ROW + "\r\n8 495 123-45-67;x\r\n").encode(), "64 KiB"),
        (('Телефон;"Имя\r\n' + "8 495 123-45-67;x\r\n" * 8000).encode(), "64 KiB"),
        (("Телефон;Им\x00я\r\n" + "8 495 123-45-67;x\r\n" * 200).encode(), "control character"),
        ("Телефон;Имя\r\n".encode("utf-16"), "binary"),
    ],
    ids=["bom-cp1251", "bom-invalid-utf8", "long-header", "unclosed-header", "nul-header", "utf16"],
)
async def test_files_that_cannot_be_read_whole_are_refused_before_anything_is_written(
    client: httpx.AsyncClient, sessionmaker: Maker, content: bytes, says: str
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    made = await campaign(client, admin)
    answer = await upload(client, admin, made["id"], content)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_file"
    assert says in answer.json()["detail"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ContactImport)) == 0
        assert await session.scalar(select(func.count()).select_from(Contact)) == 0


def test_inspection_reads_a_bounded_head(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('phone;"name\n' + "8 495 123-45-67;x\n" * 10_000)
    with pytest.raises(InvalidFile, match="64 KiB"):
        inspect_file(path)


async def test_the_refused_lines_export_writes_formulas_as_text(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: Maker
) -> None:
    admin = await actor(client, sessionmaker, Role.ADMIN)
    made = await campaign(client, admin)
    body = HEADER + numbered(0, 3) + "=SUM(1+1)*cmd;Имя;;;\r\n"
    report = await imported(client, app, admin, made["id"], body.encode("utf-8"))
    errors = await client.get(
        f"/api/v1/imports/{report['id']}/errors", params={"format": "csv"}, headers=admin.headers
    )
    rows = list(csv.DictReader(io.StringIO(errors.text)))
    assert [(r["line"], r["raw"]) for r in rows] == [("5", "'=SUM(1+1)*cmd;Имя;;;")]
