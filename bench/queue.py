"""`make bench`: the dialer queue over HTTP on loopback against the real service on PostgreSQL.

    python -m bench.queue            # the full run: 100k and 2M contacts, 200,000-lease endurance
    python -m bench.queue --quick    # a short run that proves every part works

It seeds a database of its own (`cascade_bench`, dropped afterwards unless
--keep), runs the service with uvicorn in a subprocess, and prints:

- the ceiling: a bare FastAPI + asyncpg SKIP LOCKED endpoint (`bench/bare.py`);
- next-call throughput (wrk, each request another operator's claim) and
  next-plus-outcome round trips (aiohttp) with p50/p99 at 16, 64 and 256 operators,
  on the small base, on the large one, and on the large one with 90 % of the
  contacts outside their calling window now;
- next-plus-outcome through Cascade ÷ through the floor's bare endpoint
  (`bench/bare_floor.py`: Cascade's own statements without the service around them), one
  process each, the same aiohttp client, alternating runs;
- each request of the floor's mix (events, heartbeat, the outcome of each disposition, a
  manager's status change, the dialer's status, the operators live) with its p50/p99 through
  Cascade and through the floor's bare endpoint, and their ratio;
- p50/p99 of next-call under an open-loop offered load of a tenth of the bare endpoint's
  peak measured in the same run;
- the endurance pass: leases per second in each tenth of a long run;
- staff's lookups on the large base (`bench/lookups.py`): a contact found by a number
  written with spaces and brackets, and the campaign's stats;
- the floor's reads, `GET /dialer/status` and `GET /operators/live`, p50/p99 one request at a
  time with the small campaign active and with the large one, and the ratio of the p99s;
- the targets of the issue, met or missed.
"""

import argparse
import gc
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvloop

from bench import load, lookups, seed
from bench.bare import TABLE as BARE_TABLE
from bench.load import Result

DATABASE = "cascade_bench"
T = TypeVar("T")
LEVELS = (16, 64, 256)
# Connections per server process, the same for the bare endpoint and Cascade: two
# cores gain nothing from more, and the shared server has only 100.
POOL = 8
DISPOSITIONS = ["no_answer", "busy", "no_answer", "voicemail", "busy"]
# Cascade against the floor's bare endpoint: operators, managers, runs of each in turn.
MIX_OPERATORS = 64
MIX_MANAGERS = 4
RATIO_RUNS = 3
# Long enough that the managers see warm questionnaires and the supervisor polls a few times.
MIX_SECONDS = 5
OPEN_LOOP_SHARE = 0.10
FLOOR_ROUNDS = 100


@dataclass(frozen=True)
class Sizes:
    small: int
    large: int
    seconds: float
    open_loop_seconds: float
    endurance: int

    @property
    def operators(self) -> int:
        # Enough distinct operators that no next-call in a wrk run reuses a token: a
        # reused one holds a lease, and its answer is the held lease, not a claim.
        return int(8_000 * self.seconds) + 1_000


FULL = Sizes(small=100_000, large=2_000_000, seconds=10, open_loop_seconds=30, endurance=200_000)
# Bases large enough that 3 s of next-calls at several thousand a second empty neither the
# small one nor the tenth of the large one inside its window (an empty queue answers 409).
QUICK = Sizes(small=30_000, large=300_000, seconds=3, open_loop_seconds=5, endurance=10_000)


def run(work: Coroutine[Any, Any, T]) -> T:
    """Drive the load generator on uvloop: the generator must not be the bottleneck.

    What the generator holds before it starts is frozen out of the collector: a full
    collection of it paused the generator for 80–120 ms, which its clock counted as
    the service's latency.
    """
    gc.collect()
    gc.freeze()
    return uvloop.run(work)


def outcome(n: int) -> dict[str, Any]:
    """A retryable disposition, so contacts stay in the base and nothing saturates."""
    return {"disposition": DISPOSITIONS[n % len(DISPOSITIONS)]}


