"""Reading a base: header mapping, delimiters, and blocks that never cut a row in two."""

import uuid
from pathlib import Path

import pytest

from dialer.contacts.imports.files import (
    MAX_ROW,
    TOO_LONG,
    header_key,
    inspect_file,
    map_header,
    read_blocks,
    sniff_delimiter,
)
from dialer.contacts.imports.rows import Plan
from dialer.contacts.imports.run import prepared_blocks


def test_headers_map_to_parts_of_a_contact_in_any_case_and_language() -> None:
    columns = map_header(
        ["ТЕЛЕФОН", "Ф.И.О.", "Организация", "Регион", "Часовой пояс", "Тел. 2", "Сайт", "Имя"]
    )
    assert columns.phones == (0, 5)
    assert (columns.name, columns.company, columns.region, columns.timezone) == (1, 2, 3, 4)
    # A second name column is kept, as a custom field.
    assert columns.fields == ((6, "Сайт"), (7, "Имя"))
    assert header_key(" Phone_Number ") == "phone number"


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        (["phone;name;company\n", "8 495 123-45-67;A, B;C\n"], ";"),
        (["phone,name\n", "84951234567,A\n"], ","),
        (["phone\tname\n", "84951234567\tA\n"], "\t"),
        # One column: the delimiter that never appears keeps "a, b" cells whole.
        (["phone\n", "84951234567, 84957654321\n"], ";"),
    ],
)
def test_the_delimiter_is_sniffed(sample: list[str], delimiter: str) -> None:
    assert sniff_delimiter(sample) == delimiter


def test_blocks_end_between_rows_even_inside_quoted_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "base.csv"
    rows = [f'8495123{n:04d};"note\nwith ""quotes""\nand lines {n}"\n' for n in range(40)]
    path.write_text("phone;note\n" + "".join(rows), encoding="utf-8")
    fmt = inspect_file(path)
    blocks = list(read_blocks(path, fmt, size=50))
    assert len(blocks) > 10
    assert [line for line, _, _ in blocks[:3]] == [2, 5, 8]
    assert "".join(text for _, text, _ in blocks) == "".join(rows)
    assert blocks[-1][2] == path.stat().st_size
    assert all(text.count('"') % 2 == 0 for _, text, _ in blocks)


def test_small_blocks_report_the_same_lines_as_one(tmp_path: Path) -> None:
    path = tmp_path / "base.csv"
    rows = "".join(f'{"12345" if n % 5 == 0 else f"8495123{n:04d}"};"a\nb"\n' for n in range(30))
    path.write_text("phone;note\n" + rows, encoding="utf-8")
    fmt = inspect_file(path)
    plan = Plan(
        fmt.columns,
        fmt.delimiter,
        "RU",
        "k",
        "Europe/Moscow",
        "rows",
        uuid.uuid4(),
        uuid.uuid4(),
        "",
    )

    def errors(size: int) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        for prepared, _ in prepared_blocks(plan, read_blocks(path, fmt, size), workers=0):
            found.extend(prepared.errors)
        return found

    assert errors(1 << 20) == errors(17)
    assert [line for line, *_ in errors(17)] == [2, 12, 22, 32, 42, 52]


def test_worker_processes_report_a_refused_line_in_its_place(tmp_path: Path) -> None:
    path = tmp_path / "base.csv"
    rows = [f"8495123{n:04d};note {n}\n" for n in range(40)]
    rows[20] = "84951230020;" + "z" * (MAX_ROW + 1) + "\n"
    rows[30] = "12345;bad\n"
    path.write_text("phone;note\n" + "".join(rows), encoding="utf-8")
    fmt = inspect_file(path)
    plan = Plan(
        fmt.columns,
        fmt.delimiter,
        "RU",
        "k",
        "Europe/Moscow",
        "rows",
        uuid.uuid4(),
        uuid.uuid4(),
        "",
    )

    def report(workers: int) -> tuple[int, list[tuple[int, str]]]:
        blocks = read_blocks(path, fmt, 200)
        prepared = [p for p, _ in prepared_blocks(plan, blocks, workers=workers)]
        return sum(p.rows for p in prepared), [e for p in prepared for e in p.errors]

    rows_seen, errors = report(workers=1)
    assert (rows_seen, errors) == report(workers=0)
    assert rows_seen == 40
    assert [(line, reason == TOO_LONG) for line, reason, _ in errors] == [(22, True), (32, False)]
