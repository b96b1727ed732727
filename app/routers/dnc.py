"""The do-not-call list and erasure of a contact's personal data."""

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, UploadFile
from pydantic import BaseModel, Field

from app.deps import (
    Admin,
    AppSettings,
    Now,
    Session,
    Staff,
    Store,
    checked_before_body,
)
from app.listing import Page, Total
from app.routers.imports import save_upload
from app.schemas import Model, Text
from dialer.base.audit import record
from dialer.base.exports import csv_text
from dialer.base.models import STAFF_ROLES, ContactState, DncEntry
from dialer.contacts.dnc import (
    DncSource,
    list_entries,
    parse_phone,
    suppress,
    suppress_many,
    unsuppress,
)
from dialer.contacts.dnc_files import read_numbers
from dialer.contacts.erasure import erase_contact
from dialer.contacts.phones import phone_hash

router = APIRouter(tags=["do-not-call"])


class DncIn(Model):
    phone: str = Field(min_length=1, max_length=64)


class DncOut(BaseModel):
    phone: str | None
    phone_hash: str
    source: str
    created_by: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, entry: DncEntry) -> "DncOut":
        return cls.model_validate(entry, from_attributes=True)


class RefusedLine(BaseModel):
    line: int
    reason: str


class DncImportOut(BaseModel):
    added: int
    already: int
    invalid: int
    errors: list[RefusedLine]


class ErasureOut(BaseModel):
    id: uuid.UUID
    state: ContactState
    contacts_erased: int


@router.post("/dnc", status_code=201)
async def add(
    body: DncIn, session: Session, settings: AppSettings, now: Now, staff: Staff
) -> DncOut:
    """Put a number on the list; its contacts stop being called in the same transaction."""
    e164 = parse_phone(body.phone, settings.default_region)
    entry = await suppress(session, settings.secret_key, e164, DncSource.MANUAL, staff.id, now)
    if entry.created_at == now:  # a number already listed is not added again
        await record(session, staff, "dnc.add", "dnc", entry.phone_hash, e164, now)
    return DncOut.of(entry)


async def import_numbers(
    file: UploadFile, session: Session, settings: AppSettings, now: Now, staff: Staff
) -> DncImportOut:
    """Put every number of a file on the list: the contact import's file rules, one report."""
    path = await asyncio.to_thread(save_upload, file.file)
    try:
        found = await asyncio.to_thread(read_numbers, path, settings.default_region)
    finally:
        path.unlink(missing_ok=True)
    added, already = await suppress_many(session, settings.secret_key, found.numbers, staff.id, now)
    summary = (
        f"{file.filename or 'a file'}: {len(added)} added, "
        f"{already + found.repeats} already listed, {found.invalid} refused"
    )
    await record(session, staff, "dnc.import", "dnc", None, summary, now)
    return DncImportOut(
        added=len(added),
        already=already + found.repeats,
        invalid=found.invalid,
        errors=[RefusedLine(line=e["line"], reason=e["reason"]) for e in found.errors],
    )


router.add_api_route(
    "/dnc/imports",
    import_numbers,
    methods=["POST"],
    route_class_override=checked_before_body(*STAFF_ROLES),
)


@router.get("/dnc", response_model=None)
async def entries(
    session: Session,
    settings: AppSettings,
    page: Page,
    total: Total,
    _staff: Staff,
    q: Annotated[Text | None, Query(max_length=64)] = None,
    fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> list[DncOut] | Response:
    """The list, newest first, searchable by number; erased numbers show only their keyed hash.

    As CSV it is the whole list (or all that `q` matches), for export.
    """
    key, region = settings.secret_key, settings.default_region
    if fmt == "csv":
        found, _ = await list_entries(session, key, region, q, None, 0)
        return _as_csv(found)
    found, count = await list_entries(session, key, region, q, page.limit, page.offset)
    total.set(count)
    return [DncOut.of(e) for e in found]


@router.delete("/dnc/{phone}", status_code=204)
async def remove(
    phone: str, session: Session, settings: AppSettings, now: Now, staff: Staff
) -> Response:
    """Take a number off the list; an erased number's suppression cannot be removed."""
    e164 = parse_phone(phone, settings.default_region, ("path", "phone"))
    await unsuppress(session, settings.secret_key, e164)
    hashed = phone_hash(settings.secret_key, e164)
    await record(session, staff, "dnc.remove", "dnc", hashed, e164, now)
    return Response(status_code=204)


@router.delete("/contacts/{contact_id}")
async def erase(
    contact_id: uuid.UUID, session: Session, store: Store, now: Now, admin: Admin
) -> ErasureOut:
    """Erase the contact's personal data and its calls' recordings; a keyed hash stays."""
    erased = await erase_contact(session, store, contact_id, admin.id, now)
    summary = f"personal data erased from {erased} contact(s)"
    await record(session, admin, "contact.erase", "contact", contact_id, summary, now)
    return ErasureOut(id=contact_id, state=ContactState.ERASED, contacts_erased=erased)


def _as_csv(found: list[DncEntry]) -> Response:
    rows = ([e.phone or "(erased)", e.source, e.created_at.isoformat()] for e in found)
    return Response(
        csv_text(["phone", "source", "created_at"], rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="do-not-call.csv"'},
    )
