"""Users, passwords and tokens."""

import asyncio
import hashlib
import hmac
import os
import re
import threading
import uuid
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Table, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.db import driver_statement
from dialer.base.errors import InvalidInput, LoginTaken, NotFound, Unauthenticated
from dialer.base.models import STAFF_ROLES, Desk, Role, User
from dialer.base.passwords import check_password

LOGIN_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"
WRONG_LOGIN = "Wrong login or password."

_hasher = PasswordHasher()
# Verified against when the login does not exist, so that a wrong login costs
# the same Argon2 work as a wrong password and timing reveals nothing. Written out, not
# hashed at import: hashing took 0.1 s of every start of the service and the command line.
# It must carry the hasher's own parameters, as every stored hash does (a test checks).
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4"
    "$obRmJSYsO53iMhfc+ljMNA$5xAiR1Q1t3kCE6HmcU4vVXDutACoJiC8Ro3SOiyXpdA"
)
# Argon2 takes ~50 ms of a core and 64 MiB by design. Run on the event loop it stalled
# every request of the process (16 bad logins at once made /healthz take up to 2.3 s);
# two threads bound the memory a burst of logins can take, and they run at a lower
# priority (its lanes, threads Argon2 starts, inherit it), so that a burst of logins
# waits for the floor's requests rather than the floor for the logins.
HASHING_NICENESS = 10


def _lower_priority() -> None:
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


_HASHING = ThreadPoolExecutor(
    max_workers=2, thread_name_prefix="argon2", initializer=_lower_priority
)
_T = TypeVar("_T")


async def _off_the_loop(work: Callable[..., _T], *args: str) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, work, *args)


@dataclass(frozen=True)
class NewUser:
    login: str
    password: str
    name: str
    role: Role
    desk: Desk | None = None
    capacity: int | None = None
    hourly_rate: Decimal | None = None


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def validate_new_user(new: NewUser) -> None:
    """Refuse role/desk combinations that make no sense."""
    if new.role is Role.MANAGER and new.desk is None:
        raise InvalidInput("A manager needs a desk.", fields=[{"loc": ["desk"], "msg": "required"}])
    if new.role is not Role.MANAGER and new.desk is not None:
        raise InvalidInput(
            "Only managers have a desk.", fields=[{"loc": ["desk"], "msg": "managers only"}]
        )
    if re.fullmatch(LOGIN_PATTERN, new.login) is None:
        raise InvalidInput(
            "A login is 1 to 64 Latin letters, digits and . _ @ -",
            fields=[{"loc": ["login"], "msg": "letters, digits and . _ @ - only"}],
        )
    check_password(new.password, new.login)


def _same_login(login: str) -> ColumnElement[bool]:
    # Logins are unique whatever their case (`uq_user_account_login_lower`), which this
    # comparison uses; they are ASCII, which SQLite's lower() folds as Python does.
    return func.lower(User.login) == login.lower()


