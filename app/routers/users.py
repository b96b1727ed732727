"""Users: created and deactivated by an admin; `GET /me` for everyone."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.deps import Admin, CurrentUser, ManagersPolicy, Now, Session, Sightings, Staff
from app.listing import Page, Total
from app.routers.floor import OperatorOut
from app.routers.shifts import ShiftOut
from app.schemas import Model
from dialer.base.audit import record
from dialer.base.errors import OwnAccount
from dialer.base.locks import lock_managers
from dialer.base.models import Desk, Role, User
from dialer.base.passwords import MAX_LENGTH
from dialer.base.users import (
    LOGIN_PATTERN,
    NewUser,
    UserChange,
    change_own_password,
    change_user,
    create_user,
    get_user,
    list_users,
    set_password,
)
from dialer.queue.leases import end_operator_lease
from dialer.reports.snapshot import Snapshot, snapshot
from dialer.sales.managers import capacity_changed, manager_left

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


class UserPatch(Model):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    desk: Desk | None = None
    capacity: int | None = Field(default=None, ge=0, le=100_000)
    hourly_rate: Decimal | None = Field(default=None, ge=0, le=1_000_000)
    active: bool | None = None


class PasswordIn(Model):
    password: str = Field(max_length=MAX_LENGTH)


class OwnPasswordIn(Model):
    current: str = Field(min_length=1, max_length=MAX_LENGTH)
    new: str = Field(max_length=MAX_LENGTH)


@router.post("/users", status_code=201)
async def add_user(body: UserIn, session: Session, now: Now, admin: Admin) -> UserOut:
    """Create a user."""
    new = NewUser(**body.model_dump(exclude={"name"}), name=body.name or body.login)
    user = await create_user(session, new, now)
    await record(session, admin, "user.create", "user", user.id, _described(user), now)
    return UserOut.of(user)


@router.get("/users")
async def users(
    session: Session,
    page: Page,
    total: Total,
    _staff: Staff,
    role: Role | None = None,
    active: bool | None = None,
) -> list[UserOut]:
    """Users by role and name, filtered by role and whether active."""
    found, count = await list_users(session, role, active, page.limit, page.offset)
    total.set(count)
    return [UserOut.of(u) for u in found]


@router.patch("/users/{user_id}")
async def patch_user(
    user_id: uuid.UUID,
    body: UserPatch,
    session: Session,
    now: Now,
    policy: ManagersPolicy,
    admin: Admin,
) -> UserOut:
    """Change a user; a new capacity re-weighs routing and saturation in this transaction."""
    given = frozenset(body.model_fields_set)
    if user_id == admin.id and body.active is False:
        raise OwnAccount()
    # The managers' lock first, as every change of the managers' side takes it.
    await lock_managers(session)
    before = UserOut.of(await get_user(session, user_id, lock=True)).model_dump()
    change = UserChange(**body.model_dump(), given=given)
    user = await change_user(session, user_id, change)
    await _after_change(session, user, before, now, policy)
    after = UserOut.of(user).model_dump()
    changed = [f"{k}: {before[k]} → {after[k]}" for k in sorted(given) if before[k] != after[k]]
    summary = f"{user.login}: " + ("; ".join(changed) or "nothing changed")
    await record(session, admin, "user.update", "user", user.id, summary, now)
    return UserOut.of(user)


@router.post("/users/{user_id}/deactivate")
async def deactivate(
    user_id: uuid.UUID, session: Session, now: Now, policy: ManagersPolicy, admin: Admin
) -> UserOut:
    """Deactivate a user; its tokens stop working at once, its clients go to others. Not
    oneself: an admin who did would lock itself out, the last one everyone."""
    if user_id == admin.id:
        raise OwnAccount()
    await lock_managers(session)
    before = UserOut.of(await get_user(session, user_id, lock=True)).model_dump()
    user = await change_user(
        session, user_id, UserChange(active=False, given=frozenset({"active"}))
    )
    await _after_change(session, user, before, now, policy)
    await record(session, admin, "user.deactivate", "user", user.id, _described(user), now)
    return UserOut.of(user)


@router.post("/users/{user_id}/password", status_code=204)
async def reset_password(
    user_id: uuid.UUID, body: PasswordIn, session: Session, now: Now, admin: Admin
) -> Response:
    """Set a user's password; every token the user holds stops working."""
    user = await set_password(session, user_id, body.password)
    await record(session, admin, "user.password", "user", user.id, f"{user.login}: reset", now)
    return Response(status_code=204)


@router.post("/me/password", status_code=204)
async def own_password(
    body: OwnPasswordIn, session: Session, now: Now, me: CurrentUser
) -> Response:
    """Change one's own password; every token of the caller, this one too, stops working."""
    user = await change_own_password(session, me.id, body.current, body.new)
    await record(session, me, "user.password", "user", user.id, f"{user.login}: changed", now)
    return Response(status_code=204)


async def _after_change(
    session: Session, user: User, before: dict[str, Any], now: datetime, policy: ManagersPolicy
) -> None:
    """What a change sets off: a departing operator's lease ends, the managers re-weigh."""
    left = before["active"] and not user.active
    if left and user.role is Role.OPERATOR:
        await end_operator_lease(session, user.id, now)
    if left and user.role is Role.MANAGER:
        await manager_left(session, user.id, now, policy)
    elif user.role is Role.MANAGER and (
        before["capacity"] != user.capacity
        or before["desk"] != user.desk
        or before["active"] != user.active
    ):
        await capacity_changed(session, now, policy)


def _described(user: User) -> str:
    return f"{user.login} ({user.role.value}, {user.name})"


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
        return me_answer(user, Snapshot(now, {}, [], None, {}))
    return me_answer(user, await snapshot(session, now, [user.id], seen))
