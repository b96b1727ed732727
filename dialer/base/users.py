"""Users, passwords, tokens and the login lock."""

import hashlib
import hmac
import uuid
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import InvalidInput, LoginLocked, LoginTaken, NotFound, Unauthenticated
from dialer.base.models import Desk, Role, User

MAX_FAILED_LOGINS = 10
LOCK_DURATION = timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the login does not exist, so that a wrong login costs
# the same Argon2 work as a wrong password and timing reveals nothing.
_DUMMY_HASH = _hasher.hash("cascade-dummy-password")


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
    if len(new.password) < 8:
        raise InvalidInput(
            "The password needs at least 8 characters.",
            fields=[{"loc": ["password"], "msg": "at least 8 characters"}],
        )


async def create_user(session: AsyncSession, new: NewUser, now: datetime) -> User:
    """Add a user; the login must be free."""
    validate_new_user(new)
    taken = await session.scalar(select(User.id).where(User.login == new.login))
    if taken is not None:
        raise LoginTaken()
    user = User(
        login=new.login,
        password_hash=hash_password(new.password),
        name=new.name,
        role=new.role,
        desk=new.desk,
        capacity=new.capacity,
        hourly_rate=new.hourly_rate,
        active=True,
        token_version=0,
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, login: str, password: str, now: datetime) -> User:
    """The user for a login and password, counting failures toward the lock."""
    user = await session.scalar(select(User).where(User.login == login))
    if user is None:
        _verify(_DUMMY_HASH, password)
        raise Unauthenticated("Wrong login or password.")
    if user.locked_until is not None and user.locked_until > now:
        _verify(_DUMMY_HASH, password)
        raise LoginLocked()
    if not _verify(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins = 0
            user.locked_until = now + LOCK_DURATION
        raise Unauthenticated("Wrong login or password.")
    user.failed_logins = 0
    user.locked_until = None
    return user


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
    if len(password) < 8:
        raise InvalidInput(
            "The password needs at least 8 characters.",
            fields=[{"loc": ["password"], "msg": "at least 8 characters"}],
        )
    user = await get_user(session, user_id, lock=True)
    user.password_hash = hash_password(password)
    user.token_version += 1
    user.failed_logins = 0
    user.locked_until = None
    await session.flush()
    return user


async def change_own_password(
    session: AsyncSession, user_id: uuid.UUID, current: str, new: str
) -> User:
    """The caller's own new password, given the current one."""
    user = await get_user(session, user_id, lock=True)
    if not _verify(user.password_hash, current):
        raise InvalidInput(
            "The current password is wrong.",
            fields=[{"loc": ["body", "current"], "msg": "wrong password"}],
        )
    if len(new) < 8:
        raise InvalidInput(
            "The password needs at least 8 characters.",
            fields=[{"loc": ["body", "new"], "msg": "at least 8 characters"}],
        )
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
    return TokenClaims(parsed_id, parsed_version)


_users = cast(Table, User.__table__)
_USER_BY_ID = select(_users).where(_users.c.id == bindparam("user_id"))


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
