"""The dashboard in headless Chromium: pages load, charts render, no console errors, review by keyboard.

Needs a Chromium binary (Debian's ``chromium``; scripts/browser.sh installs it) and the ``playwright``
package; skipped cleanly when either is missing. ``ALIGNLOOP_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_dashboard import populate


def _chromium() -> str | None:
    env = os.environ.get("ALIGNLOOP_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (run scripts/browser.sh)")


@pytest.fixture
def server(store: Any, fake_guard: Any, tmp_path: Path) -> Iterator[str]:
    import uvicorn

    from alignloop.constitution import load_constitution
    from alignloop.monitor.dashboard import create_app

    populate(store, fake_guard, tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(create_app(store, load_constitution(None)), host="127.0.0.1", port=port, log_level="error")
    )
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 15
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(timeout=5)


@pytest.fixture
def browser_page() -> Iterator[tuple[Any, list[str]]]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(15_000)
        yield page, errors
        browser.close()


def test_pages_load_and_charts_render(server: str, browser_page: tuple[Any, list[str]]) -> None:
    page, errors = browser_page
    for path, charts in (
        ("/", 1),
        ("/gates", 0),
        ("/monitoring", 2),
        ("/review", 0),
        ("/incidents", 0),
        ("/leadership", 1),
    ):
        t0 = time.perf_counter()
        resp = page.goto(server + path)
        assert resp is not None and resp.status == 200, path
        assert page.locator("header a.on").count() == 1
        assert page.locator("svg.chart").count() >= charts, path
        if charts:
            box = page.locator("svg.chart polyline.series").first.bounding_box()
            assert box is not None and box["width"] > 50, path  # a drawn line, not an empty chart
        assert time.perf_counter() - t0 < 10
    page.goto(server + "/")
    assert page.locator("tr.regression").count() == 1
    assert errors == []


def test_review_flow_from_the_keyboard(server: str, browser_page: tuple[Any, list[str]], store: Any) -> None:
    page, errors = browser_page
    page.goto(server + "/review")

    def current() -> str:
        return str(page.locator("#item").get_attribute("data-id"))

    first = current()
    page.fill("#reviewer", "ana")
    page.locator("body").click()  # leave the input so letters are shortcuts again
    with page.expect_navigation():
        page.keyboard.press("a")
    second = current()
    assert second != first
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "category"
    page.select_option("#category", "cbrn")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    third = current()
    assert third not in (first, second)
    page.keyboard.press("c")
    page.keyboard.type("A safe and helpful reply.")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert current() not in (first, second, third)
    with page.expect_navigation():
        page.keyboard.press("d")
    assert errors == []
    from alignloop.monitor import count_items, list_items

    counts = count_items(store.engine)
    assert {k: counts.get(k) for k in ("approved", "relabelled", "corrected", "dismissed")} == dict.fromkeys(
        ("approved", "relabelled", "corrected", "dismissed"), 1
    )
    done = {i.status: i for i in list_items(store.engine, None, limit=10_000) if i.status != "pending"}
    assert done["relabelled"].category == "cbrn" and done["corrected"].correction == "A safe and helpful reply."
    assert {i.reviewer for i in done.values()} == {"ana"}
