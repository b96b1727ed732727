"""The `cascade` command line: serve, migrate, create users, seed a demo, import, softphone."""

import argparse
import asyncio
import getpass
import os
import sys
import uuid
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.progress import ProgressBar, report_lines
from dialer.base import schema
from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker, sqlite_path
from dialer.base.errors import DomainError
from dialer.base.keys import OTHER_KEY, SecretKeyRefused, with_secret_key
from dialer.base.models import Desk, Role
from dialer.base.settings import Settings
from dialer.base.users import NewUser, create_user
from dialer.contacts.dnc import hashed_with
from dialer.contacts.imports.files import inspect_file
from dialer.contacts.imports.run import ImportJob


def run_in_session(
    settings: Settings, work: Callable[[AsyncSession], Coroutine[Any, Any, Any]]
) -> Any:
    """Run work in one committed transaction against the configured database."""

    async def runner() -> Any:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine).begin() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.main import create_app
    from app.observability import configure_logging

    configure_logging()
    settings = with_secret_key(settings, args.host)
    schema.upgrade(settings.database_url)
    if not run_in_session(settings, lambda s: hashed_with(s, settings.secret_key)):
        raise SecretKeyRefused(OTHER_KEY)
    # The client's address is read by the app itself, trusting X-Forwarded-For only
    # from CASCADE_TRUSTED_PROXIES (`app.addresses`): uvicorn's own reading is off.
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
    return 0


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    schema.upgrade(settings.database_url)
    print(f"database at {schema.current_revision(settings.database_url)}")
    return 0


def unmigrated(settings: Settings) -> str | None:
    """What to do first when the database is not at the code's schema, else None."""
    url = settings.database_url
    path = sqlite_path(url)
    revision = None if path is not None and not path.exists() else schema.current_revision(url)
    head = schema.head_revision()
    if revision == head:
        return None
    where = make_url(url).render_as_string(hide_password=True)
    state = "has no tables yet" if revision is None else f"is at revision {revision}, not {head}"
    return f"the database {where} {state}: run `cascade db upgrade` first."


def cmd_users_create(args: argparse.Namespace, settings: Settings) -> int:
    if (first := unmigrated(settings)) is not None:
        print(f"cascade: {first}", file=sys.stderr)
        return 2
    new = NewUser(
        login=args.login,
        password=args.password,
        name=args.name or args.login,
        role=Role(args.role),
        desk=Desk(args.desk) if args.desk else None,
        capacity=args.capacity,
        hourly_rate=Decimal(args.hourly_rate) if args.hourly_rate else None,
    )
    user = run_in_session(settings, lambda s: create_user(s, new, utcnow()))
    print(f"created {user.role.value} {user.login} ({user.id})")
    return 0


def cmd_demo(_args: argparse.Namespace, settings: Settings) -> int:
    settings = with_secret_key(settings, host=None)
    schema.upgrade(settings.database_url)
    logins = run_in_session(settings, lambda s: demo.seed(s, settings, utcnow()))
    if logins is None:
        print("the database already has users: demo not seeded")
        return 0
    print("Demo seeded. Log in at http://127.0.0.1:8000 with:")
    for login, password, role in logins:
        print(f"  {role:<24} {login} / {password}")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"cascade: no such file: {path}", file=sys.stderr)
        return 2
    settings = with_secret_key(settings, host=None)
    if not run_in_session(settings, lambda s: hashed_with(s, settings.secret_key)):
        raise SecretKeyRefused(OTHER_KEY)
    job = ImportJob(
        settings.database_url,
        path,
        inspect_file(path),
        region=settings.default_region,
        key=settings.secret_key,
        clock=utcnow,
    )
    try:
        import_id = job.open(args.campaign, path.name, None)
        print(f"import {import_id} of {path.name}", file=sys.stderr)
        bar = ProgressBar(path.stat().st_size)
        tally = job.run(progress=bar)
        bar.finish()
        status = job.status.value
    finally:
        job.close()
    print("\n".join(report_lines(status, tally)))
    return 0 if status == "done" else 1


