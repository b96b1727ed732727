"""Where an import's contacts go: COPY on PostgreSQL, batched inserts on SQLite.

A batch skips the numbers on the do-not-call list and those the campaign already has
(earlier batches of the same file included), so duplicates are found by the database's
index, not by a set that would grow with the file. Into a campaign that had no contacts
when the import began, only the numbers a filter of fixed size names as maybe written
before are looked up (`Written`); the unique index still refuses any other, and the
import then looks up every number. Each batch is committed with the import's counts, in
file order.
"""

import json
from collections import deque
from collections.abc import Callable, Collection, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

import psycopg
from sqlalchemy import Connection, TextClause, select, text, update

from dialer.base.models import NOT_QUEUED, QUEUED, Contact, ContactState, DncEntry
from dialer.contacts.companies import is_a_client
from dialer.contacts.imports.rows import COPY_COLUMNS, Plan, Prepared, Tally

COPY_ATTEMPTS = 3
# The list is a CTE read twice, so it is computed once and the planner never sees the
# hashes as a constant: given 8,000 of them it may judge them unselective and read the
# campaign's whole index instead (measured: 470 ms, not 44 ms, among a million contacts).
ON_THE_LIST = (
    "WITH probe AS (SELECT string_to_array(:hashes, ',') AS hashes) "
    "SELECT phone_hash, true FROM dnc_entry, probe WHERE phone_hash = ANY(probe.hashes)"
)
SUPPRESSED = text(ON_THE_LIST)
KNOWN = text(
    ON_THE_LIST + " UNION ALL SELECT phone_hash, false FROM contact, probe "
    "WHERE campaign_id = :campaign AND phone_hash = ANY(probe.hashes)"
)
# The list looked up for every number, the campaign for a few (`Written`'s).
KNOWN_AMONG = text(
    ON_THE_LIST + " UNION ALL SELECT phone_hash, false FROM contact "
    "WHERE campaign_id = :campaign AND phone_hash = ANY(string_to_array(:among, ','))"
)
# Each contact is in one of the two partial indexes that lead with the campaign.
HAS_CONTACTS = text(
    f"SELECT EXISTS (SELECT 1 FROM contact WHERE campaign_id = :campaign AND {QUEUED}) "
    f"OR EXISTS (SELECT 1 FROM contact WHERE campaign_id = :campaign AND {NOT_QUEUED})"
)
# `Written`'s size: a bit per two bytes of the file (a row of a base is 30 to 100 bytes,
# so 15 to 50 bits a number), within these bounds (8 KB to 32 MB).
WRITTEN_BITS = (1 << 16, 1 << 28)

