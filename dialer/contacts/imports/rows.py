"""Rows of a contact base turned into contacts: pure functions, run in worker processes.

Normalising a number is the costly part of an import, so chunks of rows go to a pool of
processes; everything here is picklable and needs no database.
"""

import csv
import io
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Literal, NamedTuple
from zoneinfo import available_timezones

from dialer.base.folds import company_key
from dialer.contacts.imports.files import CONTROL_CHARACTER, MAX_ROW, TOO_LONG, ColumnMap
from dialer.contacts.phones import normalise_with_zone, phone_hash

MAX_ERRORS = 1000
CONTROL_IN_LINE = "the line holds a control character (such as NUL)"
TEXT_LENGTH = 200
# Several numbers in one cell: "8 495 123-45-67, 8 495 765-43-21", "…; …", "… / …".
CELL_SEPARATORS = re.compile(r"[,;/|\n]+")
MSK_OFFSET = re.compile(r"(?:msk|мск)\s*([+-]\s*\d{1,2})?")
UTC_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?")
# Russia's zones by their offset from Moscow time, as Russian files write them (МСК+2).
MSK_ZONES = {
    -1: "Europe/Kaliningrad",
    0: "Europe/Moscow",
    1: "Europe/Samara",
    2: "Asia/Yekaterinburg",
    3: "Asia/Omsk",
    4: "Asia/Krasnoyarsk",
    5: "Asia/Irkutsk",
    6: "Asia/Yakutsk",
    7: "Asia/Vladivostok",
    8: "Asia/Magadan",
    9: "Asia/Kamchatka",
}
# Text COPY format: these characters must be escaped inside a value.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

Output = Literal["copy", "rows"]


@dataclass(frozen=True)
class Plan:
    """What a worker needs to turn rows into contacts."""

    columns: ColumnMap
    delimiter: str
    region: str
    key: str
    campaign_zone: str
    output: Output
    campaign_id: uuid.UUID
    import_id: uuid.UUID
    now_text: str


@dataclass
class Prepared:
    """One chunk of rows as contacts to write, with what was wrong in it.

    A number met again within the chunk is a repeat, not a second record: the database
    then only has to tell which of the chunk's numbers it already knows. For PostgreSQL
    the records are COPY lines in one string of bytes, so that passing a chunk between
    processes costs one object, not thousands.
    """

    rows: int = 0
    invalid: int = 0
    # Line, reason and the line as it was in the file (filled in by `prepare`).
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)
    copy: bytes = b""
    repeats: list[str] = field(default_factory=list)

    def error(self, line: int, reason: str) -> None:
        self.invalid += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((line, reason, ""))


@dataclass
class Tally:
    """The counts of an import's report, and its first errors."""

    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    do_not_call: int = 0
    invalid: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        for name in ("rows", "imported", "duplicates", "do_not_call", "invalid"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors[: MAX_ERRORS - len(self.errors)])

    def values(self) -> dict[str, Any]:
        # Not dataclasses.asdict, which copies every error deeply, for every batch.
        return {
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "do_not_call": self.do_not_call,
            "invalid": self.invalid,
            "errors": list(self.errors),
        }


class NewContact(NamedTuple):
    """A valid contact of a row, before it meets the database."""

    e164: str
    hashed: str
    name: str | None
    company: str | None
    company_key: str | None
    region: str | None
    timezone: str
    fields: str


def refused(line: int, reason: str) -> Prepared:
    """A row the reader did not read, as a block of its own: one invalid line."""
    prepared = Prepared()
    prepared.rows = 1
    prepared.error(line, reason)
    return prepared


