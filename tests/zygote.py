"""Servers forked from a process that has imported the service once.

Importing the service takes a new process about a second of CPU, most of a test server's
start, and the suite starts a server for every browser test and many more. Each test process
keeps one zygote: a process that imports the service and uvicorn, then reads requests on its
standard input, one JSON line each, and forks a server for each. The server is then what
`python -m uvicorn` would be: its own process, the environment and arguments of the request,
its log on the named pipe the request gives. The zygote says on its standard output what
happens to its servers, a line each: `forked PID`, and `exited PID CODE` once it has reaped
one, which is how `Forked` knows its exit code.
"""

import atexit
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click


def main() -> None:
    """The zygote's side: import once, then fork a server per request until stdin closes."""
    from uvicorn.main import main as uvicorn_command

    import app.main  # noqa: F401 - the import every server then has for free

    # A child's end wakes the loop below through this pipe (the handler itself does nothing).
    woken, wake = os.pipe()
    os.set_blocking(wake, False)
    signal.set_wakeup_fd(wake)
    signal.signal(signal.SIGCHLD, lambda _signal, _frame: None)
    pending = b""
    while True:
        ready, _, _ = select.select([sys.stdin.fileno(), woken], [], [])
        if woken in ready:
            os.read(woken, 4096)
            for pid, code in _reaped():
                _say(f"exited {pid} {code}")
        if sys.stdin.fileno() in ready:
            read = os.read(sys.stdin.fileno(), 65536)
            if not read:
                return
            *requests, pending = (pending + read).split(b"\n")
            for request in requests:
                pid = os.fork()
                if pid == 0:
                    signal.set_wakeup_fd(-1)
                    os.close(woken)
                    os.close(wake)
                    _serve(json.loads(request), uvicorn_command)
                _say(f"forked {pid}")


def _reaped() -> Iterator[tuple[int, int]]:
    """Every child that has ended, with its exit code as `subprocess` writes it."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, os.waitstatus_to_exitcode(status)


def _say(line: str) -> None:
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


def _serve(request: dict[str, Any], command: click.Command) -> None:
    """The forked server: the request's environment, its log on the pipe, uvicorn's command."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        log = os.open(str(request["log"]), os.O_WRONLY)
        quiet = os.open(os.devnull, os.O_RDWR)
        os.dup2(quiet, 0)
        os.dup2(quiet, 1)
        os.dup2(log, 2)
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        tempfile.tempdir = None
        os.chdir(str(request["cwd"]))
        sys.argv = ["uvicorn", *request["arguments"]]
        command.main(args=request["arguments"], prog_name="uvicorn")
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


class Zygote:
    """The test process's side: one zygote, started at the first server asked for, and a
    thread reading what it says."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cascade-zygote-"))
        atexit.register(shutil.rmtree, self.folder, ignore_errors=True)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.zygote import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._forked: queue.Queue[int] = queue.Queue()
        self._exits: dict[int, int] = {}
        self._exited = threading.Condition()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            what, pid, *code = line.split()
            if what == "forked":
                self._forked.put(int(pid))
                continue
            with self._exited:
                self._exits[int(pid)] = int(code[0])
                self._exited.notify_all()

    def fork(self, arguments: list[str], env: dict[str, str]) -> "Forked":
        log = self.folder / f"log-{time.monotonic_ns()}"
        os.mkfifo(log)
        assert self.process.stdin is not None
        request = {"arguments": arguments, "env": env, "cwd": os.getcwd(), "log": str(log)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        pid = self._forked.get()
        # The server opens the pipe's writing end first thing; this waits for it.
        stream = log.open(encoding="utf-8", errors="replace")
        log.unlink()
        return Forked(self, pid, stream)

    def exit_code(self, pid: int, timeout: float | None) -> int | None:
        """The server's exit code once it has ended, waiting at most `timeout` (0: not)."""
        with self._exited:
            self._exited.wait_for(lambda: pid in self._exits, timeout)
            return self._exits.get(pid)


class Forked:
    """A forked server, read as much as the tests read a `subprocess.Popen`."""

    def __init__(self, zygote: Zygote, pid: int, stderr: IO[str]) -> None:
        self.pid = pid
        self.stderr = stderr
        self._zygote = zygote

    def poll(self) -> int | None:
        return self._zygote.exit_code(self.pid, 0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._zygote.exit_code(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"server {self.pid}", timeout or 0)
        return code

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, number)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
