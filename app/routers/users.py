"""Users: created and deactivated by an admin; `GET /me` for everyone."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import Admin, CurrentUser, ManagersPolicy, Now, Session, Sightings
from app.routers.floor import OperatorOut
from app.routers.shifts import ShiftOut
from app.schemas import Model
from dialer.base.models import Desk, Role, User
from dialer.base.users import NewUser, create_user, deactivate_user
from dialer.reports.snapshot import Snapshot, snapshot
from dialer.sales.managers import manager_left

router = APIRouter(tags=["users"])


class UserIn(Model):
    login: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(default="", max_length=200)
    role: Role
    desk: Desk | None = None
    capacity: int | None = Field(default=None, ge=0, le=100_000)
    hourly_rate: Decimal | None = Field(default=None, ge=0, le=1_000_000)


class UserOut(BaseModel):
    id: uuid.UUID
    login: str
    name: str
    role: Role
    desk: Desk | None
    capacity: int | None
    hourly_rate: Decimal | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> "UserOut":
        return cls.model_validate(user, from_attributes=True)


@router.post("/users", status_code=201)
async def add_user(body: UserIn, session: Session, now: Now, _admin: Admin) -> UserOut:
    """Create a user."""
    new = NewUser(**body.model_dump(exclude={"name"}), name=body.name or body.login)
    return UserOut.of(await create_user(session, new, now))


@router.post("/users/{user_id}/deactivate")
async def deactivate(
    user_id: uuid.UUID, session: Session, now: Now, policy: ManagersPolicy, _admin: Admin
) -> UserOut:
    """Deactivate a user; its tokens stop working at once, its clients go to others."""
    user = await deactivate_user(session, user_id)
    if user.role is Role.MANAGER:
        await manager_left(session, user.id, now, policy)
    return UserOut.of(user)


def me_answer(user: User, snap: Snapshot) -> dict[str, Any]:
    """`GET /me` from a snapshot of the floor: the request's own, or a stream's shared one."""
    answer: dict[str, Any] = {
        "user": UserOut.of(user).model_dump(mode="json"),
        "role": user.role.value,
    }
    if user.role is Role.OPERATOR:
        shift = snap.shift_of(user.id)
        live = snap.operators.get(user.id)
        answer |= {
            "shift": ShiftOut.of(shift).model_dump(mode="json") if shift else None,
            "clocked_in": live.clocked_in if live else False,
            "lease_id": str(live.lease.id) if live and live.lease else None,
            "live": OperatorOut.of(live).model_dump(mode="json") if live else None,
        }
    return answer


@router.get("/me")
async def me(user: CurrentUser, session: Session, now: Now, seen: Sightings) -> dict[str, Any]:
    """The caller, its role and, for an operator, where it stands on the floor: its shift,
    clocked in or not, its lease, and `live` as `/operators/live` says it (state, since,
    what keeps it paused and why, this shift's numbers)."""
    if user.role is not Role.OPERATOR:
        return me_answer(user, Snapshot(now, {}, [], None))
    return me_answer(user, await snapshot(session, now, [user.id], seen))