def prepare(plan: Plan, first_line: int, text: str) -> Prepared:
    """The contacts of a block of rows, in file order, and its invalid lines."""
    prepared = Prepared()
    encode = copy_line(plan) if plan.output == "copy" else sqlite_row(plan)
    reader = csv.reader(io.StringIO(text), delimiter=plan.delimiter)
    # Checked once a block; its rows one by one only when the block has one.
    control = CONTROL_CHARACTER.search(text) is not None
    consumed = 0
    seen: set[str] = set()
    records: list[Any] = []
    lines: list[str] | None = None
    while True:
        try:
            for row in reader:
                start, line, consumed = consumed, first_line + consumed, reader.line_num
                if not any(row):
                    continue
                prepared.rows += 1
                if consumed - start > 1 and sum(map(len, row)) > MAX_ROW:
                    prepared.error(line, TOO_LONG)
                    continue
                if control and any(CONTROL_CHARACTER.search(cell) for cell in row):
                    # Not kept as it was either: no database stores a NUL in text.
                    prepared.error(line, CONTROL_IN_LINE)
                    continue
                before = len(prepared.errors)
                found = contacts_of(plan, line, row, prepared)
                if len(prepared.errors) > before:
                    # Refused lines are few: the block is split into lines only when one is.
                    lines = lines or io.StringIO(text).readlines()
                    raw = "".join(lines[start:consumed]).rstrip("\r\n")
                    prepared.errors[before:] = [
                        (n, why, raw) for n, why, _ in prepared.errors[before:]
                    ]
                for contact in found:
                    if contact.hashed in seen:
                        prepared.repeats.append(contact.hashed)
                        continue
                    seen.add(contact.hashed)
                    prepared.hashes.append(contact.hashed)
                    records.append(encode(contact))
            break
        except csv.Error as error:
            # A field past the reader's own bound: that row is an error, the next is read.
            prepared.rows += 1
            prepared.error(first_line + consumed, f"not readable as CSV: {error}")
            consumed = reader.line_num
    if plan.output == "copy":
        prepared.copy = "".join(records).encode()
    else:
        prepared.records = records
    return prepared


def contacts_of(plan: Plan, line: int, row: list[str], prepared: Prepared) -> list[NewContact]:
    """Every valid number of a row as a contact; what is wrong goes to the errors."""
    columns = plan.columns
    explicit = None
    if columns.timezone is not None and (cell := _cell(row, columns.timezone)):
        explicit = parse_zone(cell)
        if explicit is None:
            prepared.error(line, f"unknown time zone {cell[:40]!r}")
            return []
    raws = [piece for i in columns.phones for piece in split_cell(_cell(row, i))]
    if not raws:
        prepared.error(line, "no phone number")
        return []
    name, company = _text(row, columns.name), _text(row, columns.company)
    region, key = _text(row, columns.region), _company_key(company)
    found = custom_fields(columns, row)
    fields = _FIELDS_JSON(found) if found else "{}"
    contacts = []
    for raw in raws:
        facts = normalise_with_zone(raw, plan.region)
        if facts is None:
            prepared.error(line, f"not a valid phone number: {raw[:40]!r}")
            continue
        e164, zone = facts
        hashed = phone_hash(plan.key, e164)
        timezone = explicit or zone or plan.campaign_zone
        contacts.append(NewContact(e164, hashed, name, company, key, region, timezone, fields))
    return contacts


def split_cell(cell: str) -> list[str]:
    """The numbers written in one cell."""
    return [piece.strip() for piece in CELL_SEPARATORS.split(cell) if piece.strip()]


def custom_fields(columns: ColumnMap, row: list[str]) -> dict[str, str]:
    """The row's other columns by header title; cells past the header by position."""
    fields = {name: row[i].strip() for i, name in columns.fields if i < len(row) and row[i]}
    for i in range(columns.width, len(row)):
        if row[i].strip():
            fields[f"column_{i + 1}"] = row[i].strip()
    return fields


