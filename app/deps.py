"""Request dependencies: the session (committed at the edge), the clock, the caller."""

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.errors import Forbidden, Unauthenticated
from dialer.base.models import STAFF_ROLES, Role, User
from dialer.base.recording_store import RecordingStore
from dialer.base.settings import Settings
from dialer.base.users import TokenClaims, read_token, user_for_token
from dialer.queue.why import standing
from dialer.reports.campaigns import CountStats, campaign_stats
from dialer.reports.floor import CountStandings
from dialer.sales.policy import Policy

# The bearer credentials of a request, or None; next-call's usual case reads them too.
bearer_credentials = HTTPBearer(auto_error=False)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


async def get_store(request: Request) -> RecordingStore:
    store: RecordingStore = request.app.state.recording_store
    return store


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler succeeds, else rolled back."""
    async with get_sessionmaker(request)() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


def get_clock(request: Request) -> Callable[[], datetime]:
    """The app's clock: the wall clock, or the one a test sets on `app.state.clock`."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


async def get_now(request: Request) -> datetime:
    """The request's instant: the edge is where the clock is read."""
    return get_clock(request)()


# scope="function": the commit runs when the handler returns, before the answer
# is sent. With the default scope it would run after, and a failed commit could
# follow a 200 the client already has: an acknowledged outcome lost.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Now = Annotated[datetime, Depends(get_now)]
AppSettings = Annotated[Settings, Depends(get_settings)]
ManagersPolicy = Annotated[Policy, Depends(get_policy)]
Store = Annotated[RecordingStore, Depends(get_store)]
Maker = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]


async def bearer_token(
    request: Request,
    settings: AppSettings,
    now: Now,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_credentials)],
) -> TokenClaims:
    """The claims of the request's bearer token, checked for signature and expiry only."""
    if credentials is None:
        raise Unauthenticated()
    claims = read_token(settings.secret_key, credentials.credentials, now)
    mark_seen(request, claims)
    return claims


def mark_seen(request: Request, claims: TokenClaims) -> None:
    """A request is a sign of life of its caller (the floor's `offline` counts on it)."""
    hub = getattr(request.app.state, "hub", None)
    if hub is not None:
        hub.seen(claims.user_id)


Token = Annotated[TokenClaims, Depends(bearer_token)]


def get_sightings(request: Request, _caller: Token) -> dict[uuid.UUID, datetime]:
    """This process's sightings of operators not yet written (see `app.live.Hub`), the
    caller's own request included."""
    hub = getattr(request.app.state, "hub", None)
    return {} if hub is None else hub.sightings()


Sightings = Annotated[dict[uuid.UUID, datetime], Depends(get_sightings)]


async def current_user(session: Session, token: Token) -> User:
    """The active user of the bearer token."""
    return await user_for_token(session, token)


CurrentUser = Annotated[User, Depends(current_user)]


def allowed(user: User, *roles: Role) -> User:
    """The user, if its role is one of `roles`; else Forbidden."""
    if user.role not in roles:
        raise Forbidden()
    return user


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, User]]:
    """A dependency that lets only the given roles through."""

    async def dependency(user: CurrentUser) -> User:
        return allowed(user, *roles)

    return dependency


Admin = Annotated[User, Depends(require(Role.ADMIN))]
Staff = Annotated[User, Depends(require(*STAFF_ROLES))]
Operator = Annotated[User, Depends(require(Role.OPERATOR))]
MANAGER_ROLES = (Role.MANAGER, Role.SUPERVISOR, Role.ADMIN)
Manager = Annotated[User, Depends(require(*MANAGER_ROLES))]


def checked_before_body(*roles: Role) -> type[APIRoute]:
    """A route class that refuses a caller without a token of these roles before reading
    the body: FastAPI reads a form before it solves any dependency, so an anonymous
    upload of hundreds of megabytes was read whole to be answered 401."""

    class CheckedBeforeBody(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            full = super().get_route_handler()

            async def handler(request: Request) -> Response:
                await _caller_of_role(request, roles)
                return await full(request)

            return handler

    return CheckedBeforeBody


async def _caller_of_role(request: Request, roles: tuple[Role, ...]) -> None:
    credentials = await bearer_credentials(request)
    if credentials is None:
        raise Unauthenticated()
    settings = await get_settings(request)
    claims = read_token(settings.secret_key, credentials.credentials, get_clock(request)())
    async with get_sessionmaker(request)() as session:
        allowed(await user_for_token(session, claims), *roles)


def get_counts(request: Request) -> CountStandings:
    """The queue's standings as this process shares them (`app.counts`)."""
    hub = getattr(request.app.state, "hub", None)
    return standing if hub is None else hub.counts.standings


Counts = Annotated[CountStandings, Depends(get_counts)]


def get_stats_count(request: Request) -> CountStats:
    """A campaign's stats as this process shares them (`app.counts`)."""
    hub = getattr(request.app.state, "hub", None)
    return campaign_stats if hub is None else hub.counts.campaign_stats


StatsCount = Annotated[CountStats, Depends(get_stats_count)]
