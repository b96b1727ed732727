"""A file of numbers for the do-not-call list, read by the contact import's own rules."""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.contacts.imports.files import inspect_file, read_blocks
from dialer.contacts.imports.rows import MAX_ERRORS, split_cell
from dialer.contacts.phones import normalise

BLOCK = 1 << 20


@dataclass
class NumberFile:
    """The valid numbers of a file in file order, once each, and its refused lines."""

    numbers: list[str] = field(default_factory=list)
    repeats: int = 0
    invalid: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def refuse(self, line: int, reason: str, raw: str) -> None:
        self.invalid += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "reason": reason, "raw": raw})


def read_numbers(path: Path, region: str) -> NumberFile:
    """Every number of the file's phone columns; InvalidFile when the file is not readable."""
    fmt = inspect_file(path)
    found = NumberFile()
    seen: set[str] = set()
    for first_line, text, _ in read_blocks(path, fmt, BLOCK):
        lines = io.StringIO(text).readlines()
        reader = csv.reader(io.StringIO(text), delimiter=fmt.delimiter)
        consumed = 0
        for row in reader:
            start, line, consumed = consumed, first_line + consumed, reader.line_num
            if not any(row):
                continue
            raw = "".join(lines[start:consumed]).rstrip("\r\n")
            cells = [row[i] for i in fmt.columns.phones if i < len(row)]
            pieces = [piece for cell in cells for piece in split_cell(cell)]
            if not pieces:
                found.refuse(line, "no phone number", raw)
            for piece in pieces:
                e164 = normalise(piece, region)
                if e164 is None:
                    found.refuse(line, f"not a valid phone number: {piece[:40]!r}", raw)
                elif e164 in seen:
                    found.repeats += 1
                else:
                    seen.add(e164)
                    found.numbers.append(e164)
    return found
