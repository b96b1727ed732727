"""Staff's reads on a large base: a contact found by a number, a campaign's stats, the floor.

    python -m bench.lookups [--contacts 2000000]   # alone, on a database of its own
    (also run by `python -m bench.queue` on its bases, after the queue's runs)

A number search must walk an index (the number's keyed hash), not the contacts, and answer
in under 50 ms; a campaign's stats in under 200 ms. Each is asked over HTTP of the real
service, one request at a time, the median and the slowest of the runs printed.

The supervisor's floor reads, `GET /dialer/status` and `GET /operators/live`, must cost the
same on a large base as on a small one: their p50 and p99, one request at a time after a
warm-up, with 100,000 contacts in the active campaign and then with the large base, and
the ratio of the p99s (target: at most 1.2).
"""

import argparse
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
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
FLOOR_PATHS = {
    "GET /dialer/status": "/api/v1/dialer/status",
    "GET /operators/live": "/api/v1/operators/live",
}
FLOOR_ROUNDS = 300
FLOOR_WARM_UP = 20
FLOOR_SMALL = 100_000
FLOOR_OPERATORS = 64
FLOOR_TARGET = 1.2


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


@dataclass(frozen=True)
class Percentiles:
    p50_ms: float
    p99_ms: float


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


def measure_floor(base: str, url: str, rounds: int = FLOOR_ROUNDS) -> dict[str, Percentiles]:
    """Time the floor's reads, one request at a time, in turn, after a warm-up."""
    with seed.connect(url) as db:
        token = supervisor_token(db, datetime.now(UTC))
    headers = {"Authorization": f"Bearer {token}"}
    times: dict[str, list[float]] = {label: [] for label in FLOOR_PATHS}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        for path in FLOOR_PATHS.values():
            for _ in range(FLOOR_WARM_UP):
                _timed(http, path, {})
        for _ in range(rounds):
            for label, path in FLOOR_PATHS.items():
                times[label].append(_timed(http, path, {}))
    return {label: _percentiles(values) for label, values in times.items()}


def _percentiles(values: list[float]) -> Percentiles:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return Percentiles(cuts[49], cuts[98])


def report_floor(
    small: dict[str, Percentiles], large: dict[str, Percentiles], sizes: tuple[int, int]
) -> list[tuple[str, float, str, bool]]:
    """Print the floor's reads at both sizes; the targets as (name, value, target, met)."""
    print("the floor's reads, one request at a time after a warm-up:")
    checks = []
    for label in FLOOR_PATHS:
        ratio = large[label].p99_ms / small[label].p99_ms
        for size, timing in zip(sizes, (small[label], large[label]), strict=True):
            print(
                f"  {label:<20} {size:>9,} contacts: p50 {timing.p50_ms:6.1f} ms,"
                f" p99 {timing.p99_ms:6.1f} ms"
            )
        print(f"  {label:<20} p99 at {sizes[1]:,} / at {sizes[0]:,}: {ratio:.2f}")
        checks.append((f"{label} p99 large / small", ratio, "<= 1.20", ratio <= FLOOR_TARGET))
    return checks


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
    now = datetime.now(UTC)
    env = {
        "CASCADE_DATABASE_URL": url,
        "CASCADE_SCHEDULER": "off",
        "CASCADE_SECRET_KEY": seed.SECRET,
        "CASCADE_DB_POOL_SIZE": str(POOL),
    }
    log = Path(tempfile.gettempdir()) / f"{DATABASE}.log"
    try:
        with seed.connect(url) as db:
            seed.seed_operators(db, FLOOR_OPERATORS, now)
            small = seed.seed_campaign(db, "floor", FLOOR_SMALL, now)
            seed.activate(db, small, clock_time(0, 0), clock_time.max)
            db.execute("VACUUM ANALYZE")
        with server("app.main:create_app", env, 1, log) as base:
            floor_small = measure_floor(base, url)
        with seed.connect(url) as db:
            campaign = seed.seed_campaign(db, "lookups", args.contacts, now)
            seed.activate(db, campaign, clock_time(0, 0), clock_time.max)
            db.execute("VACUUM ANALYZE")
        with server("app.main:create_app", env, 1, log) as base:
            floor_large = measure_floor(base, url)
            checks = report(measure(base, url, campaign), args.contacts)
        checks += report_floor(floor_small, floor_large, (FLOOR_SMALL, args.contacts))
        for name, value, target, met in checks:
            print(f"  {name:<38} {value:8.2f}  target {target:<8} {'met' if met else 'MISSED'}")
    finally:
        seed.drop(args.postgres, DATABASE)


if __name__ == "__main__":
    main()