@cache
def parse_zone(cell: str) -> str | None:
    """An IANA zone name (any case), МСК±N or UTC±N; None when it is none of these."""
    text = cell.strip()
    folded = text.lower()
    if folded in _zones_by_lower_name():
        return _zones_by_lower_name()[folded]
    if match := MSK_OFFSET.fullmatch(folded):
        return MSK_ZONES.get(int(re.sub(r"\s", "", match[1] or "0")))
    if match := UTC_OFFSET.fullmatch(folded):
        hours = int(match[2])
        # The Etc zones count the other way: UTC+3 is Etc/GMT-3.
        sign = "-" if match[1] == "+" else "+"
        return f"Etc/GMT{sign}{hours}" if 0 < hours <= 12 else "UTC" if hours == 0 else None
    return None


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def copy_line(plan: Plan) -> Callable[[NewContact], str]:
    """A function writing a contact as one line of PostgreSQL's text COPY format."""
    head = f"{plan.campaign_id.hex}\t{plan.import_id.hex}"
    tail = f"ready\t0\t{plan.now_text}\t0\t0\t{plan.now_text}\n"
    ids = time_ordered_ids()

    def encode(c: NewContact) -> str:
        return (
            f"{next(ids)}\t{head}\t{c.e164}\t{c.hashed}\t{_nullable(c.name)}\t"
            f"{_nullable(c.company)}\t{_nullable(c.company_key)}\t{_nullable(c.region)}\t"
            f"{c.timezone}\t{_escape(c.fields)}\t"
            f"{tail}"
        )

    return encode


def sqlite_row(plan: Plan) -> Callable[[NewContact], tuple[Any, ...]]:
    """A function writing a contact as the parameters of an SQLite insert (`COPY_COLUMNS`)."""
    campaign, imported, now = plan.campaign_id.hex, plan.import_id.hex, plan.now_text
    ids = time_ordered_ids()

    def encode(c: NewContact) -> tuple[Any, ...]:
        return (
            next(ids), campaign, imported, c.e164, c.hashed, c.name, c.company, c.company_key,
            c.region, c.timezone, c.fields, "ready", 0, now, 0, 0, now,
        )  # fmt: skip

    return encode


def time_ordered_ids(block: int = 4096) -> Iterator[str]:
    """Version 7 UUIDs as 32 hex digits: the time in milliseconds, then random bits.

    Ids that grow with time land at the right edge of the primary key's index, in pages
    already in memory; random ones would touch a page anywhere in an index of millions.
    """
    while True:
        stamp = (time.time_ns() // 1_000_000) << 80 | UUID_V7
        entropy = os.urandom(16 * block)
        for start in range(0, len(entropy), 16):
            n = int.from_bytes(entropy[start : start + 16], "big") & UUID_RANDOM
            yield f"{stamp | n:032x}"


# Of a version 7 UUID's 128 bits: the 74 random ones, and its version and variant bits.
UUID_RANDOM = ((1 << 80) - 1) & ~(0xF000 << 64) & ~(0xC000 << 48)
UUID_V7 = (7 << 76) | (0x8000 << 48)
COPY_COLUMNS = (
    "id, campaign_id, import_id, phone, phone_hash, name, company, company_key, region, "
    "timezone, fields, state, priority, next_call_at, attempts, expired_streak, created_at"
)
# json.dumps(…, ensure_ascii=False) builds an encoder per call.
_FIELDS_JSON = json.JSONEncoder(ensure_ascii=False).encode
# A base names a few hundred companies over and over: each folded once per worker.
_company_key = lru_cache(maxsize=1 << 12)(company_key)


def _escape(text: str) -> str:
    # Tab and line ends are not printable: most values need no escaping, and checking
    # costs a twentieth of translating.
    if "\\" in text or not text.isprintable():
        return text.translate(COPY_ESCAPES)
    return text


def _nullable(text: str | None) -> str:
    return "\\N" if text is None else _escape(text)


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _text(row: list[str], index: int | None) -> str | None:
    if index is None:
        return None
    return _cell(row, index)[:TEXT_LENGTH] or None