def cmd_softphone(args: argparse.Namespace, _settings: Settings) -> int:
    from softphone.api import Credentials, ServiceError
    from softphone.connector import Options, SetupError, run
    from softphone.dispositions import NoAnswerOnTerminal
    from softphone.terminal import Terminal

    password = args.password or os.environ.get("CASCADE_PASSWORD")
    token = args.token or os.environ.get("CASCADE_TOKEN")
    if password is None and token is None:
        if not (args.login and sys.stdin.isatty()):
            print("cascade softphone: give --login and --password, or --token", file=sys.stderr)
            return 2
        password = getpass.getpass(f"password of {args.login}: ")
    if "not_interested" in (args.disposition, args.otherwise) and not args.objection:
        print("cascade softphone: not_interested needs --objection", file=sys.stderr)
        return 2
    host, _, port = args.ctrl_tcp.rpartition(":")
    options = Options(
        service=args.service,
        credentials=Credentials(args.login, password, token),
        ctrl_tcp=(host or "127.0.0.1", int(port)),
        clock_in=args.clock_in,
        dial_uri=args.dial_uri,
        disposition=args.disposition,
        otherwise=args.otherwise,
        objection=args.objection,
        calls=args.calls,
        ring_timeout=args.ring_timeout,
        heartbeat=args.heartbeat,
        retry_seconds=args.retry,
        **({"spool": Path(args.spool)} if args.spool else {}),
    )
    try:
        return asyncio.run(run(options, Terminal()))
    except (ServiceError, SetupError, NoAnswerOnTerminal) as error:
        print(f"cascade softphone: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def softphone_parser(commands: Any) -> None:
    from softphone.dispositions import SCRIPTED, SUGGESTED

    phone = commands.add_parser(
        "softphone",
        help="run beside baresip: dial the next calls, report their events, record outcomes",
    )
    phone.add_argument("--service", default="http://127.0.0.1:8000", help="Cascade's base URL")
    phone.add_argument("--login", help="the operator's login")
    phone.add_argument("--password", help="its password (or CASCADE_PASSWORD; asked if neither)")
    phone.add_argument("--token", help="a bearer token instead (or CASCADE_TOKEN)")
    phone.add_argument("--clock-in", action="store_true", help="clock in to the open shift first")
    phone.add_argument("--ctrl-tcp", default="127.0.0.1:4444", help="baresip's ctrl_tcp_listen")
    phone.add_argument(
        "--dial-uri",
        help="what to dial instead of the lease's sip: link, e.g. 'sip:{number}@pbx.example' "
        "({number} is E.164 with +, {digits} without)",
    )
    phone.add_argument(
        "--disposition",
        choices=[SUGGESTED, *SCRIPTED],
        help="record this outcome without asking; 'suggested' takes the service's suggestion",
    )
    phone.add_argument(
        "--otherwise", choices=SCRIPTED, help="with --disposition suggested: when there is none"
    )
    phone.add_argument("--objection", help="the objection code of a scripted not_interested")
    phone.add_argument("--calls", type=int, help="stop after this many calls")
    phone.add_argument("--ring-timeout", type=float, help="hang up unanswered calls after S s")
    phone.add_argument(
        "--heartbeat", type=float, help="heartbeat every S s (default: a third of the time left)"
    )
    phone.add_argument(
        "--retry", type=float, default=5.0, help="ask again after S s while dialing is refused"
    )
    phone.add_argument("--spool", help="folder of the outbox of undelivered call events")
    phone.set_defaults(run=cmd_softphone)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="cascade", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate and serve the API and the pages")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)

    db = commands.add_parser("db", help="database commands").add_subparsers(required=True)
    db.add_parser("upgrade", help="migrate to head").set_defaults(run=cmd_db_upgrade)

    users = commands.add_parser("users", help="user commands").add_subparsers(required=True)
    create = users.add_parser("create", help="create a user")
    create.add_argument("--login", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--desk", choices=[d.value for d in Desk])
    create.add_argument("--capacity", type=int)
    create.add_argument("--name")
    create.add_argument("--hourly-rate")
    create.set_defaults(run=cmd_users_create)

    commands.add_parser("demo", help="seed a demo into an empty database").set_defaults(
        run=cmd_demo
    )
    imports = commands.add_parser("import", help="import a CSV of contacts into a campaign")
    imports.add_argument("file", help="the CSV file: UTF-8 or Windows-1251, ; or , delimited")
    imports.add_argument("--campaign", required=True, type=uuid.UUID, help="the campaign's id")
    imports.set_defaults(run=cmd_import)
    softphone_parser(commands)
    return main


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cascade` console script."""
    args = parser().parse_args(argv)
    settings = Settings()
    try:
        code: int = args.run(args, settings)
    except DomainError as error:
        print(f"cascade: {error.detail}", file=sys.stderr)
        return 2
    except SecretKeyRefused as error:
        print(f"cascade: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
