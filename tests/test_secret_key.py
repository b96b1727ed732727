"""The secret key: made for the embedded database, refused when weak where others can reach."""

import os
import shutil
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from dialer.base.clock import utcnow
from dialer.base.keys import KNOWN_KEYS, SecretKeyRefused, key_file, secret_key_for
from dialer.base.models import Role, User
from dialer.base.settings import SchedulerMode, Settings
from dialer.base.users import issue_token
from tests.builders import TEST_SECRET, actor, campaign, contact
from tests.databases import postgres_server_url

ROOT = Path(__file__).resolve().parents[1]
OLD_DEVELOPMENT_KEY = "change-me-in-production"


def _cascade(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_an_embedded_database_gets_a_key_of_its_own_kept_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'floor.db'}"
    first = secret_key_for("", url, "127.0.0.1")
    path = key_file(url)
    assert path == tmp_path / "floor.db.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert first not in KNOWN_KEYS
    assert secret_key_for("", url, "localhost") == first
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert secret_key_for("", other, None) != first


@pytest.mark.parametrize("key", ["", "change-me", OLD_DEVELOPMENT_KEY, "short-key", "a" * 40])
@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("postgresql://cascade@db.example:5432/cascade", "127.0.0.1"),
        ("postgresql://cascade@db.example:5432/cascade", None),
        ("sqlite:///var/cascade.db", "0.0.0.0"),
        ("sqlite:///var/cascade.db", "192.0.2.10"),
    ],
)
def test_a_weak_key_is_refused_where_others_can_reach(key: str, url: str, host: str | None) -> None:
    with pytest.raises(SecretKeyRefused, match="CASCADE_SECRET_KEY"):
        secret_key_for(key, url, host)


def test_a_strong_key_is_kept_as_given() -> None:
    assert secret_key_for(TEST_SECRET, "postgresql://c@db.example/c", "0.0.0.0") == TEST_SECRET


async def test_a_token_forged_with_the_old_development_key_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "cascade.db"
    shutil.copyfile(_migrated_sqlite(tmp_path), database)
    settings = Settings(database_url=f"sqlite:///{database}", scheduler=SchedulerMode.OFF)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            admin = await actor(client, app.state.sessionmaker, Role.ADMIN)
            assert (await client.get("/api/v1/me", headers=admin.headers)).status_code == 200
            forged = issue_token(
                OLD_DEVELOPMENT_KEY,
                User(id=admin.id, token_version=0),
                utcnow() + timedelta(hours=1),
            )
            answer = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert app.state.settings.secret_key == (database.parent / "cascade.db.key").read_text().strip()


def _migrated_sqlite(tmp_path: Path) -> Path:
    from dialer.base import schema

    path = tmp_path / "migrated.db"
    schema.upgrade(f"sqlite:///{path}")
    return path


def test_serve_on_an_open_host_without_a_key_refuses_with_a_sentence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cascade.db'}"
    done = _cascade("serve", "--host", "0.0.0.0", env={"CASCADE_DATABASE_URL": url})
    assert done.returncode == 2
    assert "CASCADE_SECRET_KEY is not set" in done.stderr
    assert "0.0.0.0" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cascade.db.key").exists()


def test_serve_on_postgresql_with_the_old_default_refuses() -> None:
    server = postgres_server_url() or "postgresql://postgres@127.0.0.1:5432/postgres"
    done = _cascade(
        "serve",
        env={"CASCADE_DATABASE_URL": server, "CASCADE_SECRET_KEY": OLD_DEVELOPMENT_KEY},
    )
    assert done.returncode == 2
    assert "known example value" in done.stderr
    assert "Traceback" not in done.stderr


def test_compose_file_has_no_default_key() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    checked = subprocess.run(
        ["docker-compose", "config", "-q"], cwd=ROOT, env=environment, capture_output=True
    )
    assert checked.returncode == 0, checked.stderr
    rendered = subprocess.run(
        ["docker-compose", "config"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    services = yaml.safe_load(rendered.stdout)["services"]
    for name in ("app", "scheduler"):
        assert services[name]["environment"]["CASCADE_SECRET_KEY"] in ("", None)


async def test_a_database_hashed_with_another_key_refuses_to_start(
    settings: Settings, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    staff = await actor(client, sessionmaker, Role.SUPERVISOR)
    await contact(sessionmaker, (await campaign(client, staff))["id"], "+74951234567")
    other = create_app(settings.model_copy(update={"secret_key": "x" + TEST_SECRET[1:]}))
    with pytest.raises(SecretKeyRefused, match="hashed with another CASCADE_SECRET_KEY"):
        async with other.router.lifespan_context(other):
            pass
    same = create_app(settings)
    async with same.router.lifespan_context(same):
        assert same.state.settings.secret_key == TEST_SECRET
