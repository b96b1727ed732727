"""The service's secret key: checked when given, made and kept beside an embedded database.

The key signs bearer tokens and keys the hashes of numbers (erased ones included), so a
known key lets anyone forge an admin's token. The embedded default stays one command: an
SQLite database on this machine gets a random key of its own, kept in a file beside it.
A service others can reach, or one on PostgreSQL, must be given a strong key.
"""

import ipaddress
import logging
import os
import secrets
from pathlib import Path

from dialer.base.db import is_sqlite, sqlite_path
from dialer.base.settings import Settings

log = logging.getLogger(__name__)

MIN_KEY_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 8
# Values found in examples, compose files and earlier versions' defaults.
KNOWN_KEYS = frozenset(
    {
        "change-me-in-production",
        "change-me",
        "changeme",
        "change_me",
        "secret",
        "secret-key",
        "secret_key",
        "test-secret-key",
        "development",
        "dev",
        "cascade",
        "password",
    }
)
KEY_FILE_SUFFIX = ".key"
HOW_TO_SET = (
    "Set CASCADE_SECRET_KEY to a random value of at least "
    f"{MIN_KEY_LENGTH} characters (for example the output of "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`) and keep it: "
    "it signs tokens and keys the hashes of erased numbers."
)


class SecretKeyRefused(Exception):
    """The service must not start with this key; the message says why and what to do."""


OTHER_KEY = (
    "Refusing to start: the numbers in this database were hashed with another "
    "CASCADE_SECRET_KEY, so the do-not-call list and duplicates would no longer match. "
    "Start with the key the database was made with. Before this version a service without "
    "CASCADE_SECRET_KEY used 'change-me-in-production', which is still accepted while the "
    "service listens on this machine alone and uses SQLite."
)


def key_weakness(key: str) -> str | None:
    """Why the key is unfit to sign tokens, or None when it is fit."""
    if not key:
        return "CASCADE_SECRET_KEY is not set"
    folded = key.strip().lower()
    if folded in KNOWN_KEYS or "change-me" in folded or "changeme" in folded:
        return "CASCADE_SECRET_KEY is a known example value"
    if len(key) < MIN_KEY_LENGTH:
        return f"CASCADE_SECRET_KEY has {len(key)} characters, fewer than {MIN_KEY_LENGTH}"
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return "CASCADE_SECRET_KEY repeats too few characters to be random"
    return None


def is_loopback(host: str) -> bool:
    """Whether a listening host is reachable from this machine alone."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def key_file(database_url: str) -> Path | None:
    """Where an embedded database keeps its generated key: beside the file; None elsewhere."""
    if not is_sqlite(database_url):
        return None
    database = sqlite_path(database_url)
    return None if database is None else database.with_name(database.name + KEY_FILE_SUFFIX)


def secret_key_for(key: str, database_url: str, host: str | None) -> str:
    """The key to run with: the one given when strong, else the embedded database's own.

    `host` is the address the service listens on, when known. Raises SecretKeyRefused
    on PostgreSQL or a host others can reach when the given key is missing or weak.
    """
    weakness = key_weakness(key)
    if weakness is None:
        return key
    path = key_file(database_url)
    if path is None:
        raise SecretKeyRefused(
            f"Refusing to start: {weakness}, and the database (PostgreSQL) is shared. {HOW_TO_SET}"
        )
    if host is not None and not is_loopback(host):
        raise SecretKeyRefused(
            f"Refusing to start: {weakness}, and the service listens on {host}, "
            f"reachable from other machines. {HOW_TO_SET}"
        )
    if key:
        # This machine alone can reach the service; an earlier database may be hashed
        # with this very key, so it is kept, and said.
        log.warning("%s; acceptable only while the service listens on this machine alone", weakness)
        return key
    return _kept_key(path)


def with_secret_key(settings: Settings, host: str | None) -> Settings:
    """The settings with the key to run with; SecretKeyRefused when there is none fit."""
    key = secret_key_for(settings.secret_key, settings.database_url, host)
    if key == settings.secret_key:
        return settings
    return settings.model_copy(update={"secret_key": key})


def _kept_key(path: Path) -> str:
    """The key kept in `path`, made (random, mode 0600) on first use."""
    if not path.exists():
        _make_key_file(path)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    key = path.read_text().strip()
    if (weakness := key_weakness(key)) is not None:
        raise SecretKeyRefused(f"Refusing to start: the key in {path} is unfit ({weakness}).")
    return key


def _make_key_file(path: Path) -> None:
    # Written whole under a temporary name, then linked: a process starting at the same
    # moment finds either no file or the whole key, never half of one.
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
        file.flush()
        os.fsync(file.fileno())
    try:
        os.link(draft, path)
        log.info("made a secret key for the embedded database in %s", path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
