"""The files users really have: encoding, delimiter and header of a contact base CSV."""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from dialer.base.errors import InvalidFile

BLOCK = 1 << 20
SAMPLE_LINES = 50
DELIMITERS = (";", ",", "\t")
# Bytes no text file has: a NUL or a control character other than tab and line ends.
CONTROL = bytes([*range(0, 9), 11, 12, *range(14, 32)])
TEXT_BYTES = bytes(b for b in range(256) if b not in CONTROL)
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A file whose first block is more than this share control bytes is not text (UTF-16,
# a spreadsheet, an image); a stray NUL in a text file is an error of its line only.
BINARY_SHARE = 0.01
# The longest row, in characters, and the reason a longer one is refused. A quote
# opened and never closed makes the rest of the file one row: bounding a row keeps
# reading the file linear in its size and loses only the line with the stray quote.
MAX_ROW = 1 << 16
TOO_LONG = (
    "the line is longer than 64 KiB, or opens a quote that is not closed within 64 KiB: "
    "it was skipped"
)
# The header is looked for in this much of the file's beginning.
HEAD_CHARS = 4 * MAX_ROW

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
    # Where the data begins: characters of decoded text before it, and its line number.
    data_start: int = 0
    data_line: int = 2


def inspect_file(path: Path) -> CsvFormat:
    """The file's format, or InvalidFile when it is not a readable CSV with a phone column."""
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as text:
        head = text.read(HEAD_CHARS)
        whole = not text.read(1)
    lines = head.splitlines(keepends=True)
    sample = lines[: SAMPLE_LINES if whole or len(lines) > SAMPLE_LINES else -1]
    delimiter = sniff_delimiter(sample)
    header, data_start = split_header(head, delimiter, whole)
    columns = map_header(header)
    if not columns.phones:
        raise InvalidFile(
            "The file has no phone column (a header such as phone, телефон or тел): "
            "nothing was imported."
        )
    data_line = head.count("\n", 0, data_start) + 1
    return CsvFormat(encoding, delimiter, columns, path.stat().st_size, data_start, data_line)


def split_header(head: str, delimiter: str, whole: bool) -> tuple[list[str], int]:
    """The header row (the first row with a value) and where the data after it begins."""
    pos = 0
    while pos < len(head):
        end = first_row_end(head, pos)
        if end < 0 and not whole:
            end = len(head)
        stop = len(head) if end < 0 else end + 1
        if stop - pos > MAX_ROW:
            raise InvalidFile(
                "The header row is longer than 64 KiB (or opens a quote it does not close): "
                "nothing was imported."
            )
        row = next(csv.reader(io.StringIO(head[pos:stop]), delimiter=delimiter), [])
        if any(row):
            if CONTROL_CHARACTER.search(head, pos, stop):
                raise InvalidFile(
                    "The header row holds a control character (such as NUL): nothing was imported."
                )
            return row, stop
        pos = stop
    raise InvalidFile("The file is empty: nothing was imported.")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or Windows-1251; InvalidFile for anything else."""
    with path.open("rb") as raw:
        first = raw.read(BLOCK)
    if len(first.translate(None, TEXT_BYTES)) > BINARY_SHARE * len(first):
        raise InvalidFile("The file is binary, not CSV text: nothing was imported.")
    if first.startswith(codecs.BOM_UTF8):
        if not _decodes(path, "utf-8-sig"):
            raise InvalidFile(
                "The file begins with the UTF-8 byte order mark but is not UTF-8 text "
                "(save it again as UTF-8): nothing was imported."
            )
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1251"):
        if _decodes(path, encoding):
            return encoding
    raise InvalidFile("The file is neither UTF-8 nor Windows-1251 text: nothing was imported.")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as raw:
        while block := raw.read(BLOCK):
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


class Refused(NamedTuple):
    """A row that was not read: its line, why, and the bytes read so far."""

    line: int
    reason: str
    position: int


class Block(NamedTuple):
    """Whole rows' text: the line number of the first, the text, the bytes read so far."""

    line: int
    text: str
    position: int


def read_blocks(path: Path, fmt: CsvFormat, size: int) -> Iterator[Block | Refused]:
    """The data rows as blocks of whole rows, and the rows too long to read.

    Parsing the CSV is left to the workers that get the blocks, so that it runs on every
    core; a block ends at a line end outside quotes, so no row is cut in two.
    """
    with path.open("rb") as binary:
        counting = CountingReader(binary)
        text = io.TextIOWrapper(io.BufferedReader(counting), encoding=fmt.encoding, newline="")
        text.read(fmt.data_start)
        splitter = RowSplitter(fmt.data_line)
        while chunk := text.read(size):
            yield from splitter.feed(chunk, counting.position)
        yield from splitter.finish(counting.position)


class RowSplitter:
    """Cuts text, fed in chunks, into blocks of whole rows, in time linear in its length.

    What is left after the last row end waits for the next chunk, but never more than
    `MAX_ROW` characters: past that, the row is refused by its first line, and reading
    goes on at the next line (the quotes counted afresh from there).
    """

    def __init__(self, line: int) -> None:
        self.line = line
        self.carry = ""
        self.skipping = False

    def feed(self, chunk: str, position: int) -> Iterator[Block | Refused]:
        """The blocks and refusals that this chunk completes."""
        if self.skipping:
            # The rest of a refused line: dropped up to its end.
            end = chunk.find("\n")
            if end < 0:
                return
            chunk, self.skipping, self.line = chunk[end + 1 :], False, self.line + 1
        data, self.carry = self.carry + chunk, ""
        yield from self._cut(data, position, final=False)

    def finish(self, position: int) -> Iterator[Block | Refused]:
        """What is left at the end of the file."""
        if not self.skipping:
            data, self.carry = self.carry, ""
            yield from self._cut(data, position, final=True)

    def _cut(self, data: str, position: int, *, final: bool) -> Iterator[Block | Refused]:
        pos = 0
        while pos < len(data):
            cut = last_row_end(data, pos)
            start = cut + 1 if cut >= pos else pos
            if len(data) - start <= MAX_ROW:
                end = len(data) if final else start
                if end > pos:
                    yield from self._block(data[pos:end], position)
                self.carry = data[end:]
                return
            if start > pos:
                yield from self._block(data[pos:start], position)
            # The row beginning at `start` runs on past the bound: refuse its first line.
            yield Refused(self.line, TOO_LONG, position)
            end = data.find("\n", start)
            if end < 0:
                self.skipping = not final
                return
            self.line += 1
            pos = end + 1

    def _block(self, text: str, position: int) -> Iterator[Block | Refused]:
        if has_long_line(text):
            yield from self._long_rows(text, position)
            return
        yield Block(self.line, text, position)
        self.line += text.count("\n")

    def _long_rows(self, text: str, position: int) -> Iterator[Block | Refused]:
        # Rare: a block with a line past the bound is walked row by row.
        pos = run = 0
        run_line = self.line
        while pos < len(text):
            end = first_row_end(text, pos)
            stop = len(text) if end < 0 else end + 1
            lines = text.count("\n", pos, stop)
            if stop - pos > MAX_ROW:
                if pos > run:
                    yield Block(run_line, text[run:pos], position)
                yield Refused(self.line, TOO_LONG, position)
                run, run_line = stop, self.line + lines
            self.line += lines
            pos = stop
        if run < len(text):
            yield Block(run_line, text[run:], position)


def has_long_line(text: str) -> bool:
    """Whether a line of the text is longer than `MAX_ROW`.

    Such a line holds a whole stretch of `MAX_ROW // 2` characters starting at a multiple
    of it, so a few searches a block tell; lines are counted only if one has no line end.
    """
    half = MAX_ROW // 2
    if all(text.find("\n", at, at + half) >= 0 for at in range(0, len(text) - half + 1, half)):
        return False
    return max(map(len, text.split("\n"))) > MAX_ROW


def first_row_end(text: str, start: int) -> int:
    """The index of the first line end after `start` outside quotes, or -1."""
    quotes, at = 0, start
    while (end := text.find("\n", at)) >= 0:
        quotes += text.count('"', at, end)
        if quotes % 2 == 0:
            return end
        at = end + 1
    return -1


def last_row_end(text: str, start: int = 0) -> int:
    """The index of the last line end after `start` outside quotes (quotes come in pairs), or -1.

    Each character is counted once: the quotes before a line end are the quotes after
    `start` less those after it.
    """
    total = text.count('"', start)
    after, cut = 0, len(text)
    while (end := text.rfind("\n", start, cut)) >= 0:
        after += text.count('"', end, cut)
        if (total - after) % 2 == 0:
            return end
        cut = end
    return -1
