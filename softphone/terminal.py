"""The operator's terminal: lines out, lines in (a thread reads stdin so the loop never blocks)."""

import asyncio
import sys
import threading
from typing import TextIO


class Terminal:
    """Says what happens; hands typed lines to the loop; None once the input ends."""

    def __init__(self, out: TextIO = sys.stdout, source: TextIO = sys.stdin) -> None:
        self.out = out
        self.source = source
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.closed = False

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def listen(self) -> None:
        """Start reading the input; call from inside the running loop."""
        loop = asyncio.get_running_loop()

        def pump() -> None:
            try:
                for line in self.source:
                    loop.call_soon_threadsafe(self.lines.put_nowait, line.rstrip("\r\n"))
                loop.call_soon_threadsafe(self.lines.put_nowait, None)
            except RuntimeError:
                return  # the loop has closed: the connector is exiting, no one reads any more

        threading.Thread(target=pump, name="terminal-input", daemon=True).start()

    def discard_input(self) -> None:
        """Forget lines typed before now: they were not meant for what comes next."""
        while not self.lines.empty():
            if self.lines.get_nowait() is None:
                self.closed = True

    async def line(self) -> str | None:
        """The next typed line; None when the input has ended."""
        if self.closed:
            return None
        typed = await self.lines.get()
        if typed is None:
            self.closed = True
        return typed

    async def ask(self, question: str) -> str | None:
        print(question, end=" ", file=self.out, flush=True)
        return await self.line()
