"""Where an import's contacts go: COPY on PostgreSQL, batched inserts on SQLite.

A batch skips the numbers on the do-not-call list and those the campaign already has
(earlier batches of the same file included), so duplicates are found by the database's
index, not by a set that would grow with the file.
"""

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

import psycopg
from sqlalchemy import Connection, select, text, update

from dialer.accounts import is_a_client
from dialer.imports import COPY_COLUMNS, Plan, Prepared, Tally
from dialer.models import Contact, ContactState, DncEntry

COPY_ATTEMPTS = 3
# The list is a CTE read twice, so it is computed once and the planner never sees the
# hashes as a constant: given 8,000 of them it may judge them unselective and read the
# campaign's whole index instead (measured: 470 ms, not 44 ms, among a million contacts).
KNOWN = text(
    "WITH probe AS (SELECT string_to_array(:hashes, ',') AS hashes) "
    "SELECT phone_hash, true FROM dnc_entry, probe WHERE phone_hash = ANY(probe.hashes) "
    "UNION ALL SELECT phone_hash, false FROM contact, probe "
    "WHERE campaign_id = :campaign AND phone_hash = ANY(probe.hashes)"
)

# Of a chunk's numbers: those on the do-not-call list, and those the campaign has.
Known = tuple[set[str], set[str]]
Chunks = Iterator[tuple[Prepared, int]]
Probed = Iterator[tuple[Prepared, int, Known | None]]


class Store:
    """Writes prepared chunks of one import into the campaign."""

    def __init__(self, conn: Connection, plan: Plan) -> None:
        self.conn, self.plan = conn, plan

    def __enter__(self) -> "Store":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release what the store holds besides the import's connection."""

    def probed(self, chunks: Chunks) -> Probed:
        """Each chunk with what the database knows of its numbers, or None: ask when writing."""
        for prepared, position in chunks:
            yield prepared, position, None

    def store(self, prepared: Prepared, known: Known | None) -> Tally:
        """Write a chunk's new contacts; the chunk's counts."""
        batch = Tally(rows=prepared.rows, invalid=prepared.invalid)
        batch.errors = [{"line": line, "reason": reason} for line, reason in prepared.errors]
        if known is None:
            # In the transaction that writes: no other writer can slip in between.
            known = self.known(prepared.hashes)
        suppressed, existing = self.write(prepared, known)
        # A number on the list counts as such however often it comes; a repeat of any
        # other is a duplicate, as is a number the campaign already has.
        repeated = sum(1 for h in prepared.repeats if h in suppressed)
        batch.do_not_call = len(suppressed) + repeated
        batch.duplicates = len(existing - suppressed) + len(prepared.repeats) - repeated
        batch.imported = len(prepared.hashes) - len(suppressed | existing)
        return batch

    def known(self, hashes: list[str]) -> Known:
        """Of these hashes: those on the do-not-call list, those the campaign has."""
        # One JSON parameter, not an IN list of thousands: SQLite caches every distinct
        # statement it prepares, and those would grow with the file.
        joined = json.dumps(hashes)
        suppressed = self.conn.scalars(
            text(
                "SELECT phone_hash FROM dnc_entry "
                "WHERE phone_hash IN (SELECT value FROM json_each(:hashes))"
            ),
            {"hashes": joined},
        )
        existing = self.conn.scalars(
            text(
                "SELECT phone_hash FROM contact WHERE campaign_id = :campaign "
                "AND phone_hash IN (SELECT value FROM json_each(:hashes))"
            ),
            {"campaign": self.plan.campaign_id.hex, "hashes": joined},
        )
        return set(suppressed), set(existing)

    def write(self, prepared: Prepared, known: Known) -> Known:
        """Insert the records whose number is not known; what was known when they were."""
        raise NotImplementedError

    def sweep_do_not_call(self) -> None:
        """Stop the imported contacts whose number was suppressed while the import ran."""
        self.conn.execute(
            update(Contact)
            .where(
                Contact.import_id == self.plan.import_id,
                Contact.state == ContactState.READY,
                Contact.phone_hash.in_(select(DncEntry.phone_hash)),
            )
            .values(state=ContactState.DO_NOT_CALL)
        )

    def sweep_clients(self) -> None:
        """Close the imported contacts whose company is already a client: never called again."""
        self.conn.execute(
            update(Contact)
            .where(
                Contact.import_id == self.plan.import_id,
                Contact.state == ContactState.READY,
                is_a_client(),
            )
            .values(state=ContactState.CLOSED)
        )


