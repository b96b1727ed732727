"""Configuration read from the environment (`CASCADE_*`)."""

from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SchedulerMode(StrEnum):
    EMBEDDED = "embedded"
    OFF = "off"


def default_database_url() -> str:
    """An SQLite file under ./var/, the embedded default."""
    return f"sqlite:///{Path('var') / 'cascade.db'}"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CASCADE_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    scheduler: SchedulerMode = SchedulerMode.EMBEDDED
    default_region: str = "RU"
    sip_domain: str | None = None
    secret_key: str = "change-me-in-production"
    language: str = "ru"
    token_ttl_hours: int = 12
