"""The benchmark's database: migrated like production, filled fast with COPY.

Contacts are spread over eleven Russian time zones, Moscow holding 10 % of them
and each of the ten others 9 %, so that one window setting puts 90 % of a base
outside its calling window (only Moscow open) and another puts none outside.
"""

import hashlib
import hmac
import random
import time as time_module
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import count

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from dialer.base import schema
from dialer.base.models import User
from dialer.base.users import issue_token
from dialer.contacts.campaigns import (
    DEFAULT_OBJECTIONS,
    DEFAULT_QUESTIONNAIRE_FIELDS,
    DEFAULT_RETRY,
)

SECRET = "cascade-bench-Lq7Vt2Rx9Wm4Kp8Zs3Nc6Yb1"
MOSCOW = "Europe/Moscow"
OTHER_ZONES = [
    "Europe/Kaliningrad",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
]
_numbers = count(9_000_000_000)


def _zone(i: int) -> str:
    """One contact in ten in Moscow; the others spread evenly over the other ten zones."""
    if i % 10 == 0:
        return MOSCOW
    return OTHER_ZONES[(i - i // 10 - 1) % len(OTHER_ZONES)]


@dataclass(frozen=True)
class Operators:
    ids: list[uuid.UUID]
    tokens: list[str]


def database_url(server_url: str, name: str) -> str:
    """The URL of a database on the same server."""
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_empty(server_url: str, name: str) -> str:
    """A new, empty database; the old one of that name dropped."""
    drop(server_url, name)
    with psycopg.connect(_conninfo(server_url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url(server_url, name)


def recreate(server_url: str, name: str) -> str:
    """A new database migrated to head; the old one of that name dropped."""
    url = create_empty(server_url, name)
    schema.upgrade(url)
    return url


def drop(server_url: str, name: str) -> None:
    with psycopg.connect(_conninfo(server_url), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def connect(url: str) -> psycopg.Connection:
    """A plain psycopg connection for seeding and resets."""
    return psycopg.connect(_conninfo(url), autocommit=True)


def _copy(db: psycopg.Connection, table: str, columns: list[str], rows: Iterator[str]) -> None:
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with db.cursor() as cursor, cursor.copy(statement) as copy:
        batch: list[str] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 10_000:
                copy.write("".join(batch))
                batch.clear()
        copy.write("".join(batch))


def seed_operators(db: psycopg.Connection, how_many: int, now: datetime) -> Operators:
    """Operators with tokens, rostered and clocked in to a shift open all day."""
    ids = [uuid.uuid4() for _ in range(how_many)]
    stamp = now.isoformat()
    _copy(
        db,
        "user_account",
        ["id", "login", "password_hash", "name", "role", "active", "token_version", "created_at"],
        (f"{i}\top-{n}\t!\tOperator {n}\toperator\tt\t0\t{stamp}\n" for n, i in enumerate(ids)),
    )
    template, shift = uuid.uuid4(), uuid.uuid4()
    start = now - timedelta(hours=1)
    db.execute(
        'INSERT INTO shift_template (id, name, start, "end", weekdays, timezone, active,'
        " created_at) VALUES (%s, 'Bench', '00:00', '23:59', '[1,2,3,4,5,6,7]', 'UTC', true, %s)",
        (template, now),
    )
    db.execute(
        "INSERT INTO shift (id, template_id, name, starts_at, ends_at, state, created_at)"
        " VALUES (%s, %s, 'Bench', %s, %s, 'open', %s)",
        (shift, template, start, start + timedelta(hours=24), now),
    )
    _copy(
        db,
        "roster_entry",
        ["shift_id", "operator_id", "walk_in", "added_at"],
        (f"{shift}\t{i}\tf\t{stamp}\n" for i in ids),
    )
    _copy(
        db,
        "attendance",
        ["id", "shift_id", "operator_id", "clock_in_at"],
        (f"{uuid.uuid4()}\t{shift}\t{i}\t{stamp}\n" for i in ids),
    )
    expires = now + timedelta(days=2)
    tokens = [issue_token(SECRET, User(id=i, token_version=0), expires) for i in ids]
    return Operators(ids, tokens)


def seed_campaign(db: psycopg.Connection, name: str, contacts: int, now: datetime) -> uuid.UUID:
    """An inactive campaign open all day, with `contacts` ready contacts."""
    campaign = uuid.uuid4()
    db.execute(
        "INSERT INTO campaign (id, name, timezone, window_start, window_end, retry, max_attempts,"
        " calls_per_day, lease_seconds, callback_handover_minutes, script, objections,"
        " questionnaire_fields, active, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, 6, 3, 600, 30, '', %s, %s, false, %s)",
        (
            campaign,
            name,
            MOSCOW,
            time(0, 0),
            time.max,
            psycopg.types.json.Jsonb(DEFAULT_RETRY),
            psycopg.types.json.Jsonb(DEFAULT_OBJECTIONS),
            psycopg.types.json.Jsonb(DEFAULT_QUESTIONNAIRE_FIELDS),
            now,
        ),
    )
    rng = random.Random(contacts)
    stamp = now.isoformat()
    key = SECRET.encode()

    def rows() -> Iterator[str]:
        for i in range(contacts):
            phone = f"+7{next(_numbers)}"
            hashed = hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()
            due = (now - timedelta(seconds=rng.randrange(7 * 86400))).isoformat()
            yield (
                f"{uuid.uuid4()}\t{campaign}\t{phone}\t{hashed}\tContact {i}\tCompany {i % 997}"
                f"\t{_zone(i)}\t{{}}\tready\t0\t{due}\t0\t0\t{stamp}\n"
            )

    _copy(
        db,
        "contact",
        ["id", "campaign_id", "phone", "phone_hash", "name", "company", "timezone", "fields"]
        + ["state", "priority", "next_call_at", "attempts", "expired_streak", "created_at"],
        rows(),
    )
    return campaign


def activate(db: psycopg.Connection, campaign: uuid.UUID, start: time, end: time) -> None:
    """Make this campaign the only active one, with this calling window."""
    db.execute("UPDATE campaign SET active = (id = %s)", (campaign,))
    db.execute(
        "UPDATE campaign SET window_start = %s, window_end = %s WHERE id = %s",
        (start, end, campaign),
    )


def reset(db: psycopg.Connection) -> None:
    """End every open lease, give its contact back, and vacuum: a clean start.

    One statement, so a lease committed meanwhile by a request still in flight
    (wrk stops waiting, the server does not) keeps its contact leased.
    """
    db.execute(
        "WITH ended AS (UPDATE lease SET ended_at = now(), end_reason = 'released'"
        " WHERE ended_at IS NULL RETURNING contact_id)"
        " UPDATE contact SET state = 'ready' FROM ended"
        " WHERE contact.id = ended.contact_id AND contact.state = 'leased'"
    )
    db.execute("VACUUM (ANALYZE) contact")
    db.execute("VACUUM (ANALYZE) lease")
    db.execute("VACUUM (ANALYZE) attempt")
    db.execute("VACUUM (ANALYZE) idempotency_record")


def wait_idle(db: psycopg.Connection, timeout: float = 30.0) -> None:
    """Wait until no other session of this database is inside a transaction."""
    deadline = time_module.monotonic() + timeout
    while time_module.monotonic() < deadline:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state NOT IN ('idle')"
        ).fetchone()
        if row is not None and row[0] == 0:
            return
        time_module.sleep(0.1)


def moscow_only_window(now: datetime) -> tuple[time, time]:
    """A window open now in Moscow and closed in every other zone of the base."""
    local = now.astimezone(UTC) + timedelta(hours=3)
    minutes = local.hour * 60 + local.minute
    start, end = max(0, minutes - 25), min(24 * 60 - 1, minutes + 25)
    return time(start // 60, start % 60), time(end // 60, end % 60)


def leases_since(db: psycopg.Connection, since: datetime) -> int:
    row = db.execute("SELECT count(*) FROM lease WHERE created_at >= %s", (since,)).fetchone()
    return int(row[0]) if row else 0


def seed_staff(db: psycopg.Connection, managers: int, now: datetime) -> dict[str, list[str]]:
    """Acquisition managers with room for everything and a supervisor: their tokens."""
    people = {"manager": [uuid.uuid4() for _ in range(managers)], "supervisor": [uuid.uuid4()]}
    stamp = now.isoformat()
    for role, ids in people.items():
        desk, capacity = ("acquisition", "1000000") if role == "manager" else ("\\N", "\\N")
        _copy(
            db,
            "user_account",
            ["id", "login", "password_hash", "name", "role", "desk", "capacity", "active"]
            + ["token_version", "created_at"],
            (
                f"{i}\t{role}-{n}\t!\t{role} {n}\t{role}\t{desk}\t{capacity}\tt\t0\t{stamp}\n"
                for n, i in enumerate(ids)
            ),
        )
    expires = now + timedelta(days=2)
    return {
        role: [issue_token(SECRET, User(id=i, token_version=0), expires) for i in ids]
        for role, ids in people.items()
    }
