"""Staff's lookups on a large base: a contact found by a number, and a campaign's stats.

    python -m bench.lookups [--contacts 2000000]   # alone, on a database of its own
    (also run by `python -m bench.queue` on its large base, after the queue's runs)

A number search must walk an index (the number's keyed hash), not the contacts, and answer
in under 50 ms; a campaign's stats in under 200 ms. Each is asked over HTTP of the real
service, one request at a time, the median and the slowest of the runs printed.
"""

import argparse
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from bench import seed
from dialer.base.models import User
from dialer.base.users import issue_token

DATABASE = "cascade_bench_lookups"
ROUNDS = 50
SEARCH_TARGET_MS = 50.0
STATS_TARGET_MS = 200.0


@dataclass(frozen=True)
class Timing:
    median_ms: float
    worst_ms: float


def supervisor_token(db: psycopg.Connection, now: datetime) -> str:
    """A supervisor's bearer token, for the staff endpoints."""
    user_id = uuid.uuid4()
    db.execute(
        "INSERT INTO user_account (id, login, password_hash, name, role, active, token_version,"
        " created_at) VALUES (%s, %s, '!', 'Bench supervisor', 'supervisor', true, 0, %s)",
        (user_id, f"bench-supervisor-{user_id.hex[:8]}", now),
    )
    return issue_token(seed.SECRET, User(id=user_id, token_version=0), now + timedelta(days=1))


def spelled(e164: str) -> str:
    """A Russian number as people write it: 8 (9xx) xxx-xx-xx."""
    d = e164[2:]
    return f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"


def _timed(http: httpx.Client, path: str, params: dict[str, str]) -> float:
    started = time.perf_counter()
    answer = http.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    answer.raise_for_status()
    return elapsed


def measure(base: str, url: str, campaign: uuid.UUID, rounds: int = ROUNDS) -> dict[str, Timing]:
    """Time number searches (each a different number) and the campaign's stats."""
    with seed.connect(url) as db:
        token = supervisor_token(db, datetime.now(UTC))
        phones = [
            row[0]
            for row in db.execute(
                "SELECT phone FROM contact WHERE campaign_id = %s AND phone IS NOT NULL"
                " ORDER BY random() LIMIT %s",
                (campaign, rounds),
            )
        ]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        _timed(http, "/api/v1/contacts", {"q": spelled(phones[0])})  # warm up
        search = [_timed(http, "/api/v1/contacts", {"q": spelled(p)}) for p in phones]
        for p in phones[:3]:
            found = http.get("/api/v1/contacts", params={"q": spelled(p)}).json()
            assert [c["phone"] for c in found] == [p], found
        path = f"/api/v1/campaigns/{campaign}/stats"
        _timed(http, path, {})
        stats = [_timed(http, path, {}) for _ in range(rounds)]
    return {"search": _timing(search), "stats": _timing(stats)}


def _timing(values: list[float]) -> Timing:
    return Timing(statistics.median(values), max(values))


def report(timings: dict[str, Timing], contacts: int) -> list[tuple[str, float, str, bool]]:
    """Print the figures; the targets as (name, value, target, met)."""
    search, stats = timings["search"], timings["stats"]
    print(f"lookups on {contacts:,} contacts, {ROUNDS} requests each, one at a time:")
    for label, timing in (("contact search by number", search), ("campaign stats", stats)):
        print(f"  {label:<25} median {timing.median_ms:6.1f} ms, worst {timing.worst_ms:6.1f} ms")
    return [
        ("contact search by number, median (ms)", search.median_ms, "< 50",
         search.median_ms < SEARCH_TARGET_MS),
        ("campaign stats, median (ms)", stats.median_ms, "< 200",
         stats.median_ms < STATS_TARGET_MS),
    ]  # fmt: skip


def main() -> None:
    from bench.queue import POOL, server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2_000_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CASCADE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    url = seed.recreate(args.postgres, DATABASE)
    try:
        with seed.connect(url) as db:
            campaign = seed.seed_campaign(db, "lookups", args.contacts, datetime.now(UTC))
            db.execute("VACUUM ANALYZE")
        env = {
            "CASCADE_DATABASE_URL": url,
            "CASCADE_SCHEDULER": "off",
            "CASCADE_SECRET_KEY": seed.SECRET,
            "CASCADE_DB_POOL_SIZE": str(POOL),
        }
        log = Path(tempfile.gettempdir()) / f"{DATABASE}.log"
        with server("app.main:create_app", env, 1, log) as base:
            checks = report(measure(base, url, campaign), args.contacts)
        for name, value, target, met in checks:
            print(f"  {name:<38} {value:8.2f}  target {target:<8} {'met' if met else 'MISSED'}")
    finally:
        seed.drop(args.postgres, DATABASE)


if __name__ == "__main__":
    main()
