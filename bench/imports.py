"""`make bench-import`: a million messy Russian rows into SQLite and PostgreSQL.

Generates a Windows-1251 CSV of 1,000,000 rows — numbers in the spellings real bases have,
some invalid, some repeated — imports it end to end (decoding check, normalising in worker
processes, writing) into a fresh SQLite file and a fresh PostgreSQL database, and prints
rows per second and the peak memory of the importing process with its workers. On
PostgreSQL it also COPYs the same file, as it is, into a table with a unique index on the
same server, before and after the import, and prints the import's rate as a share of those
plain COPYs' mean.

    python -m bench.imports [--rows N] [--postgres URL]
"""

import argparse
import asyncio
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.procs import tree
from dialer.base import schema
from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.contacts.campaigns import CampaignSpec, create_campaign
from dialer.contacts.imports.files import inspect_file
from dialer.contacts.imports.rows import Tally
from dialer.contacts.imports.run import ImportJob

CODES = ["495", "499", "812", "343", "383", "423", "846", "4012", "861", "843"]
MOBILE = ["912", "916", "926", "903", "905", "985", "999", "950", "977", "921"]
NAMES = ["Пётр Иванов", "Анна Смирнова", "Сергей Кузнецов", "Ольга Попова", "Дмитрий Волков"]
COMPANIES = ["ООО «Ромашка»", "АО Вектор", "ИП Сидоров", "ООО Янтарь; филиал", 'ЗАО "Сибирь"']
REGIONS = ["Москва", "Санкт-Петербург", "Свердловская обл.", "Новосибирская обл.", ""]


def spell(digits: str, rng: random.Random) -> str:
    """One of the ways people write a Russian number."""
    code, rest = (digits[:4], digits[4:]) if digits.startswith("4012") else (digits[:3], digits[3:])
    a, b, c = rest[:-4], rest[-4:-2], rest[-2:]
    return rng.choice(
        [
            f"8 ({code}) {a}-{b}-{c}",
            f"+7 {code} {a} {b} {c}",
            f"8{digits}",
            f"({code}){a}-{b}-{c}",
            f"+7-{code}-{a}-{b}{c}",
            f"7{digits}",
            f"8 {code} {a}{b}{c}",
        ]
    )


def number(rng: random.Random) -> str:
    code = rng.choice(CODES + MOBILE)
    return code + "".join(rng.choice("0123456789") for _ in range(10 - len(code)))


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    """The messy base: ~2 % invalid, ~3 % repeats of earlier numbers in other spellings."""
    rng = random.Random(seed)
    recent: list[str] = []
    with path.open("w", encoding="cp1251", newline="") as out:
        out.write("Телефон;ФИО;Компания;Регион;Комментарий\r\n")
        for n in range(rows):
            roll = rng.random()
            if roll < 0.02:
                phone = rng.choice(["12345", "8 (000) 000-00-00", "нет", "+7 495 12"])
            elif roll < 0.05 and recent:
                phone = spell(rng.choice(recent), rng)
            else:
                digits = number(rng)
                recent.append(digits)
                if len(recent) > 1000:
                    recent.pop(0)
                phone = spell(digits, rng)
            comment = f"звонок {n % 7}, см. сайт" if n % 3 == 0 else ""
            out.write(
                f"{phone};{rng.choice(NAMES)};{rng.choice(COMPANIES).replace(';', ',')};"
                f"{rng.choice(REGIONS)};{comment}\r\n"
            )


class PeakMemory:
    """The high-water mark of the RSS of this process and its children, sampled."""

    def __init__(self, every: float = 0.1) -> None:
        self.every, self.peak, self.stopped = every, 0, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakMemory":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join()

    def _sample(self) -> None:
        while not self.stopped.wait(self.every):
            self.peak = max(self.peak, sum(_rss(pid) for pid in tree(os.getpid())))


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


async def _campaign(url: str) -> uuid.UUID:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            created = await create_campaign(session, CampaignSpec(name="bench"), utcnow())
            return created.id
    finally:
        await engine.dispose()


