"""Alembic environment: the only path by which the schema changes."""

from alembic import context
from sqlalchemy import create_engine, event

from dialer.base.db import configure_sqlite, is_sqlite, sync_url
from dialer.base.models import Base
from dialer.base.settings import Settings

config = context.config
url = config.get_main_option("cascade.url") or Settings().database_url


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=is_sqlite(url),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(sync_url(url))
    if is_sqlite(url):
        event.listen(engine, "connect", lambda conn, _record: configure_sqlite(conn))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


run_migrations_online()
