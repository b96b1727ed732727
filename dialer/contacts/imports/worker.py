"""Lean worker processes that prepare blocks of rows for an import.

Each worker is `python -m dialer.contacts.imports.worker`, importing its `rows` and nothing else,
and answers length-prefixed pickles on its standard streams. multiprocessing's pools were
not used because every worker they start imports the parent's main module — the whole app,
three times its own size — only to run one pure function.
"""

import pickle
import queue
import subprocess
import sys
import traceback
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

from dialer.contacts.imports.files import Block, Refused
from dialer.contacts.imports.rows import Plan, Prepared, prepare, refused

HEADER = 8


class WorkerError(RuntimeError):
    """A worker failed on a block; its traceback is the message."""


def send(stream: IO[bytes], message: Any) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(body).to_bytes(HEADER, "big"))
    stream.write(body)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    header = stream.read(HEADER)
    if len(header) < HEADER:
        raise EOFError("the other side closed the stream")
    return pickle.loads(stream.read(int.from_bytes(header, "big")))


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Prepare blocks until the parent closes the stream."""
    while True:
        try:
            plan, line, text = receive(requests)
        except EOFError:
            return
        try:
            send(answers, ("ok", prepare(plan, line, text)))
        except Exception:
            send(answers, ("error", traceback.format_exc()))


class Workers:
    """A fixed set of worker processes; one thread per worker does its round trips."""

    def __init__(self, count: int) -> None:
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "dialer.contacts.imports.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            for _ in range(count)
        ]
        self.idle: queue.SimpleQueue[subprocess.Popen[bytes]] = queue.SimpleQueue()
        for process in self.processes:
            self.idle.put(process)
        self.threads = ThreadPoolExecutor(count, thread_name_prefix="import-worker")

    def submit(self, plan: Plan, line: int, text: str) -> "Future[Prepared]":
        """Prepare a block on the next idle worker."""
        return self.threads.submit(self._round_trip, plan, line, text)

    def _round_trip(self, plan: Plan, line: int, text: str) -> Prepared:
        process = self.idle.get()
        try:
            assert process.stdin is not None
            assert process.stdout is not None
            send(process.stdin, (plan, line, text))
            status, result = receive(process.stdout)
        finally:
            self.idle.put(process)
        if status != "ok":
            raise WorkerError(result)
        assert isinstance(result, Prepared)
        return result

    def close(self) -> None:
        """Let the workers finish and end; a worker that does not is killed."""
        self.threads.shutdown(wait=True, cancel_futures=True)
        for process in self.processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def in_order(
    workers: Workers, plan: Plan, blocks: Iterator[Block | Refused]
) -> Iterator[tuple[Prepared, int]]:
    """The blocks prepared by the workers, in file order, a bounded number in flight."""
    pending: list[tuple[Future[Prepared], int]] = []
    for block in blocks:
        if isinstance(block, Refused):
            done: Future[Prepared] = Future()
            done.set_result(refused(block.line, block.reason))
            pending.append((done, block.position))
        else:
            pending.append((workers.submit(plan, block.line, block.text), block.position))
        # Bounded: memory stays flat whatever the file's size. One block more than there
        # are workers keeps every worker busy while the oldest block is being written.
        if len(pending) > len(workers.processes):
            future, at = pending.pop(0)
            yield future.result(), at
    for future, at in pending:
        yield future.result(), at


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
