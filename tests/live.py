"""A real Cascade server in a subprocess, for tests that need real HTTP and real processes."""

import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Protocol

import httpx

from tests.builders import TEST_SECRET
from tests.zygote import Zygote

STARTUP_TIMEOUT = 120.0
# Printed once the socket is bound (for one worker, after start-up has completed too).
BOUND_LINE = "Uvicorn running on"


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess(Protocol):
    """What the tests read of a server's process: a `subprocess.Popen`, or a forked server."""

    pid: int

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def send_signal(self, number: int) -> None: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...


@dataclass
class LiveServer:
    process: ServerProcess
    port: int
    # The server's log lines from its start on (read by a thread that keeps the pipe drained).
    log: queue.Queue[str | None]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """Kill -9: what a crash looks like to the database."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def read_lines(
    process: subprocess.Popen[str] | None, stream: IO[str] | None = None
) -> queue.Queue[str | None]:
    """Every line of the process's stderr (or the stream given), read by a thread that keeps
    the pipe drained."""
    lines: queue.Queue[str | None] = queue.Queue()
    source = stream or (process.stderr if process else None)
    assert source is not None

    def pump() -> None:
        for line in source:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for_line(lines: queue.Queue[str | None], text: str, timeout: float) -> str:
    # Not select() on the pipe: a text stream reads ahead, so the line waited for can sit in
    # its buffer while the pipe itself stays silent until the deadline.
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if text in line or "address already in use" in line:
            return "".join(seen)
    raise RuntimeError(f"{text!r} never came: {''.join(seen)[-2000:]}")


def start_server(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    port: int | None = None,
    cli: bool = False,
) -> LiveServer:
    """Start uvicorn on a free port (or the one given) and return once it serves; with
    `cli`, as `cascade serve` starts it (one worker)."""
    for _attempt in range(3):
        try:
            return _start(database_url, workers, env or {}, port or free_port(), cli)
        except PortTaken:
            continue  # another process took the port between probe and bind
    raise RuntimeError("no free port could be bound")


class PortTaken(Exception):
    pass


def _start(
    database_url: str, workers: int, env: dict[str, str], port: int, cli: bool
) -> LiveServer:
    environment = {
        **os.environ,
        "CASCADE_DATABASE_URL": database_url,
        "CASCADE_SCHEDULER": "off",
        "CASCADE_SECRET_KEY": TEST_SECRET,
        # Recordings in a folder of the test's, never under the working directory's var/.
        "CASCADE_RECORDINGS_URL": tempfile.mkdtemp(prefix="cascade-recordings-"),
        **env,
    }
    # Without uvicorn's own reading of X-Forwarded-For, as `cascade serve` runs it.
    arguments = [
        "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "info", "--no-access-log", "--no-proxy-headers",
    ]  # fmt: skip
    process: ServerProcess
    if cli:
        command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
        started = subprocess.Popen(
            command, env=environment, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        process, lines = started, read_lines(started)
    else:
        forked = zygote().fork(arguments, environment)
        process, lines = forked, read_lines(None, forked.stderr)
    try:
        log = wait_for_line(lines, BOUND_LINE, STARTUP_TIMEOUT)
        if "address already in use" in log:
            raise PortTaken()
        _wait_until_served(port, STARTUP_TIMEOUT)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return LiveServer(process, port, lines)


_zygote: list[Zygote] = []


def zygote() -> Zygote:
    """This test process's zygote (tests/zygote.py), started at the first server."""
    if not _zygote or _zygote[0].process.poll() is not None:
        _zygote[:] = [Zygote()]
    return _zygote[0]


def _wait_until_served(port: int, timeout: float) -> None:
    """One worker's socket listens: a single worker listens before it logs, but with
    several the supervisor logs after binding and each worker calls listen() later."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            # Once listening, this request waits in the backlog until a worker serves.
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=timeout).raise_for_status()
            return
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def live_server(
    database_url: str, *, workers: int = 1, env: dict[str, str] | None = None, cli: bool = False
) -> Iterator[LiveServer]:
    """A server for the length of a with-block; stopped by pid afterwards."""
    server = start_server(database_url, workers=workers, env=env, cli=cli)
    try:
        yield server
    finally:
        server.stop()
