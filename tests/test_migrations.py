"""The migrations are the schema: they agree with the models and run both ways."""

from dialer.base import schema


def test_models_and_migrations_agree(database_url: str) -> None:
    schema.check(database_url)


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    schema.downgrade(database_url, "base")
    assert schema.current_revision(database_url) is None
    schema.upgrade(database_url)
    assert schema.current_revision(database_url) == schema.head_revision()
    schema.check(database_url)