@contextmanager
def server(
    app: str, env: dict[str, str], workers: int, log: Path, *, scheduler: bool = True
) -> Iterator[str]:
    """uvicorn serving `app` on a free port, with Cascade's scheduler; stopped afterwards."""
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
        # Longer than any pause of a simulated operator, so no connection is closed under it.
        "--timeout-keep-alive", "120",
    ]  # fmt: skip
    if app.endswith("create_app"):
        command.append("--factory")
    processes = []
    with log.open("a") as sink:
        processes.append(
            subprocess.Popen(
                command, env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT
            )
        )
        if app.endswith("create_app") and scheduler:
            # As production runs several workers: the scheduler beside them, in a process
            # of its own. Among its jobs it keeps the tables vacuumed when the server won't.
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "scheduler"],
                    env={**os.environ, **env},
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_served(base, processes[0])
        yield base
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_served(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at start-up; see the log")
        try:
            httpx.get(f"{base}/docs", timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start within 60 s")


def show(label: str, result: Result, unit: str = "req/s") -> None:
    errors = f"  errors {dict(result.errors)}" if result.errors else ""
    extra = ""
    if "outcome_p50_ms" in result.extra:
        extra = (
            f"  (outcome p50 {result.extra['outcome_p50_ms']:.1f} ms,"
            f" p99 {result.extra['outcome_p99_ms']:.1f} ms)"
        )
    print(
        f"  {label:<34} {result.rate:>8,.0f} {unit:<9} p50 {result.p50_ms:6.1f} ms"
        f"  p99 {result.p99_ms:6.1f} ms{extra}{errors}",
        flush=True,
    )


class Bench:
    """One run: a database, its operators and campaigns, and the figures gathered."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.sizes = QUICK if args.quick else FULL
        self.mix_only: bool = args.mix_only
        self.workers: int = args.workers
        self.server_url: str = args.postgres
        self.folder = Path(tempfile.mkdtemp(prefix="cascade-bench-"))
        self.log = self.folder / "server.log"
        self.figures: dict[str, float] = {}
        self.url = ""
        self.tokens: list[str] = []
        self.campaigns: dict[str, Any] = {}
        self.staff: dict[str, list[str]] = {}
        self.lookup_checks: list[tuple[str, float, str, bool]] = []

    @property
    def env(self) -> dict[str, str]:
        return {
            "CASCADE_DATABASE_URL": self.url,
            "CASCADE_SCHEDULER": "off",
            "CASCADE_SECRET_KEY": seed.SECRET,
            "CASCADE_DB_POOL_SIZE": str(POOL),
        }

    def prepare(self) -> None:
        started = time.perf_counter()
        self.url = seed.recreate(self.server_url, DATABASE)
        now = datetime.now(UTC)
        with seed.connect(self.url) as db:
            operators = seed.seed_operators(db, self.sizes.operators, now)
            self.tokens = operators.tokens
            self.staff = seed.seed_staff(db, MIX_MANAGERS, now)
            for name, size in (("small", self.sizes.small), ("large", self.sizes.large)):
                self.campaigns[name] = seed.seed_campaign(db, name, size, now)
            db.execute(BARE_TABLE)
            db.execute(
                "INSERT INTO bare_job (payload)"
                " SELECT 'contact ' || g FROM generate_series(1, %s) g",
                (self.sizes.large,),
            )
            db.execute("VACUUM ANALYZE")
        (self.folder / "tokens.txt").write_text("\n".join(self.tokens) + "\n")
        print(
            f"seeded {self.sizes.small:,} + {self.sizes.large:,} contacts and"
            f" {self.sizes.operators:,} operators in {time.perf_counter() - started:.0f} s",
            flush=True,
        )

    def bare(self) -> None:
        print("bare FastAPI + asyncpg SKIP LOCKED endpoint (the ceiling), wrk:", flush=True)
        env = {"BENCH_BARE_DSN": self.url, "BENCH_BARE_POOL": str(POOL)}
        with server("bench.bare:app", env, self.workers, self.log) as base:
            load.wrk_bare(base, 16, 1)
            for level in LEVELS:
                with seed.connect(self.url) as db:
                    db.execute("UPDATE bare_job SET leased_at = NULL, leased_by = NULL")
                    db.execute("VACUUM bare_job")
                result = load.wrk_bare(base, level, self.sizes.seconds)
                show(f"{level} connections", result)
                self.figures[f"bare {level}"] = result.rate

    def scenario(self, label: str, campaign: str, window: tuple[clock_time, clock_time]) -> None:
        print(f"{label}:", flush=True)
        with seed.connect(self.url) as db:
            seed.activate(db, self.campaigns[campaign], *window)
            seed.reset(db)
        with server("app.main:create_app", self.env, self.workers, self.log) as base:
            run(load.rounds_for(base, self.tokens, outcome, 16, 1))  # warm up
            for level in LEVELS:
                self._next_only(label, base, level)
            for level in LEVELS:
                self._reset()
                result = run(load.rounds_for(base, self.tokens, outcome, level, self.sizes.seconds))
                show(f"next+outcome, {level} operators", result, "rounds/s")
                self.figures[f"{label} rounds {level}"] = result.rate

    def _next_only(self, label: str, base: str, level: int) -> None:
        self._reset()
        since = datetime.now(UTC)
        result = load.wrk_next(base, self.folder / "tokens.txt", level, self.sizes.seconds)
        with seed.connect(self.url) as db:
            claims = seed.leases_since(db, since)
        show(f"next-call, {level} operators", result)
        if claims < 0.95 * (result.requests - result.errors.get("non-2xx", 0)):
            print(f"    note: only {claims:,} claims for {result.requests:,} answers")
        self.figures[f"{label} next {level}"] = result.rate

    def _reset(self) -> None:
        with seed.connect(self.url) as db:
            seed.wait_idle(db)
            seed.reset(db)

    def against_bare(self) -> None:
        """Cascade and the floor's bare endpoint, one process each, driven alike in turn."""
        print(
            "Cascade against the floor's bare endpoint (the same statements), one process"
            f" each, alternating, {MIX_OPERATORS} operators:",
            flush=True,
        )
        with seed.connect(self.url) as db:
            seed.activate(db, self.campaigns["small"], clock_time(0, 0), clock_time.max)
        bare_env = {**self.env, "CASCADE_DB_POOL_SIZE": str(POOL)}
        with (
            server("app.main:create_app", self.env, 1, self.log, scheduler=False) as cascade,
            server("bench.bare_floor:app", bare_env, 1, self.log) as bare,
        ):
            targets = {"cascade": cascade, "bare": bare}
            for base in targets.values():
                run(load.rounds_for(base, self.tokens, outcome, 16, 1))  # warm up
            rounds: dict[str, list[float]] = {"cascade": [], "bare": []}
            for _ in range(RATIO_RUNS):
                for name, base in targets.items():
                    self._reset()
                    result = run(
                        load.rounds_for(
                            base, self.tokens, outcome, MIX_OPERATORS, self.sizes.seconds
                        )
                    )
                    show(f"next+outcome, {name}", result, "rounds/s")
                    rounds[name].append(result.rate)
            ratio = sum(rounds["cascade"]) / sum(rounds["bare"])
            print(f"  next+outcome, Cascade / bare: {ratio:.2f}", flush=True)
            self.figures["rounds / bare"] = ratio
            mixes = {}
            for name, base in targets.items():
                self._reset()
                mixes[name] = run(
                    load.floor_mix(
                        base,
                        self.tokens,
                        self.staff,
                        MIX_OPERATORS,
                        MIX_SECONDS * self.sizes.seconds,
                    )
                )
        self._show_mix(mixes["cascade"], mixes["bare"])

    def _show_mix(self, cascade: load.Mix, bare: load.Mix) -> None:
        print("  the floor's mix, p50 / p99 in ms, Cascade against bare (ratio of p50s):")
        for name in sorted(cascade.took):
            ours, theirs = cascade.took[name], bare.took.get(name, [])
            p = load.percentile_ms
            ratio = p(ours, 0.5) / p(theirs, 0.5) if theirs else float("nan")
            print(
                f"    {name:<26} {p(ours, 0.5):6.1f} / {p(ours, 0.99):6.1f}"
                f"   bare {p(theirs, 0.5):6.1f} / {p(theirs, 0.99):6.1f}"
                f"   ratio {ratio:5.2f}   ({len(ours):,} / {len(theirs):,})",
                flush=True,
            )
        for name, mix in (("Cascade", cascade), ("bare", bare)):
            if mix.errors:
                print(f"    {name} errors: {dict(mix.errors)}")

    def open_loop(self) -> None:
        # A share of this machine, whatever it is: a tenth of the bare endpoint's peak in
        # requests. Each round is two (the next-call, then its outcome): half that in rounds.
        requests = round(OPEN_LOOP_SHARE * max(self.figures[f"bare {n}"] for n in LEVELS))
        rate = requests / 2
        print(
            f"open loop, {rate:g} next-calls per second, each followed by its outcome: {requests}"
            " requests/s, a tenth of the bare endpoint's peak (the first 5 s not counted):",
            flush=True,
        )
        with seed.connect(self.url) as db:
            seed.activate(db, self.campaigns["large"], clock_time(0, 0), clock_time.max)
            seed.reset(db)
        with server("app.main:create_app", self.env, self.workers, self.log) as base:
            run(load.rounds_for(base, self.tokens, outcome, 16, 1))
            self._reset()
            result = run(
                load.open_loop(
                    base, self.tokens, outcome, rate, self.sizes.open_loop_seconds, warmup=5
                )
            )
        show(f"{rate:g} rounds/s offered", result, "rounds/s")
        print(
            f"    max {result.extra['max_ms']:.1f} ms, generator lag p99"
            f" {result.extra['generator_lag_p99_ms']:.1f} ms"
        )
        self.figures["open p99"] = result.p99_ms

    def endurance(self) -> None:
        leases = self.sizes.endurance
        print(f"endurance: {leases:,} leases in a row on the large base, 64 operators:")
        with seed.connect(self.url) as db:
            seed.activate(db, self.campaigns["large"], clock_time(0, 0), clock_time.max)
            seed.reset(db)
        with server("app.main:create_app", self.env, self.workers, self.log) as base:
            tenths = run(load.endurance(base, self.tokens, outcome, 64, leases))
        print("  leases/s per tenth: " + ", ".join(f"{rate:,.0f}" for rate in tenths))
        self.figures["endurance first"] = tenths[0]
        self.figures["endurance last"] = tenths[-1]

    def peer(self) -> None:
        try:
            from bench.peer import pgqueuer_jobs_per_second
        except ImportError:
            return
        name = f"{DATABASE}_peer"
        url = seed.database_url(self.server_url, name)
        seed.create_empty(self.server_url, name)
        try:
            rate = run(pgqueuer_jobs_per_second(url))
            print(f"peer: pgqueuer single-job dequeue {rate:,.0f} jobs/s (no HTTP)")
            self.figures["peer"] = rate
        finally:
            seed.drop(self.server_url, name)

    def lookups(self) -> None:
        """Staff's contact search by number and campaign stats, on the large base as it is
        now; the floor's reads with the small campaign active, then the large one."""
        floor: list[dict[str, lookups.Percentiles]] = []
        for name in ("small", "large"):
            with seed.connect(self.url) as db:
                seed.activate(db, self.campaigns[name], clock_time(0, 0), clock_time.max)
            with server("app.main:create_app", self.env, self.workers, self.log) as base:
                # Thousands of operators make each `/operators/live` long: fewer rounds.
                floor.append(lookups.measure_floor(base, self.url, FLOOR_ROUNDS))
                if name == "large":
                    timings = lookups.measure(base, self.url, self.campaigns["large"])
        sizes = (self.sizes.small, self.sizes.large)
        self.lookup_checks = lookups.report(timings, self.sizes.large)
        self.lookup_checks += lookups.report_floor(floor[0], floor[1], sizes)

    def summary(self) -> None:
        f = self.figures
        peak = max(f[f"friendly, small base next {n}"] for n in LEVELS)
        ceiling = max(f[f"bare {n}"] for n in LEVELS)
        small = max(f[f"friendly, small base rounds {n}"] for n in LEVELS)
        large = max(f[f"friendly, large base rounds {n}"] for n in LEVELS)
        large_next = max(f[f"friendly, large base next {n}"] for n in LEVELS)
        outside = max(f[f"90% outside, large base next {n}"] for n in LEVELS)
        outside_rounds = max(f[f"90% outside, large base rounds {n}"] for n in LEVELS)
        checks = [
            ("peak next-call / bare endpoint", peak / ceiling, ">= 0.60", peak / ceiling >= 0.6),
            ("p99 under a tenth of bare's peak (ms)", f["open p99"], "<= 25",
             f["open p99"] <= 25),
            ("next+outcome / bare's, one process", f["rounds / bare"], ">= 0.80",
             f["rounds / bare"] >= 0.8),
            ("small / large next-call", peak / large_next, "<= 1.20", peak / large_next <= 1.2),
            ("small / large next+outcome", small / large, "<= 1.20", small / large <= 1.2),
            ("90% outside / friendly next-call", outside / large_next, ">= 0.80",
             outside / large_next >= 0.8),
            ("90% outside / friendly next+outcome", outside_rounds / large, ">= 0.80",
             outside_rounds / large >= 0.8),
            ("endurance last / first tenth", f["endurance last"] / f["endurance first"],
             ">= 0.80", f["endurance last"] / f["endurance first"] >= 0.8),
        ]  # fmt: skip
        checks += self.lookup_checks
        if "peer" in f:
            print(
                f"Cascade's peak next-call over HTTP / pgqueuer's dequeue: {peak / f['peer']:.2f}"
                f" ({peak:,.0f} / {f['peer']:,.0f} per second)"
            )
        print("targets:")
        for name, value, target, met in checks:
            print(f"  {name:<38} {value:8.2f}  target {target:<8} {'met' if met else 'MISSED'}")

    def tidy(self) -> None:
        """Remove the run's folder unless the server logged an error worth reading."""
        log = self.log.read_text() if self.log.exists() else ""
        if "Traceback" in log or "ERROR" in log:
            print(f"the server logged errors: {self.log}")
            return
        shutil.rmtree(self.folder, ignore_errors=True)

    def run(self) -> None:
        print(
            f"Cascade queue benchmark ({'quick' if self.sizes is QUICK else 'full'}),"
            f" uvicorn --workers {self.workers}, PostgreSQL at {self.server_url}; log {self.log}",
            flush=True,
        )
        self.prepare()
        self.bare()
        if self.mix_only:
            self.against_bare()
            self.open_loop()
            return
        everything = (clock_time(0, 0), clock_time.max)
        self.scenario("friendly, small base", "small", everything)
        self.scenario("friendly, large base", "large", everything)
        moscow = seed.moscow_only_window(datetime.now(UTC))
        self.scenario("90% outside, large base", "large", moscow)
        self.against_bare()
        self.open_loop()
        self.endurance()
        self.lookups()
        self.peer()
        self.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run proving every part")
    parser.add_argument(
        "--mix-only",
        action="store_true",
        help="only the bare endpoints, Cascade against the floor's bare one, and the open loop",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CASCADE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server the benchmark may create databases on",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the benchmark database and the run's folder"
    )
    args = parser.parse_args()
    bench = Bench(args)
    try:
        bench.run()
    finally:
        if not args.keep:
            seed.drop(args.postgres, DATABASE)
            bench.tidy()


if __name__ == "__main__":
    main()
