"""The migrations are the schema: they agree with the models and run both ways."""

import uuid

import pytest
from sqlalchemy import Uuid, bindparam, create_engine, text

from dialer.base import schema
from dialer.base.db import sync_url

BEFORE_LOGIN_RULES = "harden_input_callback_max_days"


def test_models_and_migrations_agree(database_url: str) -> None:
    schema.check(database_url)


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    schema.downgrade(database_url, "base")
    assert schema.current_revision(database_url) is None
    schema.upgrade(database_url)
    assert schema.current_revision(database_url) == schema.head_revision()
    schema.check(database_url)


def test_logins_differing_in_case_stop_the_upgrade_naming_them(database_url: str) -> None:
    schema.downgrade(database_url, BEFORE_LOGIN_RULES)
    engine = create_engine(sync_url(database_url))
    ids = {login: uuid.uuid4() for login in ("admin", "ADMIN", "Admin", "anna")}
    with engine.begin() as connection:
        for login, user_id in ids.items():
            connection.execute(
                text(
                    "INSERT INTO user_account (id, login, password_hash, name, role, active,"
                    " token_version, failed_logins, created_at) VALUES (:id, :login, '!',"
                    " :login, 'admin', true, 0, 0, CURRENT_TIMESTAMP)"
                ).bindparams(bindparam("id", type_=Uuid())),
                {"id": user_id, "login": login},
            )
    with pytest.raises(RuntimeError, match="taken more than once: admin. Rename"):
        schema.upgrade(database_url)
    assert schema.current_revision(database_url) == BEFORE_LOGIN_RULES
    with engine.begin() as connection:
        for number, login in enumerate(("ADMIN", "Admin"), start=2):
            connection.execute(
                text("UPDATE user_account SET login = :new WHERE id = :id").bindparams(
                    bindparam("id", type_=Uuid())
                ),
                {"new": f"admin-{number}", "id": ids[login]},
            )
    schema.upgrade(database_url)
    with engine.connect() as connection:
        logins = connection.scalars(text("SELECT login FROM user_account ORDER BY login"))
        assert list(logins) == ["admin", "admin-2", "admin-3", "anna"]
    engine.dispose()
