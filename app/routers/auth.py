"""Logging in: the OAuth2 password form gives a bearer token."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form
from pydantic import BaseModel

from app.deps import AppSettings, Now, Session
from app.schemas import Text
from dialer.base.errors import Unauthenticated
from dialer.base.users import authenticate, issue_token

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post("/auth/token")
async def login(
    session: Session,
    settings: AppSettings,
    now: Now,
    username: Annotated[Text, Form(max_length=64)],
    password: Annotated[Text, Form(max_length=256)],
) -> Token:
    """Exchange a login and password for a bearer token."""
    try:
        user = await authenticate(session, username, password, now)
    except Unauthenticated:
        # The failure count must survive the refusal.
        await session.commit()
        raise
    expires_at = now + timedelta(hours=settings.token_ttl_hours)
    return Token(
        access_token=issue_token(settings.secret_key, user, expires_at), expires_at=expires_at
    )