# Of a chunk's numbers: those on the do-not-call list, and those the campaign has.
Known = tuple[set[str], set[str]]
Chunks = Iterator[tuple[Prepared, int]]
# Writes a batch's counts into the import's report, in the batch's transaction.
Save = Callable[[Connection, Tally], None]
Batches = Generator[tuple[Tally, int], None, None]


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

    def batches(self, chunks: Chunks, save: Save) -> Batches:
        """Each chunk written and committed with its counts, in file order; its counts."""
        for prepared, position in chunks:
            with self.conn.begin():
                batch = self.store(self.conn, prepared, set())
                save(self.conn, batch)
            yield batch, position

    def store(
        self,
        conn: Connection,
        prepared: Prepared,
        recent: set[str],
        again: set[str] | None = None,
    ) -> Tally:
        """Write a chunk's new contacts; the chunk's counts.

        `recent` holds the numbers of the chunks just before this one, which may not be
        committed yet: their contacts are on their way, so here they count as known.
        `again`, when given, holds the only numbers of the chunk the campaign may have.
        """
        batch = Tally(rows=prepared.rows, invalid=prepared.invalid)
        batch.errors = [
            {"line": line, "reason": reason, "raw": raw} for line, reason, raw in prepared.errors
        ]
        # In the transaction that writes: no other writer can slip in between.
        suppressed, existing = self.known(conn, prepared.hashes, recent, again)
        suppressed, existing = self.write(conn, prepared, (suppressed, existing))
        # A number on the list counts as such however often it comes; a repeat of any
        # other is a duplicate, as is a number the campaign already has.
        repeated = sum(1 for h in prepared.repeats if h in suppressed)
        batch.do_not_call = len(suppressed) + repeated
        batch.duplicates = len(existing - suppressed) + len(prepared.repeats) - repeated
        batch.imported = len(prepared.hashes) - len(suppressed | existing)
        return batch

    def known(
        self, conn: Connection, hashes: list[str], recent: set[str], again: set[str] | None
    ) -> Known:
        """Of these hashes: those on the do-not-call list, those the campaign has."""
        # One JSON parameter, not an IN list of thousands: SQLite caches every distinct
        # statement it prepares, and those would grow with the file.
        joined = json.dumps(hashes)
        suppressed = conn.scalars(
            text(
                "SELECT phone_hash FROM dnc_entry "
                "WHERE phone_hash IN (SELECT value FROM json_each(:hashes))"
            ),
            {"hashes": joined},
        )
        existing = conn.scalars(
            text(
                "SELECT phone_hash FROM contact WHERE campaign_id = :campaign "
                "AND phone_hash IN (SELECT value FROM json_each(:hashes))"
            ),
            {"campaign": self.plan.campaign_id.hex, "hashes": joined},
        )
        return set(suppressed), set(existing) | recent.intersection(hashes)

    def write(self, conn: Connection, prepared: Prepared, known: Known) -> Known:
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

    def write(self, conn: Connection, prepared: Prepared, known: Known) -> Known:
        skip = known[0] | known[1]
        records = [
            record
            for record, hashed in zip(prepared.records, prepared.hashes, strict=True)
            if hashed not in skip
        ]
        if records:
            marks = ", ".join("?" * len(records[0]))
            conn.exec_driver_sql(f"INSERT INTO contact ({COPY_COLUMNS}) VALUES ({marks})", records)
        return known


