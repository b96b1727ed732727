"""The browser harness: Chromium's options, seeding the served app, logging in, screenshots."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from playwright.sync_api import Dialog, Page
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import Role
from tests.builders import PASSWORD, Actor, actor

# The system's Chromium, never a downloaded build. --no-sandbox because the tests may run as
# root (CI does); the rest keeps the browser from reaching out or doing work the tests don't need.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

T = TypeVar("T")
Work = Callable[[httpx.AsyncClient, async_sessionmaker[AsyncSession]], Awaitable[T]]


@dataclass(frozen=True)
class Floor:
    """The served app and its database, for seeding and checking from the tests."""

    url: str
    database_url: str

    @property
    def backend(self) -> str:
        return self.database_url.split(":", 1)[0]

    def run(self, work: "Work[T]") -> T:
        """Run async seeding work against the served app, on a loop of its own.

        A thread of its own: Playwright's sync API owns this thread's event loop.
        """

        async def runner() -> T:
            engine = create_engine(self.database_url)
            try:
                async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
                    return await work(client, create_sessionmaker(engine))
            finally:
                await engine.dispose()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, runner()).result()


def log_in(page: Page, floor: Floor, who: Actor, landing: str) -> None:
    """Log in through the form and land on the role's page."""
    page.goto(floor.url + "/")
    page.locator("#username").fill(who.login)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(re.escape(landing) + "$"))


def answering(asked: list[str], accept: bool) -> Callable[[Dialog], None]:
    """A dialog's handler: it keeps the question in `asked`, then accepts or dismisses it."""

    def reply(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    return reply


def shoot(page: Page, floor: Floor, name: str) -> None:
    """Keep a screenshot of the page as an artefact of the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{floor.backend}.png", full_page=True)


async def lunch_break(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> None:
    """The admin's break code `lunch` (unpaid), for an operator to take."""
    admin = await actor(client, maker, Role.ADMIN)
    added = await client.post(
        "/api/v1/break-codes",
        json={"code": "lunch", "label": "Обед", "paid": False},
        headers=admin.headers,
    )
    assert added.status_code == 201
