"""Configuration read from the environment (`CASCADE_*`)."""

import ipaddress
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SchedulerMode(StrEnum):
    EMBEDDED = "embedded"
    OFF = "off"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(text: str) -> tuple[Network, ...]:
    """The networks of `CASCADE_TRUSTED_PROXIES`: addresses or CIDR blocks, comma separated."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


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
    # Empty: an embedded database on this machine makes its own (`dialer.base.keys`).
    secret_key: str = ""
    language: str = "ru"
    token_ttl_hours: int = 12
    # PostgreSQL connections per app process (half as many again under bursts); unset,
    # `dialer.base.db.DEFAULT_POOL_SIZE`, which fits four instances in PostgreSQL's default 100.
    db_pool_size: int | None = Field(default=None, ge=1, le=500)
    # How many of those connections next-call's usual case takes at once; the asks that
    # come while all are busy are claimed together in the next statement (`dialer.queue.lanes`).
    claim_lanes: int = Field(default=2, ge=1, le=500)
    # The managers' side of the floor: saturation marks in percent of MPK
    # capacity, when a questionnaire is overdue, and the cascade's thresholds.
    saturation_high_percent: int = Field(default=100, ge=1, le=1000)
    saturation_low_percent: int = Field(default=80, ge=0, le=1000)
    closing_rate_hours: int = Field(default=24, ge=1, le=24 * 30)
    overdue_hours: int = Field(default=24, ge=1, le=24 * 365)
    plan_volume: Decimal = Field(default=Decimal("300000"), gt=0)
    plan_period_days: int = Field(default=90, ge=1, le=3660)
    strategic_threshold: Decimal = Field(default=Decimal("3000000"), gt=0)
    # Whether an operator's own break counts as paid time on the timesheet (pauses a
    # supervisor or saturation imposes always do).
    self_pause_paid: bool = False
    # Where operators' softphones reach the service (`https://cascade.example`): the hook
    # URLs are built on it. Unset, only a request made on this machine may stand for it.
    public_url: str = ""
    # Load balancers or proxies whose X-Forwarded-For is believed; nobody's when unset.
    trusted_proxies: str = ""

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query):
            raise ValueError("CASCADE_PUBLIC_URL must be an http(s) address, e.g. https://host")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        proxy_networks(value)
        return value

    @model_validator(mode="after")
    def _low_below_high(self) -> "Settings":
        if self.saturation_low_percent >= self.saturation_high_percent:
            raise ValueError("the low saturation mark must be below the high one")
        return self
