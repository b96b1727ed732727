"""Logging in and out: the OAuth2 password form gives a bearer token; logout revokes it."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from app.addresses import client_address
from app.deps import AppSettings, CurrentUser, Now, Session
from app.deps import Token as Claims
from app.schemas import Text
from dialer.base.errors import TooManyRequests, Unauthenticated
from dialer.base.throttle import LoginThrottle
from dialer.base.users import authenticate, issue_token, log_out

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post("/auth/token")
async def login(
    request: Request,
    session: Session,
    settings: AppSettings,
    now: Now,
    username: Annotated[Text, Form(max_length=64)],
    password: Annotated[Text, Form(max_length=256)],
) -> Token:
    """Exchange a login and password for a bearer token; 429 while the pair must wait."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request)
    if (wait := throttle.retry_after(username, address, now)) is not None:
        raise TooManyRequests(
            f"Too many failed logins from here: try again in {wait} s.", retry_after=wait
        )
    try:
        user = await authenticate(session, username, password)
    except Unauthenticated:
        throttle.failed(username, address, now)
        raise
    throttle.succeeded(username, address)
    expires_at = now + timedelta(hours=settings.token_ttl_hours)
    return Token(
        access_token=issue_token(settings.secret_key, user, expires_at), expires_at=expires_at
    )


@router.post("/auth/logout", status_code=204)
async def logout(session: Session, token: Claims, _user: CurrentUser) -> Response:
    """Revoke the token used: it, and every other token of its user, stop working now."""
    await log_out(session, token)
    return Response(status_code=204)
