"""Time at the edges: the only place the core may read the wall clock."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def require_aware(value: datetime) -> datetime:
    """Refuse naive datetimes; return the instant in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time without an offset is ambiguous: add one")
    return value.astimezone(UTC)