async def create_user(session: AsyncSession, new: NewUser, now: datetime) -> User:
    """Add a user; the login must be free, in any case."""
    validate_new_user(new)
    taken = await session.scalar(select(User.id).where(_same_login(new.login)))
    if taken is not None:
        raise LoginTaken()
    user = User(
        login=new.login,
        password_hash=await _off_the_loop(hash_password, new.password),
        name=new.name,
        role=new.role,
        desk=new.desk,
        capacity=new.capacity,
        hourly_rate=new.hourly_rate,
        active=True,
        token_version=0,
        created_at=now,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        # Another request took the login between the check and the insert.
        raise LoginTaken() from error
    return user


async def authenticate(session: AsyncSession, login: str, password: str) -> User:
    """The active user of a login and password, or Unauthenticated, alike for every miss.

    An unknown login costs the same Argon2 verification as a wrong password, and both
    get the same refusal; the throttle (`dialer.base.throttle`) is the caller's.
    """
    user = await session.scalar(select(User).where(_same_login(login)))
    password_hash = DUMMY_HASH if user is None else user.password_hash
    right = await _off_the_loop(_verify, password_hash, password)
    if user is None or not right or not user.active:
        raise Unauthenticated(WRONG_LOGIN)
    return user


async def log_out(session: AsyncSession, claims: "TokenClaims") -> None:
    """End the token's validity: every token of its version, this one included.

    Tokens are checked by version on every request (`user_for_token`, and in SQL by
    next-call and the outcome's usual case), so bumping it revokes at no cost to them.
    """
    await session.execute(
        update(User)
        .where(User.id == claims.user_id, User.token_version == claims.token_version)
        .values(token_version=User.token_version + 1)
    )


async def deactivate_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    """Deactivate a user and revoke every token it holds."""
    return await change_user(
        session, user_id, UserChange(active=False, given=frozenset({"active"}))
    )


@dataclass(frozen=True)
class UserChange:
    """What an admin may change about a user; None leaves a part as it is."""

    name: str | None = None
    desk: Desk | None = None
    capacity: int | None = None
    hourly_rate: Decimal | None = None
    active: bool | None = None
    # Which of the parts were given: a part given as null clears it.
    given: frozenset[str] = frozenset()


async def get_user(session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False) -> User:
    """The user, or NotFound."""
    user = await session.get(User, user_id, with_for_update=lock)
    if user is None:
        raise NotFound("There is no such user.")
    return user


async def list_users(
    session: AsyncSession, role: Role | None, active: bool | None, limit: int, offset: int
) -> tuple[list[User], int]:
    """Users by role and name, with how many match the filters."""
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    page = query.order_by(User.role, User.name, User.login).limit(limit).offset(offset)
    return list(await session.scalars(page)), int(total or 0)


async def change_user(session: AsyncSession, user_id: uuid.UUID, change: UserChange) -> User:
    """Apply an admin's change; deactivation revokes every token the user holds."""
    user = await get_user(session, user_id, lock=True)
    desk = change.desk if "desk" in change.given else user.desk
    if user.role is Role.MANAGER and desk is None:
        raise InvalidInput("A manager needs a desk.", fields=[{"loc": ["desk"], "msg": "required"}])
    if user.role is not Role.MANAGER and desk is not None:
        raise InvalidInput(
            "Only managers have a desk.", fields=[{"loc": ["desk"], "msg": "managers only"}]
        )
    if "name" in change.given:
        if not change.name:
            raise InvalidInput(
                "The name cannot be empty.", fields=[{"loc": ["name"], "msg": "required"}]
            )
        user.name = change.name
    user.desk = desk
    if "capacity" in change.given:
        user.capacity = change.capacity
    if "hourly_rate" in change.given:
        user.hourly_rate = change.hourly_rate
    if "active" in change.given and change.active is not None and change.active != user.active:
        user.active = change.active
        if not change.active:
            user.token_version += 1
    await session.flush()
    return user


async def set_password(session: AsyncSession, user_id: uuid.UUID, password: str) -> User:
    """A new password; every token the user holds stops working."""
    user = await get_user(session, user_id, lock=True)
    check_password(password, user.login)
    user.password_hash = await _off_the_loop(hash_password, password)
    user.token_version += 1
    await session.flush()
    return user


async def change_own_password(
    session: AsyncSession, user_id: uuid.UUID, current: str, new: str
) -> User:
    """The caller's own new password, given the current one."""
    user = await get_user(session, user_id, lock=True)
    if not await _off_the_loop(_verify, user.password_hash, current):
        raise InvalidInput(
            "The current password is wrong.",
            fields=[{"loc": ["body", "current"], "msg": "wrong password"}],
        )
    check_password(new, user.login, loc=["body", "new"])
    return await set_password(session, user_id, new)


def _b64(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue_token(secret: str, user: User, expires_at: datetime) -> str:
    """A signed bearer token naming the user, its token version and expiry."""
    payload = f"{user.id}.{user.token_version}.{int(expires_at.timestamp())}"
    return f"{_b64(payload.encode())}.{_sign(secret, payload)}"


@dataclass(frozen=True)
class TokenClaims:
    """What a bearer token with a good signature says: whose it is, of which version."""

    user_id: uuid.UUID
    token_version: int
    # When it expires, in seconds since the epoch (what the token itself says).
    expires: int = 0


def read_token(secret: str, token: str, now: datetime) -> TokenClaims:
    """The claims of a token signed with `secret` and not expired, or Unauthenticated."""
    try:
        encoded, signature = token.split(".", 1)
        payload = _unb64(encoded).decode()
        user_id, version, expiry = payload.split(".")
        parsed_id, parsed_version, parsed_expiry = uuid.UUID(user_id), int(version), int(expiry)
    except (ValueError, UnicodeDecodeError) as error:
        raise Unauthenticated() from error
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise Unauthenticated()
    if parsed_expiry < now.timestamp():
        raise Unauthenticated("The token has expired: log in again.")
    return TokenClaims(parsed_id, parsed_version, parsed_expiry)


_users = cast(Table, User.__table__)
_USER_BY_ID = select(_users).where(_users.c.id == bindparam("user_id"))


async def active_operators(session: AsyncSession) -> int:
    """How many operators are active: the floor's size."""
    active = select(func.count()).where(_users.c.role == Role.OPERATOR, _users.c.active.is_(True))
    return await session.scalar(active) or 0


_STAFF_TOKENS = select(_users.c.id, _users.c.token_version).where(
    _users.c.active.is_(True), _users.c.role.in_(STAFF_ROLES)
)


async def staff_tokens(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Every active supervisor and admin, with the version its working tokens carry."""
    return dict((await session.execute(_STAFF_TOKENS)).all())


async def user_for_token(session: AsyncSession, claims: TokenClaims) -> User:
    """The active user the claims name, or Unauthenticated once the token is revoked.

    Every authenticated request starts here, so the row is read in Core and the user is
    built outside the session (loading it through the ORM cost more than the query): it
    is the caller as of this request, to read, never to change.
    """
    connection = await session.connection()
    row = (await connection.execute(_USER_BY_ID, {"user_id": claims.user_id})).first()
    if row is None or not row.active or row.token_version != claims.token_version:
        raise Unauthenticated("The token was revoked: log in again.")
    return User(**row._mapping)


async def usual_user(driver: Any, claims: TokenClaims) -> User | None:
    """`user_for_token` on the driver's own connection (PostgreSQL), for a usual case with
    no session: the same user, or None where it would refuse (the full route then does)."""
    statement, _ = driver_statement(_USER_BY_ID)
    row = await driver.fetchrow(statement, claims.user_id)
    if row is None or not row["active"] or row["token_version"] != claims.token_version:
        return None
    desk = row["desk"]
    return User(**{**row, "role": Role(row["role"]), "desk": desk and Desk(desk)})
