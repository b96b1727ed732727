"""The peer: pgqueuer's single-job dequeue on the same PostgreSQL, as a yardstick."""

import asyncio
import time
from datetime import timedelta

import asyncpg
from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager
from pgqueuer.types import QueueExecutionMode


async def pgqueuer_jobs_per_second(dsn: str, jobs: int = 3_000) -> float:
    """Jobs/s for pgqueuer draining `jobs` no-op jobs one at a time (batch size 1)."""
    connection = await asyncpg.connect(dsn)
    try:
        driver = AsyncpgDriver(connection)
        queries = Queries(driver)
        await queries.install()
        await queries.enqueue(["bench"] * jobs, [None] * jobs, [0] * jobs)
        manager = QueueManager(queries)

        @manager.entrypoint("bench")
        async def work(_job: Job) -> None:
            return None

        started = time.perf_counter()
        await manager.run(
            batch_size=1, mode=QueueExecutionMode.drain, dequeue_timeout=timedelta(seconds=1)
        )
        return jobs / (time.perf_counter() - started)
    finally:
        await connection.close()


async def _main() -> None:
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute("DROP DATABASE IF EXISTS cascade_bench_peer")
    await admin.execute("CREATE DATABASE cascade_bench_peer")
    try:
        rate = await pgqueuer_jobs_per_second(
            "postgresql://postgres@127.0.0.1:5432/cascade_bench_peer"
        )
        print(f"pgqueuer single-job dequeue: {rate:,.0f} jobs/s")
    finally:
        await admin.execute("DROP DATABASE IF EXISTS cascade_bench_peer WITH (FORCE)")
        await admin.close()


if __name__ == "__main__":
    asyncio.run(_main())