def import_into(url: str, path: Path) -> tuple[float, float, int, Tally]:
    """Seconds, CPU seconds (this process and its workers), peak bytes and the report."""
    schema.upgrade(url)
    campaign_id = asyncio.run(_campaign(url))
    with PeakMemory() as memory:
        cpu = sum(os.times()[:4])
        started = time.perf_counter()
        job = ImportJob(
            url,
            path,
            inspect_file(path),
            region="RU",
            key="bench-secret",
            clock=utcnow,
        )
        try:
            job.open(campaign_id, path.name, None)
            tally = job.run()
        finally:
            job.close()
        elapsed = time.perf_counter() - started
        # The workers' times count once they are waited for, which closing the job does.
        cpu = sum(os.times()[:4]) - cpu
    return elapsed, cpu, memory.peak, tally


def show(label: str, elapsed: float, cpu: float, peak: int, tally: Tally) -> None:
    rate = tally.rows / elapsed
    print(
        f"{label:<10} {tally.rows:>9,} rows in {elapsed:6.1f} s = {rate:>8,.0f} rows/s"
        f"   CPU {cpu:5.1f} s (importer and workers; load average {os.getloadavg()[0]:.1f})"
        f"   peak memory {peak / 2**20:5.0f} MB   imported {tally.imported:,}, duplicates "
        f"{tally.duplicates:,}, invalid {tally.invalid:,}"
    )


def show_copy(when: str, elapsed: float, rows: int) -> None:
    print(
        f"{'plain COPY':<10} {rows:>9,} rows in {elapsed:6.1f} s = {rows / elapsed:>8,.0f} rows/s"
        f"   ({when} the import: the same file into a table with a unique index, same server;"
        f" load average {os.getloadavg()[0]:.1f})"
    )


def with_database(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A database of its own on the server, dropped afterwards."""
    name = f"cascade_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def on_postgres(server: str, path: Path) -> tuple[float, float, int, Tally]:
    with scratch_database(server) as url:
        return import_into(url, path)


# The file's rows as they are, each under a unique key: what PostgreSQL itself does with
# a million rows and one unique index to keep, and nothing of Cascade.
_BASELINE = """
CREATE TABLE base (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, phone text, name text,
                   company text, region text, comment text)
"""
_COPY = (
    "COPY base (phone, name, company, region, comment) FROM STDIN"
    " WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'WIN1251')"
)


def plain_copy(server: str, path: Path) -> tuple[float, int]:
    """Seconds a plain COPY of the file takes into a table with a unique index, and its rows."""
    with scratch_database(server) as url:
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(_BASELINE)
            started = time.perf_counter()
            with conn.cursor().copy(_COPY) as copy, path.open("rb") as source:
                while block := source.read(1 << 20):
                    copy.write(block)
            elapsed = time.perf_counter() - started
            rows = conn.execute("SELECT count(*) FROM base").fetchone()
    return elapsed, rows[0] if rows else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cascade-bench-") as folder:
        path = Path(folder) / "base.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:.0f} MB, Windows-1251) "
            f"in {time.perf_counter() - started:.1f} s on {os.cpu_count()} cores"
        )
        if args.only != "postgresql":
            show("SQLite", *import_into(f"sqlite:///{folder}/bench.db", path))
        if args.only != "sqlite":
            # The plain COPY on both sides of the import, its share read against their mean:
            # a shared machine's speed drifts over minutes.
            before = plain_copy(args.postgres, path)
            show_copy("before", *before)
            imported = on_postgres(args.postgres, path)
            show("PostgreSQL", *imported)
            after = plain_copy(args.postgres, path)
            show_copy("after", *after)
            copy_rate = (before[1] / before[0] + after[1] / after[0]) / 2
            rate = imported[3].rows / imported[0]
            print(f"import / plain COPY: {rate / copy_rate:.2f} (target >= 0.18)")


if __name__ == "__main__":
    main()
