"""The login throttle: growing waits per login and client address, never a lock.

A lock per login let anyone shut a person out by guessing ten times, and only logins that
exist locked, which told a guesser which do. Here a pair of (login as typed, address)
gets a few tries free, then waits 1, 2, 4 … seconds after each failure, never more than
`MAX_WAIT`; a success forgets the pair. The person at another desk (another address) is
not slowed at all, and a login that does not exist is throttled exactly as one that does.

The counts live in the process's memory: with N instances a guesser gets N times the
tries, still at most one a minute per instance and pair once the waits are long.
"""

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

FREE_FAILURES = 3
MAX_WAIT = timedelta(minutes=1)
# A pair quiet for this long starts again from its free tries.
FORGET_AFTER = timedelta(minutes=15)
MAX_PAIRS = 100_000


@dataclass
class _Pair:
    failures: int
    last_failure: datetime
    wait_until: datetime


def wait_after(failures: int) -> timedelta:
    """How long a pair waits after its n-th failure in a row."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(MAX_WAIT, timedelta(seconds=2 ** min(failures - FREE_FAILURES - 1, 16)))


class LoginThrottle:
    """Failed logins per (login, address), in memory, the oldest pairs forgotten first."""

    def __init__(self, max_pairs: int = MAX_PAIRS) -> None:
        self.max_pairs = max_pairs
        self._pairs: OrderedDict[tuple[str, str], _Pair] = OrderedDict()

    @staticmethod
    def _key(login: str, address: str) -> tuple[str, str]:
        return login.strip().casefold(), address

    def retry_after(self, login: str, address: str, now: datetime) -> int | None:
        """Seconds the pair must still wait before its password is checked, or None."""
        pair = self._pairs.get(self._key(login, address))
        if pair is None or pair.wait_until <= now:
            return None
        return max(1, math.ceil((pair.wait_until - now).total_seconds()))

    def failed(self, login: str, address: str, now: datetime) -> None:
        """Count a wrong password (or unknown login) for the pair."""
        key = self._key(login, address)
        pair = self._pairs.pop(key, None)
        if pair is None or now - pair.last_failure > FORGET_AFTER:
            pair = _Pair(0, now, now)
        pair.failures += 1
        pair.last_failure = now
        pair.wait_until = now + wait_after(pair.failures)
        self._pairs[key] = pair
        while len(self._pairs) > self.max_pairs:
            self._pairs.popitem(last=False)

    def succeeded(self, login: str, address: str) -> None:
        """Forget the pair: the person is in."""
        self._pairs.pop(self._key(login, address), None)
