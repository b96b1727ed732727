"""Screenshots of every page at 1366×768 and 390 px wide, in Russian and English.

.venv/bin/python -m scripts.screenshots   # against a fresh SQLite floor; PNGs in artifacts/
"""

import asyncio
import re
import tempfile
import uuid
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialer.base.models import Desk, Role
from dialer.base.schema import upgrade
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Floor
from tests.browser.test_operator import seed_floor
from tests.builders import PASSWORD, Actor, actor, contact
from tests.live import live_server

SIZES = {"1366": {"width": 1366, "height": 768}, "390": {"width": 390, "height": 844}}


def log_in(page: Page, url: str, who: Actor, language: str) -> None:
    page.goto(f"{url}/?lang={language}")
    page.locator("#username").fill(who.login)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"/(operator|supervisor|manager|accounts)$"))


def main() -> None:
    database = Path(tempfile.mkdtemp()) / "shots.db"
    url = f"sqlite:///{database}"
    upgrade(url)
    with live_server(url) as server:
        floor = Floor(server.url, url)
        scene = seed_floor(floor, contacts=8)

        async def more(client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]) -> Actor:
            admin = await actor(client, maker, Role.ADMIN)
            await client.post(
                "/api/v1/break-codes",
                json={"code": "lunch", "label": "Обед / Lunch", "paid": False},
                headers=admin.headers,
            )
            developer = await actor(client, maker, Role.MANAGER, desk=Desk.DEVELOPMENT, capacity=5)
            # Two warm questionnaires, one of them already a client: the managers' pages say so.
            for _ in range(2):
                lease = await client.post("/api/v1/dialer/next", headers=scene.operator.headers)
                answers = {"contact_person": "Иван Петрович", "need": "бумага A4", "volume": 40}
                body = {"disposition": "warm", "questionnaire": answers, "notes": "после обеда"}
                await client.post(
                    f"/api/v1/leases/{lease.json()['lease_id']}/outcome",
                    json=body,
                    headers=scene.operator.headers,
                )
            listed = await client.get("/api/v1/questionnaires", headers=scene.manager.headers)
            first = listed.json()[0]["id"]
            for status in ({"status": "in_progress"}, {"status": "first_order", "amount": "15000"}):
                await client.post(
                    f"/api/v1/questionnaires/{first}/status",
                    json=status,
                    headers=scene.manager.headers,
                )
            # The first order closed every number of its company: others to call meanwhile.
            campaigns = await client.get("/api/v1/campaigns", headers=scene.supervisor.headers)
            for _ in range(4):
                number = f"+7495{uuid.uuid4().int % 10**7:07d}"
                await contact(
                    maker,
                    campaigns.json()[0]["id"],
                    number,
                    timezone=scene.zone,
                    company="ООО Лютик",
                )
            return developer

        developer = floor.run(more)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for language in ("ru", "en"):
                for size, viewport in SIZES.items():
                    context = browser.new_context(viewport=viewport, timezone_id="Europe/Moscow")
                    page = context.new_page()
                    log_in(page, server.url, scene.operator, language)
                    page.locator("#next").click()
                    page.locator("#call").wait_for()
                    page.locator("input[value=not_interested]").check()
                    page.locator("#outcome button[type=submit]").click()
                    page.locator(".field-error").wait_for()
                    page.screenshot(path=SCREENSHOTS / f"page-operator-{language}-{size}.png",
                                    full_page=True)  # fmt: skip
                    page.locator("#release").click()
                    people = (
                        (scene.supervisor, "supervisor"),
                        (scene.manager, "manager"),
                        (developer, "accounts"),
                    )
                    for who, name in people:
                        page.locator("#logout").click()
                        # Logging out goes to the login page: going there too at once aborts.
                        page.locator("#username").wait_for()
                        log_in(page, server.url, who, language)
                        page.wait_for_timeout(1500)
                        page.screenshot(path=SCREENSHOTS / f"page-{name}-{language}-{size}.png",
                                        full_page=True)  # fmt: skip
                    page.goto(f"{server.url}/nowhere")
                    page.screenshot(path=SCREENSHOTS / f"page-missing-{language}-{size}.png")
                    page.goto(f"{server.url}/")
                    page.screenshot(path=SCREENSHOTS / f"page-login-{language}-{size}.png")
                    context.close()
            browser.close()


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
