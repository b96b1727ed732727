"""Load generators: wrk for single requests in a closed loop, aiohttp for round trips.

wrk (C, from Debian) drives next-call alone and the bare endpoint, so the generator
costs the two cores as little as possible; every next-call carries another
operator's token, so each one is a real claim rather than the same lease again.
aiohttp drives next-plus-outcome (the outcome needs the lease id from the answer),
the open-loop load and the endurance pass.
"""

import asyncio
import re
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

WRK_NEXT = r"""
local tokens = {}
local counter = 0
local step = 1
local n = 0
function setup(thread)
  thread:set("id", n)
  n = n + 1
end
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  step = tonumber(args[2])
  counter = id
end
function request()
  counter = counter + step
  local token = tokens[(counter % #tokens) + 1]
  return wrk.format("POST", "/api/v1/dialer/next", {["Authorization"] = "Bearer " .. token})
end
"""

WRK_POST = 'wrk.method = "POST"\n'
WRK_THREADS = 2


@dataclass
class Result:
    """One measured run."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: Counter[str] = field(default_factory=Counter)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _ms(text: str) -> float:
    """A duration as wrk prints it (850.00us, 4.20ms, 1.02s, 1.00m), in milliseconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> Result:
    """Requests, duration and latency percentiles from wrk --latency output."""
    done = re.search(r"(\d+) requests in ([\d.]+)(s|m|ms)", output)
    if done is None:
        raise RuntimeError(f"wrk said: {output[-1500:]}")
    seconds = _ms(done.group(2) + done.group(3)) / 1000
    percentile = {
        m.group(1): _ms(m.group(2)) for m in re.finditer(r"(50|99)%\s+([\d.]+\w+)", output)
    }
    errors: Counter[str] = Counter()
    if bad := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors["non-2xx"] = int(bad.group(1))
    if sockets := re.search(r"Socket errors: (.*)", output):
        errors["socket"] = sum(int(n) for n in re.findall(r"\d+", sockets.group(1)))
    return Result(int(done.group(1)), seconds, percentile["50"], percentile["99"], errors)


def wrk(url: str, connections: int, seconds: float, script: str, *args: str) -> Result:
    """Run wrk against one URL with a Lua script; its figures."""
    with tempfile.TemporaryDirectory() as folder:
        lua = Path(folder) / "script.lua"
        lua.write_text(script)
        command = [
            "wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
            "--timeout", "10s", "-s", str(lua), url, "--", *args,
        ]  # fmt: skip
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
    return parse_wrk(finished.stdout + finished.stderr)


def wrk_next(base: str, tokens_file: Path, connections: int, seconds: float) -> Result:
    """Closed-loop next-calls, each by another operator."""
    return wrk(base, connections, seconds, WRK_NEXT, str(tokens_file), str(WRK_THREADS))


def wrk_bare(base: str, connections: int, seconds: float) -> Result:
    return wrk(f"{base}/lease", connections, seconds, WRK_POST)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


Body = Callable[[int], dict[str, Any]]


