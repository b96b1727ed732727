"""Waiting longer after each failure, up to a ceiling; the sleep is injectable for tests."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Backoff:
    """first, first × factor, … up to most seconds; reset() after a success."""

    first: float = 0.1
    most: float = 5.0
    factor: float = 2.0
    sleep: Sleep = asyncio.sleep
    _next: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._next = self.first

    def reset(self) -> None:
        self._next = self.first

    def peek(self) -> float:
        """How long the next wait() will wait."""
        return self._next

    async def wait(self) -> float:
        """Sleep for the current delay, lengthen the next one; returns the delay slept."""
        delay = self._next
        self._next = min(self.most, delay * self.factor)
        await self.sleep(delay)
        return delay
