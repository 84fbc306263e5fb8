"""A live server (uvicorn in a thread, on the test database) and Chromium driven by Playwright.

Chromium is Debian's (`make system-deps` installs it; browsers are never downloaded): its path is
GZGOV_CHROMIUM, default /usr/bin/chromium. A missing browser fails the run rather than skipping it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

CHROMIUM = os.environ.get("GZGOV_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    from gzgov.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # A loaded CI machine (2 cores) may take seconds for one page; waiting longer changes no outcome.
    expect.set_options(timeout=20_000)

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make system-deps` (apt install chromium) "
                    "or point GZGOV_CHROMIUM at it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-extensions", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def as_user(browser, live_server, users):
    """Open a fresh browser context logged in as a persona (each official has their own session)."""
    from playwright.sync_api import expect

    from tests.personas import TEST_PASSWORD

    contexts = []

    def login(username: str):
        context = browser.new_context(base_url=live_server, accept_downloads=True, locale="zh-CN")
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".userbox form[action='/logout']")).to_be_visible()
        return page

    yield login
    for c in contexts:
        c.close()


@pytest.fixture(autouse=True)
def next_years_schedule(session):
    """Pages count deadlines from the real today, which near the year's end run into a year whose official
    holiday schedule may not be published or packaged yet (then every deadline is refused, as it must be in
    production). These walkthroughs are not about that: give the test database a labelled stand-in for next
    year (weekends only, plus New Year's Day) when the package does not know it."""
    from datetime import date

    from gzgov.core.models import WorkdayYear
    from gzgov.core.workdays import package_years

    year = date.today().year + 1
    if year not in package_years() and session.get(WorkdayYear, year) is None:
        session.add(WorkdayYear(year=year, holidays=[f"{year}-01-01"], workdays=[],
                                source="测试用替代安排（非官方）/ test stand-in, not the official schedule",
                                loaded_by="test"))
        session.commit()
