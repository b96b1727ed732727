"""The last attempts of a batch of claimed contacts, for the operator's card (`contact.history`).

A contact never called has none, and the claim's row says so (`attempts = 0`): a fresh
base, next-call's usual case, costs no query. Otherwise one indexed read by contact,
on the claim lanes' own connection for a whole batch at once.
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

import asyncpg

from dialer.contacts.history import HISTORY_SIZE, Past

# One statement for a batch of claimed contacts: each one's last attempts by its index.
BATCH_HISTORY = f"""
    SELECT c.id AS contact_id, h.created_at, h.disposition, h.objection, h.notes
    FROM unnest($1::uuid[]) AS c(id)
    CROSS JOIN LATERAL (
        SELECT created_at, disposition, objection, notes FROM attempt
        WHERE attempt.contact_id = c.id ORDER BY created_at DESC LIMIT {HISTORY_SIZE}
    ) AS h
    ORDER BY c.id, h.created_at DESC
"""


async def histories(
    driver: asyncpg.Connection, contacts: Sequence[Mapping[str, Any]]
) -> dict[uuid.UUID, tuple[Past, ...]]:
    """The last attempts of the claimed contacts that have any, on a driver connection."""
    called = [row["id"] for row in contacts if row["attempts"]]
    found: dict[uuid.UUID, list[Past]] = {}
    if called:
        for row in await driver.fetch(BATCH_HISTORY, called):
            at = row["created_at"].astimezone(UTC)
            past = Past(at, row["disposition"], row["objection"], row["notes"])
            found.setdefault(row["contact_id"], []).append(past)
    return {contact_id: tuple(pasts) for contact_id, pasts in found.items()}
