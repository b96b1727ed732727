"""The on-disk outbox of call events: written before it is sent, removed once the service took it.

An event is appended as one JSON line and fsynced before the connector goes on,
so a crash, a dead network or a stopped service loses nothing. The head is
removed only after the service acknowledged it (202), by writing the rest to a
new file and renaming it over the old one, so the file is always either the old
list or the new one. Sending is therefore at least once; the service keeps one
copy of an event repeated with the same Call-ID, kind and instant.
"""

import json
import os
from collections import deque
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class Outbox:
    """Events waiting for the service, oldest first, kept in one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        records, torn = _read(path)
        self._records: deque[Record] = deque(records)
        if torn:
            # A later append must not land on the torn line's end.
            _rewrite(path, records)

    def __len__(self) -> int:
        return len(self._records)

    def head(self) -> Record | None:
        """The oldest event not yet acknowledged."""
        return self._records[0] if self._records else None

    def append(self, record: Record) -> None:
        """Add an event, durably, before anything else happens."""
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
            file.flush()
            os.fsync(file.fileno())
        self._records.append(record)

    def remove_head(self) -> None:
        """Forget the oldest event: the service has it."""
        self._records.popleft()
        _rewrite(self.path, list(self._records))

    def set_aside(self, record: Record, why: str) -> Path:
        """Move the head into a file beside the outbox, with the reason the service gave."""
        aside = self.path.with_suffix(".refused.jsonl")
        with aside.open("a", encoding="utf-8") as file:
            file.write(json.dumps({"event": record, "why": why}, ensure_ascii=False) + "\n")
            file.flush()
            os.fsync(file.fileno())
        self.remove_head()
        return aside


def _rewrite(path: Path, records: list[Record]) -> None:
    fresh = path.with_suffix(path.suffix + ".new")
    with fresh.open("w", encoding="utf-8") as file:
        file.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        file.flush()
        os.fsync(file.fileno())
    fresh.replace(path)
    _sync_folder(path.parent)


def _read(path: Path) -> tuple[list[Record], bool]:
    """The records in the file, and whether a torn line was left out."""
    if not path.exists():
        return [], False
    records, torn = [], False
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            # Only the last line can be torn, by a crash in the middle of an append:
            # the connector never went on past that event, so nothing it saw is lost.
            torn = True
    return records, torn


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the directory entry is.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