class SqliteStore(Store):
    """Batched inserts: the embedded database has one writer at a time anyway."""

    def write(self, prepared: Prepared, known: Known) -> Known:
        skip = known[0] | known[1]
        records = [
            record
            for record, hashed in zip(prepared.records, prepared.hashes, strict=True)
            if hashed not in skip
        ]
        if records:
            marks = ", ".join("?" * len(records[0]))
            self.conn.exec_driver_sql(
                f"INSERT INTO contact ({COPY_COLUMNS}) VALUES ({marks})", records
            )
        return known


class PostgresStore(Store):
    """COPY, with index probes by array: the fastest way in and out of PostgreSQL.

    The next chunk is probed on a connection of its own while this one is written, so
    the database's work for one chunk overlaps its work for the other.
    """

    def __init__(self, conn: Connection, plan: Plan, prober: Connection) -> None:
        super().__init__(conn, plan)
        self.prober = prober
        # The numbers of the chunk written last, which the probe ahead could not see.
        self.written: set[str] = set()

    def close(self) -> None:
        self.prober.close()

    def probed(self, chunks: Chunks) -> Probed:
        with ThreadPoolExecutor(1, thread_name_prefix="import-probe") as pool:
            ahead: tuple[Prepared, int, Future[Known]] | None = None
            for prepared, position in chunks:
                # Submitted before the previous chunk is written, which it cannot see.
                probe = pool.submit(self.known, prepared.hashes, self.prober)
                if ahead is not None:
                    yield self._resolved(*ahead)
                ahead = prepared, position, probe
            if ahead is not None:
                yield self._resolved(*ahead)

    def _resolved(
        self, prepared: Prepared, position: int, probe: "Future[Known]"
    ) -> tuple[Prepared, int, Known]:
        suppressed, existing = probe.result()
        existing |= self.written.intersection(prepared.hashes)
        return prepared, position, (suppressed, existing)

    def known(self, hashes: list[str], conn: Connection | None = None) -> Known:
        # One text parameter split by the server, and both lists in one round trip:
        # binding a list costs more than the probe.
        rows = (conn or self.conn).execute(
            KNOWN, {"campaign": self.plan.campaign_id, "hashes": ",".join(hashes)}
        )
        suppressed: set[str] = set()
        existing: set[str] = set()
        for hashed, on_the_list in rows:
            (suppressed if on_the_list else existing).add(hashed)
        return suppressed, existing

    def write(self, prepared: Prepared, known: Known) -> Known:
        suppressed, existing = known
        for _ in range(COPY_ATTEMPTS):
            try:
                with self.conn.begin_nested():
                    self._copy(prepared, suppressed | existing)
                break
            except psycopg.errors.UniqueViolation:
                # Another import into the same campaign committed some of these numbers
                # since the probe: probe again and copy what is still new.
                again = self.known(prepared.hashes)
                suppressed, existing = suppressed | again[0], existing | again[1]
        else:
            self._copy(prepared, suppressed | existing)
        self.written = set(prepared.hashes) - suppressed - existing
        return suppressed, existing

    def _copy(self, prepared: Prepared, skip: set[str]) -> None:
        data = prepared.copy
        if skip:
            # One line per number, each ending in a line end (COPY escapes those in values).
            lines = data.split(b"\n")[:-1]
            pairs = zip(lines, prepared.hashes, strict=True)
            data = b"".join(line + b"\n" for line, hashed in pairs if hashed not in skip)
        if not data:
            return
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY contact ({COPY_COLUMNS}) FROM STDIN") as copy,
        ):
            copy.write(data)
