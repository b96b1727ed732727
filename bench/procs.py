"""Processes of this machine as Linux's /proc shows them: a process's tree, and the
machine's CPU split between the parts of a run (the service, PostgreSQL, the load)."""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and every descendant of it still running."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids.extend(tree(int(child)))
    return pids


def named(name: str) -> list[int]:
    """Every running process of this command name (PostgreSQL's are all `postgres`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cpu_ticks(pid: int) -> int:
    """User and system CPU a process has used, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _idle_ticks() -> int:
    # The machine's first line: user nice system idle iowait ...
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[4]) + int(fields[5])


@dataclass
class CpuSplit:
    """Each part's share of the machine's CPU over a while, and the machine's idle share.

    A part is a function naming its processes, asked at the start and the end: a process
    that ended in between is not counted, one that began is counted from its start.
    """

    parts: dict[str, Callable[[], list[int]]]

    def __post_init__(self) -> None:
        self._wall = time.monotonic()
        self._idle = _idle_ticks()
        self._used = {name: self._used_by(pids) for name, pids in self.parts.items()}

    @staticmethod
    def _used_by(pids: Callable[[], list[int]]) -> dict[int, int]:
        return {pid: cpu_ticks(pid) for pid in pids()}

    def shares(self) -> dict[str, float]:
        """Each part's share since the start, then "idle"'s, each of the whole machine."""
        machine = (time.monotonic() - self._wall) * TICKS * (os.cpu_count() or 1)
        shares = {}
        for name, pids in self.parts.items():
            before = self._used[name]
            used = sum(t - before.get(pid, 0) for pid, t in self._used_by(pids).items())
            shares[name] = used / machine
        shares["idle"] = (_idle_ticks() - self._idle) / machine
        return shares
