"""Calling windows at fixed instants: the contact's own local time decides."""

from datetime import UTC, datetime, time

import pytest

from dialer.queue.windows import is_open, local_time, next_opening, open_zones

NINE, EIGHT_PM = time(9, 0), time(20, 0)


def moscow(hour: int, minute: int = 0, day: int = 1) -> datetime:
    """An instant given as Moscow wall-clock time (UTC+3 all year)."""
    return datetime(2026, 12, day, hour - 3, minute, tzinfo=UTC)


def test_at_two_pm_moscow_vladivostok_is_closed_and_kaliningrad_open() -> None:
    now = moscow(14)
    assert not is_open("Asia/Vladivostok", NINE, EIGHT_PM, now)  # 21:00 there
    assert is_open("Europe/Kaliningrad", NINE, EIGHT_PM, now)  # 13:00 there
    zones = ["Asia/Vladivostok", "Europe/Kaliningrad", "Europe/Moscow"]
    assert open_zones(zones, NINE, EIGHT_PM, now) == ["Europe/Kaliningrad", "Europe/Moscow"]


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(8, 59, False), (9, 0, True), (19, 59, True), (20, 0, False)],
)
def test_window_edges_in_local_time(hour: int, minute: int, expected: bool) -> None:
    assert is_open("Europe/Moscow", NINE, EIGHT_PM, moscow(hour, minute)) is expected


def test_daylight_saving_moves_the_window_with_the_clocks() -> None:
    # Berlin springs forward on 29 March 2026: 07:30 UTC is 08:30 the day before
    # (CET, +1) and 09:30 that morning (CEST, +2).
    before = datetime(2026, 3, 28, 7, 30, tzinfo=UTC)
    after = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)
    assert not is_open("Europe/Berlin", NINE, EIGHT_PM, before)
    assert is_open("Europe/Berlin", NINE, EIGHT_PM, after)
    # And back on 25 October: 18:30 UTC is 20:30 CEST on the 24th, 19:30 CET on the 25th.
    assert not is_open("Europe/Berlin", NINE, EIGHT_PM, datetime(2026, 10, 24, 18, 30, tzinfo=UTC))
    assert is_open("Europe/Berlin", NINE, EIGHT_PM, datetime(2026, 10, 25, 18, 30, tzinfo=UTC))


def test_next_opening_is_now_inside_and_the_next_nine_outside() -> None:
    now = moscow(14)
    assert next_opening("Europe/Moscow", NINE, EIGHT_PM, now) == now
    # 21:00 in Vladivostok (UTC+10): it opens at 09:00 there tomorrow, 23:00 UTC today.
    assert next_opening("Asia/Vladivostok", NINE, EIGHT_PM, now) == datetime(
        2026, 12, 1, 23, 0, tzinfo=UTC
    )
    # 06:00 in Moscow: opens at 09:00 the same day.
    assert next_opening("Europe/Moscow", NINE, EIGHT_PM, moscow(6)) == moscow(9)


def test_next_opening_across_the_spring_forward_night() -> None:
    # 21:00 CET on 28 March; Berlin opens at 09:00 CEST on the 29th, 07:00 UTC.
    evening = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
    assert next_opening("Europe/Berlin", NINE, EIGHT_PM, evening) == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )


def test_an_unknown_zone_is_never_open() -> None:
    assert not is_open("Mars/Olympus", NINE, EIGHT_PM, moscow(14))
    assert next_opening("Mars/Olympus", NINE, EIGHT_PM, moscow(14)) is None
    assert local_time("Mars/Olympus", moscow(14)).utcoffset() == UTC.utcoffset(None)
