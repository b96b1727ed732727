"""Interval arithmetic for timesheets, at fixed instants."""

from datetime import UTC, datetime, timedelta

from dialer.base.intervals import clip, intersect, length, normalize, subtract


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 30, hour, minute, tzinfo=UTC)


def test_overlapping_and_touching_intervals_merge() -> None:
    merged = normalize([(at(11), at(12)), (at(10), at(11)), (at(11, 30), at(13)), (at(9), at(9))])
    assert merged == [(at(10), at(13))]


def test_intersection_and_difference() -> None:
    worked = [(at(10), at(12)), (at(13), at(14))]
    paused = [(at(11), at(13, 30))]
    assert intersect(worked, paused) == [(at(11), at(12)), (at(13), at(13, 30))]
    assert subtract(worked, paused) == [(at(10), at(11)), (at(13, 30), at(14))]
    assert length(worked) == timedelta(hours=3)


def test_clip_to_bounds() -> None:
    assert clip([(at(9), at(15))], at(10), at(14)) == [(at(10), at(14))]
    assert clip([(at(15), at(16))], at(10), at(14)) == []
