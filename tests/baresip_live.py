"""Real baresip softphones on loopback for the softphone tests, and the connector as a process.

Each instance gets a copy of a config from tests/baresip/ with its own ports: SIP
binds TLS on port + 1 too, so every SIP port is probed together with the next one.
Every process is stopped by pid by whoever started it.
"""

import json
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from softphone.netstring import Decoder, encode
from tests.live import read_lines, wait_for_line

CONFIGS = Path(__file__).parent / "baresip"
READY_LINE = "baresip is ready."
START_TIMEOUT = 20.0


def free_ports(*widths: int) -> list[int]:
    """Distinct ports free for TCP and UDP, each followed by width - 1 free ones."""
    with ExitStack() as held:
        found: list[int] = []
        while len(found) < len(widths):
            first = _probe(held, socket.SOCK_STREAM, 0)
            if first is None:
                continue
            width = widths[len(found)]
            taken = [_probe(held, socket.SOCK_DGRAM, first)]
            taken += [_probe(held, kind, first + n) for n in range(1, width) for kind in _BOTH]
            if all(probe is not None for probe in taken):
                found.append(first)
        return found


_BOTH = (socket.SOCK_STREAM, socket.SOCK_DGRAM)


def _probe(held: ExitStack, kind: socket.SocketKind, port: int) -> int | None:
    # Held until every port is chosen, so that no two choices overlap.
    probe = held.enter_context(socket.socket(socket.AF_INET, kind))
    try:
        probe.bind(("127.0.0.1", port))
    except OSError:
        return None
    bound: int = probe.getsockname()[1]
    return bound


def _set(config: str, key: str, value: str) -> str:
    pattern = re.compile(rf"^{key}\s+\S+", re.MULTILINE)
    assert pattern.search(config), f"{key} not in the config"
    return pattern.sub(f"{key}\t\t{value}", config)


@dataclass
class Baresip:
    """One baresip process over a copied config folder."""

    folder: Path
    sip_port: int
    ctrl_port: int | None = None
    process: subprocess.Popen[str] | None = None
    log: list[str] = field(default_factory=list)

    @classmethod
    def prepare(
        cls,
        kind: str,
        folder: Path,
        users: list[str],
        sip_port: int,
        ctrl_port: int | None = None,
        http_port: int | None = None,
        settings: dict[str, str] | None = None,
    ) -> "Baresip":
        """Copy tests/baresip/<kind> into folder with these ports and one account per user
        (and these values for other settings of the config)."""
        shutil.copytree(CONFIGS / kind, folder)
        config = _set((folder / "config").read_text(), "sip_listen", f"127.0.0.1:{sip_port}")
        for key, value in (settings or {}).items():
            config = _set(config, key, value)
        if ctrl_port is not None:
            config = _set(config, "ctrl_tcp_listen", f"127.0.0.1:{ctrl_port}")
        if http_port is not None:
            config = _set(config, "http_listen", f"127.0.0.1:{http_port}")
        (folder / "config").write_text(config)
        template = next(
            line for line in (folder / "accounts").read_text().splitlines() if line.startswith("<")
        )
        parameters = template.split(">", 1)[1]
        accounts = [f"<sip:{user}@127.0.0.1:{sip_port}>{parameters}" for user in users]
        (folder / "accounts").write_text("\n".join(accounts) + "\n")
        return cls(folder, sip_port, ctrl_port)

    def start(self) -> "Baresip":
        """Start it and return once it says it is ready."""
        self.process = subprocess.Popen(
            ["baresip", "-f", str(self.folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines = read_lines(self.process, self.process.stdout)
        try:
            self.log.append(wait_for_line(lines, READY_LINE, START_TIMEOUT))
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self) -> None:
        """kill -9: a crash, with a call up."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM; a second one if it waits for a BYE's answer (up to 32 s from a dead peer),
        which makes baresip stop at once; SIGKILL if even that fails."""
        if self.process is None or self.process.poll() is not None:
            return
        for grace in (1, 5):
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue
        self.kill()


class Control:
    """A plain ctrl_tcp client for the test's side: the customer's hand on its phone."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.decoder = Decoder()
        self.seen: list[dict[str, Any]] = []

    def send(self, command: str, params: str | None = None) -> None:
        message: dict[str, Any] = {"command": command, "token": command}
        if params is not None:
            message["params"] = params
        self.socket.sendall(encode(message))

    def wait_event(self, kind: str, timeout: float = 20.0) -> dict[str, Any]:
        """The next pushed event of this type, with a deadline."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.socket.settimeout(left)
            try:
                chunk = self.socket.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            for message in self.decoder.feed(chunk):
                self.seen.append(message)
                if message.get("event") and message.get("type") == kind:
                    return message
        raise AssertionError(f"no {kind} in {json.dumps(self.seen)[-2000:]}")

    def stop(self) -> None:
        self.socket.close()


class Connector:
    """`cascade softphone` as an operator runs it, with its terminal on pipes."""

    def __init__(self, arguments: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "softphone", *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = read_lines(self.process, self.process.stdout)
        self.said: list[str] = []

    def expect(self, text: str, timeout: float = 30.0) -> str:
        """Wait until the connector says a line with text; the lines up to it."""
        try:
            seen = wait_for_line(self.lines, text, timeout)
        except RuntimeError as error:
            raise AssertionError(f"{error}\nbefore: {''.join(self.said)[-3000:]}") from None
        self.said.append(seen)
        return seen

    def expect_each(self, *texts: str, timeout: float = 30.0) -> None:
        """Wait until the connector has said a line with each text, in whatever order: what
        it does side by side (a recording encoded while the outcome is sent) says so in the
        order it ends."""
        left = list(texts)
        while left:
            seen = self.expect(left[0], timeout)
            left = [text for text in left if text not in seen]

    def type(self, line: str = "") -> None:
        """What the operator types, then Enter."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def exit_code(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