class PostgresStore(Store):
    """COPY, with index probes by array, on several connections at once.

    Most of an import's time in PostgreSQL goes to keeping the contact table's indexes,
    on one core per connection: while one connection writes a chunk the next is probed
    and written on another, and the chunks are committed in file order.
    """

    def __init__(self, conn: Connection, plan: Plan, others: list[Connection], size: int) -> None:
        super().__init__(conn, plan)
        self.others = others
        self.size = size
        # The numbers written so far, while the campaign holds no others: it had no
        # contacts when the import began, and no copy has met a number written since by
        # someone else. A chunk's numbers are then looked up among the campaign's only
        # where this names them (a repeat, or one of its few false alarms), not all of
        # them: looking up every number was a fifth of the server's work in an import.
        self.written: Written | None = None
        # Whether a chunk's numbers are looked up among the campaign's before it is
        # copied. Not while chunks go in clean, as into a new campaign: the unique index
        # refuses a known number anyway, and that chunk is then looked up and copied
        # again, and the chunks after it looked up first until one finds nothing known.
        # (The do-not-call list is always looked up: nothing else would keep its
        # numbers out.)
        self.probing = False

    def close(self) -> None:
        for conn in self.others:
            conn.close()

    def batches(self, chunks: Chunks, save: Save) -> Batches:
        empty = not self.conn.scalar(HAS_CONTACTS, {"campaign": self.plan.campaign_id})
        self.conn.rollback()
        self.written = Written(self.size) if empty else None
        free = deque([self.conn, *self.others])
        # Oldest first: each chunk's write, its connection and position.
        flight: deque[tuple[Future[Tally], Connection, int]] = deque()
        # The numbers of the last chunks, the one or more still in flight among them.
        recent: deque[set[str]] = deque(maxlen=len(free))
        with ThreadPoolExecutor(len(free), thread_name_prefix="import-copy") as pool:
            try:
                for prepared, position in chunks:
                    if not free:
                        yield self._commit(flight.popleft(), free, save)
                    conn = free.popleft()
                    # In file order: what the chunks before this one wrote, or will.
                    again = written.add(prepared.hashes) if (written := self.written) else None
                    write = pool.submit(self.store, conn, prepared, set().union(*recent), again)
                    flight.append((write, conn, position))
                    recent.append(set(prepared.hashes))
                while flight:
                    yield self._commit(flight.popleft(), free, save)
            finally:
                # Stopped or failed: what is not committed is not counted, and goes.
                for write, conn, _ in flight:
                    write.exception()
                    conn.rollback()

    def _commit(
        self,
        done: tuple["Future[Tally]", Connection, int],
        free: deque[Connection],
        save: Save,
    ) -> tuple[Tally, int]:
        write, conn, position = done
        try:
            batch = write.result()
            save(conn, batch)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        free.append(conn)
        return batch, position

    def known(
        self, conn: Connection, hashes: list[str], recent: set[str], again: set[str] | None
    ) -> Known:
        if again is not None and self.written is not None:
            query = KNOWN_AMONG if again else SUPPRESSED
            suppressed, existing = self._probe(conn, hashes, query, again)
        else:
            suppressed, existing = self._probe(conn, hashes, KNOWN if self.probing else SUPPRESSED)
            # The recent chunks' numbers are this import's own: no reason to keep looking.
            self.probing = bool(existing - recent)
        return suppressed, existing | recent.intersection(hashes)

    def _probe(
        self, conn: Connection, hashes: list[str], query: TextClause, among: Collection[str] = ()
    ) -> Known:
        # One text parameter split by the server, and both lists in one round trip:
        # binding a list costs more than the probe.
        values = {"campaign": self.plan.campaign_id, "hashes": ",".join(hashes)}
        rows = conn.execute(query, values | {"among": ",".join(among)} if among else values)
        suppressed: set[str] = set()
        existing: set[str] = set()
        for hashed, on_the_list in rows:
            (suppressed if on_the_list else existing).add(hashed)
        return suppressed, existing

    def write(self, conn: Connection, prepared: Prepared, known: Known) -> Known:
        suppressed, existing = known
        for _ in range(COPY_ATTEMPTS):
            try:
                with conn.begin_nested():
                    _copy(conn, prepared, suppressed | existing)
                break
            except psycopg.errors.UniqueViolation:
                # The campaign has some of these numbers (not looked up, or committed
                # by another import since): look them up and copy what is still new,
                # and from now on look up every number.
                self.probing = True
                self.written = None
                again = self._probe(conn, prepared.hashes, KNOWN)
                suppressed, existing = suppressed | again[0], existing | again[1]
        else:
            _copy(conn, prepared, suppressed | existing)
        return suppressed, existing


def _copy(conn: Connection, prepared: Prepared, skip: set[str]) -> None:
    data = prepared.copy
    if skip:
        # One line per number, each ending in a line end (COPY escapes those in values).
        lines = data.split(b"\n")[:-1]
        pairs = zip(lines, prepared.hashes, strict=True)
        data = b"".join(line + b"\n" for line, hashed in pairs if hashed not in skip)
    if not data:
        return
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY contact ({COPY_COLUMNS}) FROM STDIN") as copy,
    ):
        copy.write(data)


class Written:
    """The numbers an import has written so far, as a Bloom filter of fixed size.

    `add` names which of a chunk's numbers may have been added before. It never misses
    one that was; of those that were not it names a few (two bits a number: about 0.3 %
    of a million numbers in 4 MB, more once a file outgrows its size), which are then
    looked up for nothing. Its size is set by the file's, and does not grow with it.
    """

    def __init__(self, size: int) -> None:
        low, high = WRITTEN_BITS
        bits = min(max(1 << (size // 2).bit_length(), low), high)
        self._mask = bits - 1
        self._bits = bytearray(bits >> 3)

    def add(self, hashes: list[str]) -> set[str]:
        """Remember these numbers; those of them that may have been added before."""
        bits, mask = self._bits, self._mask
        again: set[str] = set()
        for hashed in hashes:
            # A keyed SHA-256 in hex: its digits are uniform, so two 32-bit slices of
            # them are two independent positions.
            value = int(hashed[:16], 16)
            first, second = value & mask, (value >> 32) & mask
            if bits[first >> 3] >> (first & 7) & 1 and bits[second >> 3] >> (second & 7) & 1:
                again.add(hashed)
            bits[first >> 3] |= 1 << (first & 7)
            bits[second >> 3] |= 1 << (second & 7)
        return again
