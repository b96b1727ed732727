"""Half-open time intervals [start, end): union, intersection and length, for timesheets."""

from collections.abc import Iterable
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]


def normalize(intervals: Iterable[Interval]) -> list[Interval]:
    """The same instants as sorted, disjoint, non-empty intervals."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The instants in both sets."""
    left, right = normalize(a), normalize(b)
    found: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            found.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return found


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The instants of `a` not in `b`."""
    found: list[Interval] = []
    cuts = normalize(b)
    for start, end in normalize(a):
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                found.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            found.append((cursor, end))
    return found


def length(intervals: Iterable[Interval]) -> timedelta:
    """The total time the set covers, overlaps counted once."""
    return sum((end - start for start, end in normalize(intervals)), timedelta())


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The instants of the set within [start, end)."""
    return intersect(intervals, [(start, end)])