class Rounds:
    """Operators each looping next-call then outcome, as fast as answers come."""

    def __init__(self, base: str, tokens: list[str], outcome: Body) -> None:
        self.base = base
        self.tokens = tokens
        self.outcome = outcome
        self.next_seconds: list[float] = []
        self.outcome_seconds: list[float] = []
        self.lease_times: list[float] = []
        self.errors: Counter[str] = Counter()

    async def _operator(
        self, http: aiohttp.ClientSession, token: str, stop: Callable[[], bool]
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        n = 0
        while not stop():
            try:
                await self._round(http, headers, n)
            except aiohttp.ClientError as error:
                self.errors[type(error).__name__] += 1
            n += 1

    async def _round(self, http: aiohttp.ClientSession, headers: dict[str, str], n: int) -> None:
        started = time.perf_counter()
        async with http.post(f"{self.base}/api/v1/dialer/next", headers=headers) as answer:
            lease = await answer.json()
            if answer.status != 200:
                self.errors[f"next {answer.status} {lease.get('error')}"] += 1
                # As an operator told "not now" would: a moment's pause before asking again.
                await asyncio.sleep(0.05)
                return
        leased = time.perf_counter()
        self.next_seconds.append(leased - started)
        self.lease_times.append(leased)
        path = f"{self.base}/api/v1/leases/{lease['lease_id']}/outcome"
        async with http.post(path, json=self.outcome(n), headers=headers) as answer:
            await answer.read()
            if answer.status != 200:
                self.errors[f"outcome {answer.status}"] += 1
        self.outcome_seconds.append(time.perf_counter() - leased)

    async def run(self, operators: int, stop: Callable[[], bool]) -> float:
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
        async with aiohttp.ClientSession(connector=connector) as http:
            started = time.perf_counter()
            await asyncio.gather(
                *(self._operator(http, token, stop) for token in self.tokens[:operators])
            )
            return time.perf_counter() - started

    def result(self, seconds: float) -> Result:
        return Result(
            requests=len(self.outcome_seconds),
            seconds=seconds,
            p50_ms=_percentile(self.next_seconds, 0.5),
            p99_ms=_percentile(self.next_seconds, 0.99),
            errors=self.errors,
            extra={
                "outcome_p50_ms": _percentile(self.outcome_seconds, 0.5),
                "outcome_p99_ms": _percentile(self.outcome_seconds, 0.99),
            },
        )


async def rounds_for(
    base: str, tokens: list[str], outcome: Body, operators: int, seconds: float
) -> Result:
    """Next-plus-outcome round trips for a while."""
    rounds = Rounds(base, tokens, outcome)
    deadline = time.perf_counter() + seconds
    elapsed = await rounds.run(operators, lambda: time.perf_counter() >= deadline)
    return rounds.result(elapsed)


async def endurance(
    base: str, tokens: list[str], outcome: Body, operators: int, leases: int
) -> list[float]:
    """Leases per second in each tenth of `leases` leases taken in a row."""
    rounds = Rounds(base, tokens, outcome)
    started = time.perf_counter()
    await rounds.run(operators, lambda: len(rounds.lease_times) >= leases)
    times = sorted(rounds.lease_times)[:leases]
    tenth = len(times) // 10
    edges = [started] + [times[(i + 1) * tenth - 1] for i in range(10)]
    return [tenth / (edges[i + 1] - edges[i]) for i in range(10)]


async def open_loop(
    base: str, tokens: list[str], outcome: Body, rate: float, seconds: float, warmup: float = 0
) -> Result:
    """Next-calls sent on a fixed schedule whatever the answers; each operator then reports.

    The first `warmup` seconds run at the same rate and are not counted: they open the
    client's connections and bring the service's connections back from the reset's VACUUM.
    """
    latencies: list[float] = []
    lags: list[float] = []
    errors: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    uncounted = int(rate * warmup)

    async def one(http: aiohttp.ClientSession, token: str, n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        async with http.post(f"{base}/api/v1/dialer/next", headers=headers) as answer:
            lease = await answer.json()
        if n >= uncounted:
            latencies.append(time.perf_counter() - started)
            if answer.status != 200:
                errors[f"next {answer.status} {lease.get('error')}"] += 1
        if answer.status != 200:
            return
        path = f"{base}/api/v1/leases/{lease['lease_id']}/outcome"
        async with http.post(path, json=outcome(n), headers=headers) as done:
            await done.read()

    async with aiohttp.ClientSession(connector=connector) as http:
        total = uncounted + int(rate * seconds)
        start = time.perf_counter() + 0.2
        tasks = []
        for n in range(total):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if n >= uncounted:
                lags.append(time.perf_counter() - due)
            tasks.append(asyncio.create_task(one(http, tokens[n % len(tokens)], n)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start - warmup
    return Result(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=_percentile(latencies, 0.5),
        p99_ms=_percentile(latencies, 0.99),
        errors=errors,
        extra={
            "max_ms": max(latencies, default=0) * 1000,
            "generator_lag_p99_ms": _percentile(lags, 0.99),
            "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
        },
    )


# One call of each disposition in turn: the floor's outcomes, each its own line.
MIX_OUTCOMES: list[dict[str, Any]] = [
    {"disposition": "no_answer"},
    {"disposition": "busy"},
    {"disposition": "voicemail"},
    {"disposition": "wrong_number"},
    {"disposition": "not_interested", "objection": "need_nothing"},
    {"disposition": "callback", "callback_scope": "anyone"},
    {"disposition": "do_not_call"},
    {
        "disposition": "warm",
        "questionnaire": {"contact_person": "Иван Петрович", "need": "бумага А4", "volume": 100},
    },
]


class Mix:
    """The floor's requests, each timed under its own name: operators calling in a loop
    (next-call, three softphone events, a heartbeat, an outcome of each disposition in
    turn), managers working their questionnaires, a supervisor polling the dashboard."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = http
        self.took: dict[str, list[float]] = {}
        self.errors: Counter[str] = Counter()

    async def send(self, name: str, method: str, path: str, token: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        async with self.http.request(
            method, self.base + path, json=body, headers=headers
        ) as answer:
            payload = await answer.json(content_type=None)
        self.took.setdefault(name, []).append(time.perf_counter() - started)
        if answer.status >= 300:
            self.errors[f"{name} {answer.status}"] += 1
            return None
        return payload

    async def operator(self, token: str, n: int, stop: Callable[[], bool]) -> None:
        while not stop():
            lease = await self.send("next-call", "POST", "/api/v1/dialer/next", token)
            if lease is None:
                await asyncio.sleep(0.05)
                continue
            lease_path = f"/api/v1/leases/{lease['lease_id']}"
            call_id = f"{time.perf_counter_ns()}-{n}@bench"
            for event in ("dialing", "answered", "hangup"):
                body = {"event": event, "call_id": call_id, "number": lease["contact"]["phone"]}
                await self.send("event", "POST", "/api/v1/softphone/events", token, body)
            await self.send("heartbeat", "POST", f"{lease_path}/heartbeat", token)
            outcome = dict(MIX_OUTCOMES[n % len(MIX_OUTCOMES)])
            if outcome["disposition"] == "callback":
                outcome["callback_at"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            name = f"outcome {outcome['disposition']}"
            await self.send(name, "POST", f"{lease_path}/outcome", token, outcome)
            n += 1

    async def manager(self, token: str, stop: Callable[[], bool]) -> None:
        while not stop():
            path = "/api/v1/questionnaires?status=new"
            listed = await self.send("questionnaires", "GET", path, token) or []
            for item in listed[:5]:
                path = f"/api/v1/questionnaires/{item['id']}/status"
                await self.send("status change", "POST", path, token, {"status": "in_progress"})
                lost = {"status": "lost", "reason": "no budget"}
                await self.send("status change", "POST", path, token, lost)
            await asyncio.sleep(0.2)

    async def supervisor(self, token: str, stop: Callable[[], bool]) -> None:
        while not stop():
            await self.send("dialer status", "GET", "/api/v1/dialer/status", token)
            await self.send("operators live", "GET", "/api/v1/operators/live", token)
            await asyncio.sleep(0.2)


async def floor_mix(
    base: str, tokens: list[str], staff: dict[str, list[str]], operators: int, seconds: float
) -> Mix:
    """The floor's mix for a while, closed loop; each request's latencies by name."""
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    async with aiohttp.ClientSession(connector=connector) as http:
        mix = Mix(base, http)
        deadline = time.perf_counter() + seconds

        def stop() -> bool:
            return time.perf_counter() >= deadline

        await asyncio.gather(
            *(mix.operator(t, n, stop) for n, t in enumerate(tokens[:operators])),
            *(mix.manager(t, stop) for t in staff["manager"]),
            *(mix.supervisor(t, stop) for t in staff["supervisor"]),
        )
    return mix


def percentile_ms(values: list[float], q: float) -> float:
    """The q-th percentile of durations in seconds, in milliseconds."""
    return _percentile(values, q)
