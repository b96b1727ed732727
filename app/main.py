"""The FastAPI application: engine and scheduler built in lifespan, routers mounted."""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.background import running_imports
from app.collector import settle_collector
from app.errors import install_error_handlers
from app.live import ChangeMiddleware, Hub
from app.observability import RequestMiddleware
from app.pages.router import install_pages
from app.routers import (
    accounts,
    attendance,
    audit,
    auth,
    breaks,
    campaigns,
    contacts,
    dialer,
    dnc,
    floor,
    funnel,
    health,
    imports,
    leases,
    live,
    plan,
    qc,
    questionnaires,
    recordings,
    reports,
    shifts,
    softphone,
    users,
)
from dialer.base import schema
from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker, is_sqlite
from dialer.base.keys import OTHER_KEY, SecretKeyRefused, with_secret_key
from dialer.base.recording_store import bind_store, store_from
from dialer.base.settings import SchedulerMode, Settings, proxy_networks
from dialer.base.throttle import LoginThrottle
from dialer.contacts.dnc import hashed_with
from dialer.queue.catalog import Catalog
from dialer.queue.lanes import ClaimLanes
from dialer.sales.policy import bind_policy, policy_from
from scheduler.service import CascadeScheduler

API = "/api/v1"
# Seconds a thread holds the interpreter while another waits for it (see `lifespan`).
SWITCH_INTERVAL = 0.0005


def pool_options(settings: Settings) -> dict[str, int]:
    """The engine's pool bounds when set; SQLite keeps its single connection."""
    size = settings.db_pool_size
    if size is None or is_sqlite(settings.database_url):
        return {}
    return {"pool_size": size, "max_overflow": 0}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, configured from the environment unless settings are given."""
    settings = with_secret_key(settings or Settings(), host=None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, **pool_options(settings))
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        bind_policy(app.state.sessionmaker, app.state.policy)
        async with app.state.sessionmaker() as session:
            if not await hashed_with(session, settings.secret_key):
                await engine.dispose()
                raise SecretKeyRefused(OTHER_KEY)
        app.state.recording_store = store_from(settings)
        bind_store(app.state.sessionmaker, app.state.recording_store)
        softphone.redact_hook_tokens_in_access_log()
        app.state.catalog = Catalog()
        app.state.lanes = ClaimLanes(engine, settings.claim_lanes)
        app.state.hub = Hub(
            app.state.sessionmaker, settings.database_url, lambda: app.state.clock()
        )
        await app.state.hub.start()
        # One scheduler per app process, not per uvicorn worker: with several workers or
        # instances run them with CASCADE_SCHEDULER=off and one `python -m scheduler` beside.
        clock = None
        if settings.scheduler is SchedulerMode.EMBEDDED:
            clock = CascadeScheduler(
                engine,
                settings.database_url,
                policy=app.state.policy,
                store=app.state.recording_store,
            )
            await clock.start()
        # Everything built so far (modules, the app, the engine) lives as long as the
        # process: out of the collector's full passes (`app.collector`).
        settle_collector()
        # A large floor's snapshot is made in a worker thread (`off_the_loop`), or read
        # from its own process in one (`app.apart`), and the loop waits up to the switch
        # interval for the interpreter each time it wakes meanwhile:
        # at the default 5 ms that made the requests slower than the stall it removed (2,000
        # operators: p99 54 ms against 48 on the loop); at 0.5 ms, 46 (3,000: 67 against 75).
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            async with running_imports(app):
                yield
        finally:
            if clock is not None:
                await clock.stop()
            await app.state.hub.stop()
            await app.state.lanes.close()
            await engine.dispose()

    app = FastAPI(title="Cascade", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = utcnow
    # Off, every request takes its full route (`app.routers.usual`): the tests race the two.
    app.state.usual_cases = True
    app.state.schema_head = schema.head_revision()
    app.state.policy = policy_from(settings)
    app.add_middleware(ChangeMiddleware)
    app.add_middleware(RequestMiddleware)
    app.state.hook_limits = softphone.HookLimits()
    app.state.login_throttle = LoginThrottle()
    app.state.trusted_proxies = proxy_networks(settings.trusted_proxies)
    install_error_handlers(app)
    # Routes are matched in order: the floor's hot paths (next call, outcome, call
    # events, the consoles' streams, the managers' questionnaires) come first, so they
    # are found without trying every other router (at 3,000 operators logging in, matching
    # a stream's route took a seventh of opening it).
    for router in (
        dialer.router,
        leases.outcome_router,
        leases.heartbeat_router,
        leases.router,
        softphone.events_router,
        softphone.router,
        live.me_router,
        live.router,
        questionnaires.list_router,
        questionnaires.status_router,
        questionnaires.router,
        auth.router,
        users.router,
        campaigns.router,
        dnc.router,
        imports.router,
        accounts.router,
        funnel.router,
        plan.router,
        shifts.router,
        attendance.router,
        floor.router,
        breaks.router,
        reports.router,
        contacts.router,
        audit.router,
        recordings.router,
        qc.router,
    ):
        app.include_router(router, prefix=API)
    app.include_router(health.router)
    app.include_router(softphone.hooks)
    app.include_router(recordings.hooks)
    install_pages(app)
    return app
