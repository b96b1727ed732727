"""`cascade users create` on a database that was never migrated says what to run first."""

from pathlib import Path

import pytest

from app import cli
from dialer.base import schema

CREATE = ["users", "create", "--login", "first-admin", "--password", "Lantern-Orbit-71"]


def test_a_never_migrated_database_is_named_with_the_command_to_run(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    schema.downgrade(database_url, "base")
    monkeypatch.setenv("CASCADE_DATABASE_URL", database_url)
    assert cli.main([*CREATE, "--role", "admin"]) == 2
    said = capsys.readouterr().err
    assert "has no tables yet: run `cascade db upgrade` first." in said
    assert "Error" not in said
    assert "SELECT" not in said
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main([*CREATE, "--role", "admin"]) == 0
    assert "created admin first-admin" in capsys.readouterr().out


def test_a_missing_sqlite_file_is_not_made_by_a_user_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASCADE_DATABASE_URL", f"sqlite:///{tmp_path / 'typo.db'}")
    assert cli.main([*CREATE, "--role", "admin"]) == 2
    assert "cascade db upgrade" in capsys.readouterr().err
    assert not (tmp_path / "typo.db").exists()
