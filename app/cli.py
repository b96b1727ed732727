"""The `cascade` command line: serve, migrate, create users, seed a demo, import."""

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.progress import ProgressBar, report_lines
from dialer import schema
from dialer.clock import utcnow
from dialer.db import create_engine, create_sessionmaker
from dialer.errors import DomainError
from dialer.import_files import inspect_file
from dialer.import_run import ImportJob
from dialer.models import Desk, Role
from dialer.settings import Settings
from dialer.users import NewUser, create_user


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

    schema.upgrade(settings.database_url)
    configure_logging()
    uvicorn.run(
        create_app(settings), host=args.host, port=args.port, log_config=None, access_log=False
    )
    return 0


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    schema.upgrade(settings.database_url)
    print(f"database at {schema.current_revision(settings.database_url)}")
    return 0


def cmd_users_create(args: argparse.Namespace, settings: Settings) -> int:
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
    return code


if __name__ == "__main__":
    sys.exit(main())
