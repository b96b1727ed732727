"""Servers forked from a process that has imported the service once.

Importing the service takes a new process about a second of CPU, most of a test server's
start, and the suite starts a server for every browser test and many more. Each test process
keeps one zygote: a process that imports the service and uvicorn, then reads requests on its
standard input, one JSON line each, and forks a server for each, answering with its pid. The
server is then what `python -m uvicorn` would be: its own process, the environment and
arguments of the request, its log on the named pipe the request gives; the zygote reaps it and
writes its exit code to a file named after its pid, which is how `Forked` reads it.
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import IO, Any

import click


def main() -> None:
    """The zygote's side: import once, then fork a server per request until stdin closes."""
    from uvicorn.main import main as uvicorn_command

    import app.main  # noqa: F401 - the import every server then has for free

    exits = Path(sys.argv[1])

    def reap(_signal: int, _frame: FrameType | None) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            written = exits / f"{pid}.tmp"
            written.write_text(str(os.waitstatus_to_exitcode(status)))
            written.rename(exits / str(pid))

    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _serve(request, uvicorn_command)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


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
    """The test process's side: one zygote, started at the first server asked for."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cascade-zygote-"))
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.zygote import main; main()", str(self.folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(shutil.rmtree, self.folder, ignore_errors=True)

    def fork(self, arguments: list[str], env: dict[str, str]) -> "Forked":
        log = self.folder / f"log-{time.monotonic_ns()}"
        os.mkfifo(log)
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        request = {"arguments": arguments, "env": env, "cwd": os.getcwd(), "log": str(log)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        pid = int(self.process.stdout.readline())
        # The server opens the pipe's writing end first thing; this waits for it.
        stream = log.open(encoding="utf-8", errors="replace")
        log.unlink()
        return Forked(pid, self.folder / str(pid), stream)


class Forked:
    """A forked server, read as much as the tests read a `subprocess.Popen`."""

    def __init__(self, pid: int, exit_file: Path, stderr: IO[str]) -> None:
        self.pid = pid
        self.stderr = stderr
        self._exit_file = exit_file
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._exit_file.exists():
            self.returncode = int(self._exit_file.read_text())
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout or 0)
            time.sleep(0.02)
        return code

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, number)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
