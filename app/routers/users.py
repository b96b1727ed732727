"""Users: created and deactivated by an admin; `GET /me` for everyone."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import Admin, CurrentUser, ManagersPolicy, Now, Session
from app.routers.shifts import ShiftOut
from app.schemas import Model
from dialer.base.models import Desk, Role, User
from dialer.base.passwords import MAX_LENGTH
from dialer.base.users import LOGIN_PATTERN, NewUser, create_user, deactivate_user
from dialer.sales.managers import manager_left
from dialer.shifts.attendance import floor_of

router = APIRouter(tags=["users"])


class UserIn(Model):
    login: str = Field(min_length=1, max_length=64, pattern=LOGIN_PATTERN)
    # Its rules (length, not the login, not common) are the domain's: `check_password`.
    password: str = Field(max_length=MAX_LENGTH)
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


@router.get("/me")
async def me(user: CurrentUser, session: Session, now: Now) -> dict[str, Any]:
    """The caller, its role and, for an operator, where it stands on the floor."""
    answer: dict[str, Any] = {
        "user": UserOut.of(user).model_dump(mode="json"),
        "role": user.role.value,
    }
    if user.role is Role.OPERATOR:
        floor = await floor_of(session, user.id, now)
        shift = ShiftOut.of(floor.shift).model_dump(mode="json") if floor.shift else None
        answer |= {
            "shift": shift,
            "clocked_in": floor.clocked_in,
            "lease_id": str(floor.lease_id) if floor.lease_id else None,
        }
    return answer
