"""Break codes (configured by the admin) and an operator's own callbacks."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import Admin, CurrentUser, Now, Operator, Session
from app.schemas import Model
from dialer.base.audit import record
from dialer.base.models import BreakCode
from dialer.queue.callbacks import Callback, own_callbacks
from dialer.shifts.breaks import BreakCodeChange, add_break_code, break_codes, change_break_code

router = APIRouter(tags=["floor"])

CODE = r"^[a-z0-9_]+$"


class BreakCodeIn(Model):
    code: str = Field(min_length=1, max_length=32, pattern=CODE)
    label: str = Field(min_length=1, max_length=100)
    paid: bool = False


class BreakCodePatch(Model):
    label: str | None = Field(default=None, min_length=1, max_length=100)
    paid: bool | None = None
    active: bool | None = None


class BreakCodeOut(BaseModel):
    code: str
    label: str
    paid: bool
    active: bool

    @classmethod
    def of(cls, b: BreakCode) -> "BreakCodeOut":
        return cls(code=b.code, label=b.label, paid=b.paid, active=b.active)


@router.get("/break-codes")
async def list_break_codes(session: Session, _user: CurrentUser) -> list[BreakCodeOut]:
    """Every break code, retired ones too (`active: false`), in code order."""
    return [BreakCodeOut.of(b) for b in await break_codes(session)]


@router.post("/break-codes", status_code=201)
async def new_break_code(
    body: BreakCodeIn, session: Session, now: Now, admin: Admin
) -> BreakCodeOut:
    """Add a kind of break; 409 `break_code_taken` when the code exists."""
    added = await add_break_code(session, body.code, body.label, body.paid, now)
    summary = f"{added.label} ({'paid' if added.paid else 'unpaid'})"
    await record(session, admin, "break_code.add", "break_code", added.code, summary, now)
    return BreakCodeOut.of(added)


@router.patch("/break-codes/{code}")
async def edit_break_code(
    code: str, body: BreakCodePatch, session: Session, now: Now, admin: Admin
) -> BreakCodeOut:
    """Relabel a break code, say whether it is paid, or retire it."""
    change = BreakCodeChange(**body.model_dump())
    changed = await change_break_code(session, code, change)
    said = ", ".join(f"{k}={v}" for k, v in body.model_dump(exclude_none=True).items())
    await record(session, admin, "break_code.change", "break_code", changed.code, said, now)
    return BreakCodeOut.of(changed)


class CallbackOut(BaseModel):
    contact_id: str
    name: str | None
    company: str | None
    phone: str | None
    campaign: str
    at: datetime
    due: bool

    @classmethod
    def of(cls, c: Callback, now: datetime) -> "CallbackOut":
        assert c.contact.callback_at is not None
        return cls(
            contact_id=str(c.contact.id),
            name=c.contact.name,
            company=c.contact.company,
            phone=c.contact.phone,
            campaign=c.campaign_name,
            at=c.contact.callback_at,
            due=c.contact.callback_at <= now,
        )


@router.get("/me/callbacks")
async def my_callbacks(session: Session, now: Now, operator: Operator) -> list[CallbackOut]:
    """The operator's own (personal) callbacks still to be made, due first."""
    return [CallbackOut.of(c, now) for c in await own_callbacks(session, operator.id)]
