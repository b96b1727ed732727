"""The do-not-call list and erasure of a contact's personal data."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.deps import Admin, AppSettings, Now, Session, Staff
from app.schemas import Model
from dialer.base.models import ContactState, DncEntry
from dialer.contacts.dnc import DncSource, list_entries, parse_phone, suppress, unsuppress
from dialer.contacts.erasure import erase_contact

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
    return DncOut.of(entry)


@router.get("/dnc")
async def entries(
    session: Session,
    _staff: Staff,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    # A 64-bit integer, as both databases bind it: a larger one was a 500, not a 422.
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> list[DncOut]:
    """The list, newest first; erased numbers show only their keyed hash."""
    return [DncOut.of(e) for e in await list_entries(session, limit, offset)]


@router.delete("/dnc/{phone}", status_code=204)
async def remove(phone: str, session: Session, settings: AppSettings, _staff: Staff) -> Response:
    """Take a number off the list; an erased number's suppression cannot be removed."""
    e164 = parse_phone(phone, settings.default_region, ("path", "phone"))
    await unsuppress(session, settings.secret_key, e164)
    return Response(status_code=204)


@router.delete("/contacts/{contact_id}")
async def erase(contact_id: uuid.UUID, session: Session, now: Now, admin: Admin) -> ErasureOut:
    """Erase the contact's personal data; a suppression by keyed hash stays."""
    erased = await erase_contact(session, contact_id, admin.id, now)
    return ErasureOut(id=contact_id, state=ContactState.ERASED, contacts_erased=erased)
