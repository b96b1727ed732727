"""A progress bar on stderr for `cascade import`, and the report it prints."""

import sys
import time
from typing import TextIO

from dialer.contacts.imports.rows import Tally

WIDTH = 30


class ProgressBar:
    """Redraws one line on stderr at most ten times a second."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.drawn = 0.0

    def __call__(self, position: int, tally: Tally) -> None:
        now = time.monotonic()
        if now - self.drawn < 0.1 and position < self.total:
            return
        self.drawn = now
        share = min(position / self.total, 1.0)
        filled = int(share * WIDTH)
        rate = tally.rows / max(now - self.started, 1e-9)
        bar = "#" * filled + "." * (WIDTH - filled)
        self.stream.write(f"\r[{bar}] {share:4.0%}  {tally.rows:,} rows  {rate:,.0f} rows/s")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def report_lines(status: str, tally: Tally) -> list[str]:
    """The import's report as a person reads it."""
    lines = [
        f"status:      {status}",
        f"rows:        {tally.rows:,}",
        f"imported:    {tally.imported:,}",
        f"duplicates:  {tally.duplicates:,}",
        f"do not call: {tally.do_not_call:,}",
        f"invalid:     {tally.invalid:,}",
    ]
    for error in tally.errors:
        where = f"line {error['line']}" if error["line"] is not None else "import"
        lines.append(f"  {where}: {error['reason']}")
    return lines
