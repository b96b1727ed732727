"""Hook tokens: a per-operator secret in a URL that may post call events and nothing else.

Only a keyed hash is stored, so a copy of the database cannot post events. The
token is random (256 bits) and is looked up by its hash; every token, well-formed
or not, costs one HMAC and one indexed lookup, so timing tells nothing apart.
"""

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.errors import NotFound, Unauthenticated
from dialer.base.models import Role, User

TOKEN_BYTES = 32
# Longer input is refused before hashing; a real token is 43 characters.
MAX_TOKEN_LENGTH = 128


def hook_token_hash(secret_key: str, token: str) -> str:
    """The keyed hash stored for a hook token."""
    return hmac.new(
        secret_key.encode(), b"hook-token:" + token.encode(), hashlib.sha256
    ).hexdigest()


async def _operator(session: AsyncSession, operator_id: uuid.UUID) -> User:
    user = await session.get(User, operator_id)
    if user is None or user.role is not Role.OPERATOR:
        raise NotFound("There is no such operator.")
    return user


async def issue_hook_token(session: AsyncSession, secret_key: str, operator_id: uuid.UUID) -> str:
    """A new hook token for the operator, replacing any earlier one; shown only now."""
    user = await _operator(session, operator_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    user.hook_token_hash = hook_token_hash(secret_key, token)
    await session.flush()
    return token


async def revoke_hook_token(session: AsyncSession, operator_id: uuid.UUID) -> None:
    """Forget the operator's hook token: its URLs stop working at once."""
    user = await _operator(session, operator_id)
    user.hook_token_hash = None
    await session.flush()


async def has_hook_token(session: AsyncSession, operator_id: uuid.UUID) -> bool:
    """Whether the operator has a hook token now."""
    return (await _operator(session, operator_id)).hook_token_hash is not None


async def operator_for_hook_token(session: AsyncSession, secret_key: str, token: str) -> User:
    """The active operator a hook token belongs to, or Unauthenticated — the same for any miss."""
    digest = hook_token_hash(secret_key, token[:MAX_TOKEN_LENGTH])
    user = await session.scalar(select(User).where(User.hook_token_hash == digest))
    # Compared again in constant time: the index lookup alone is not meant to be the check.
    if (
        user is None
        or len(token) > MAX_TOKEN_LENGTH
        or not hmac.compare_digest(user.hook_token_hash or "", digest)
        or not user.active
        or user.role is not Role.OPERATOR
    ):
        raise Unauthenticated("The hook token is not valid.")
    return user
