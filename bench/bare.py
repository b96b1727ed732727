"""The ceiling: a bare FastAPI + asyncpg endpoint leasing one row with SKIP LOCKED.

No auth, no gate, no ORM: one statement per request on a plain queue table.
Run by the benchmark as `uvicorn bench.bare:app` with `BENCH_BARE_DSN` set.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse

TABLE = """
CREATE TABLE IF NOT EXISTS bare_job (
    id bigserial PRIMARY KEY,
    payload text NOT NULL,
    leased_by integer,
    leased_at timestamptz
);
CREATE INDEX IF NOT EXISTS bare_job_free ON bare_job (id) WHERE leased_at IS NULL;
"""

CLAIM = """
UPDATE bare_job SET leased_at = now(), leased_by = $1
WHERE id = (
    SELECT id FROM bare_job WHERE leased_at IS NULL
    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id, payload, leased_at
"""

state: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    size = int(os.environ.get("BENCH_BARE_POOL", "20"))
    state["pool"] = await asyncpg.create_pool(
        os.environ["BENCH_BARE_DSN"], min_size=size, max_size=size * 2
    )
    try:
        yield
    finally:
        await state["pool"].close()


app = FastAPI(lifespan=lifespan)


@app.post("/lease")
async def lease() -> Any:
    async with state["pool"].acquire() as connection:
        row = await connection.fetchrow(CLAIM, 1)
    if row is None:
        return JSONResponse({"error": "queue_empty"}, status_code=409)
    return {"id": row["id"], "payload": row["payload"], "leased_at": row["leased_at"].isoformat()}
