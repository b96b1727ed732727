"""The files users really have: encoding, delimiter and header of a contact base CSV."""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialer.base.errors import InvalidFile

BLOCK = 1 << 20
SAMPLE_LINES = 50
DELIMITERS = (";", ",", "\t")
# Bytes no text file has: a NUL or a control character other than tab and line ends.
CONTROL = bytes([*range(0, 9), 11, 12, *range(14, 32)])
TEXT_BYTES = bytes(b for b in range(256) if b not in CONTROL)

PHONE_WORDS = frozenset(
    {"phone", "phones", "telephone", "tel", "mobile", "mob", "cell", "cellphone"}
    | {"телефон", "телефоны", "тел", "моб", "мобильный", "сотовый", "номер"}
)
ROLE_NAMES: dict[str, frozenset[str]] = {
    "name": frozenset(
        {"name", "contact", "contact name", "full name", "contact person", "person"}
        | {"имя", "фио", "ф и о", "контакт", "контактное лицо", "лицо", "фамилия имя отчество"}
    ),
    "company": frozenset(
        {"company", "company name", "organization", "organisation", "org", "firm", "client"}
        | {"компания", "организация", "наименование", "название", "фирма", "клиент"}
        | {"наименование организации", "название организации", "название компании", "юрлицо"}
    ),
    "region": frozenset({"region", "state", "регион", "область", "субъект", "субъект рф", "край"}),
    "timezone": frozenset(
        {"timezone", "time zone", "tz", "zone", "часовой пояс", "пояс", "таймзона", "тайм зона"}
    ),
}


@dataclass(frozen=True)
class ColumnMap:
    """Where each part of a contact is in a row; every other column is a custom field."""

    width: int
    phones: tuple[int, ...]
    name: int | None = None
    company: int | None = None
    region: int | None = None
    timezone: int | None = None
    fields: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class CsvFormat:
    """How to read a file that passed inspection."""

    encoding: str
    delimiter: str
    columns: ColumnMap
    size: int


def inspect_file(path: Path) -> CsvFormat:
    """The file's format, or InvalidFile when it is not a readable CSV with a phone column."""
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as text:
        sample = [line for _, line in zip(range(SAMPLE_LINES), text, strict=False)]
    delimiter = sniff_delimiter(sample)
    header = next((row for row in csv.reader(sample, delimiter=delimiter) if any(row)), None)
    if header is None:
        raise InvalidFile("The file is empty: nothing was imported.")
    columns = map_header(header)
    if not columns.phones:
        raise InvalidFile(
            "The file has no phone column (a header such as phone, телефон or тел): "
            "nothing was imported."
        )
    return CsvFormat(encoding, delimiter, columns, path.stat().st_size)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or Windows-1251; InvalidFile for anything else."""
    with path.open("rb") as raw:
        if raw.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
    for encoding in ("utf-8", "cp1251"):
        if _decodes(path, encoding):
            return encoding
    raise InvalidFile("The file is neither UTF-8 nor Windows-1251 text: nothing was imported.")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as raw:
        while block := raw.read(BLOCK):
            if block.translate(None, TEXT_BYTES):
                raise InvalidFile("The file is binary, not CSV text: nothing was imported.")
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(sample: list[str]) -> str:
    """The delimiter that splits the header into most columns; on a tie, the rarest in data."""
    header = next((line for line in sample if line.strip()), "")

    def score(delimiter: str) -> tuple[int, int]:
        width = len(next(csv.reader([header], delimiter=delimiter), []))
        return width, -sum(line.count(delimiter) for line in sample)

    return max(DELIMITERS, key=score)


def header_key(title: str) -> str:
    """A header title folded for matching: lower case, ё as е, punctuation as spaces."""
    folded = re.sub(r"[^\w]+", " ", title.lower().replace("ё", "е"))
    return re.sub(r"_+", " ", folded).strip()


def is_phone_title(key: str) -> bool:
    """Phone, Телефон 2, Тел., Мобильный телефон, phone1…"""
    return any(re.sub(r"\d+$", "", word) in PHONE_WORDS for word in key.split())


def map_header(header: list[str]) -> ColumnMap:
    """Map a header row to the parts of a contact; unknown columns become custom fields."""
    roles: dict[str, int] = {}
    phones: list[int] = []
    fields: list[tuple[int, str]] = []
    taken: set[str] = set()
    for index, title in enumerate(header):
        key = header_key(title)
        role = next((r for r, names in ROLE_NAMES.items() if key in names), None)
        if role is not None and role not in roles:
            roles[role] = index
        elif role is None and is_phone_title(key):
            phones.append(index)
        else:
            fields.append((index, _field_name(title.strip() or f"column_{index + 1}", taken)))
    return ColumnMap(width=len(header), phones=tuple(phones), fields=tuple(fields), **roles)


def _field_name(name: str, taken: set[str]) -> str:
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name} ({n})"
    taken.add(unique)
    return unique


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read, for a progress bar."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)
        self.position += n
        return n


def read_blocks(path: Path, fmt: CsvFormat, size: int) -> Iterator[tuple[int, str, int]]:
    """The data rows as blocks of whole rows' text: line number of the first, text, bytes read.

    Parsing the CSV is left to the workers that get the blocks, so that it runs on every
    core; a block ends at a line end outside quotes, so no row is cut in two.
    """
    with path.open("rb") as binary:
        counting = CountingReader(binary)
        text = io.TextIOWrapper(io.BufferedReader(counting), encoding=fmt.encoding, newline="")
        reader = csv.reader(text, delimiter=fmt.delimiter)
        for header in reader:
            if any(header):
                break
        line, carry = reader.line_num + 1, ""
        while chunk := text.read(size):
            data = carry + chunk
            cut = last_row_end(data)
            block, carry = data[: cut + 1], data[cut + 1 :]
            if block:
                yield line, block, counting.position
                line += block.count("\n")
        if carry:
            yield line, carry, counting.position


def last_row_end(text: str) -> int:
    """The index of the last line end that is outside quotes (quotes come in pairs), or -1."""
    cut = text.rfind("\n")
    while cut >= 0 and text.count('"', 0, cut) % 2:
        cut = text.rfind("\n", 0, cut)
    return cut
