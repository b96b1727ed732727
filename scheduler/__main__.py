"""`python -m scheduler`: the scheduler alone, beside apps run with CASCADE_SCHEDULER=off."""

import asyncio
import logging
import signal

from dialer.base.db import create_engine
from dialer.base.recording_store import store_from
from dialer.base.settings import Settings
from dialer.sales.policy import policy_from
from scheduler.service import CascadeScheduler


async def serve(settings: Settings) -> None:
    """Run the scheduler until SIGINT or SIGTERM."""
    engine = create_engine(settings.database_url)
    service = CascadeScheduler(
        engine, settings.database_url, policy=policy_from(settings), store=store_from(settings)
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await service.start()
        await stop.wait()
    finally:
        await service.stop()
        await engine.dispose()


def main() -> None:
    """Entry point: configuration from the environment, as the app reads it."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(Settings()))


if __name__ == "__main__":
    main()
