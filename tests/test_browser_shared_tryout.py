"""The deployment of docs/deploiement.md tried on loopback (issue 17): two Livret servers on one PostgreSQL
database behind nginx. Each browser sticks to one server (websocket included); when one server is killed
(kill -9), nginx sends its browsers to the other, which serves them, still signed in, with everything."""

from __future__ import annotations

import os
import signal
import urllib.request
from collections import defaultdict

import pytest
from playwright.sync_api import expect

from livret.db import is_postgres
from livret.tools.serving import sign_in, wait_for_app
from livret.tools.shared_tryout import SharedTryout

from .test_browser_bilans import CLASS, TEACHER

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tryout(demo_template):
    found = SharedTryout(2, source=None if is_postgres(demo_template) else demo_template).start()
    yield found
    found.stop()


def routes(tryout) -> dict[str, set[str]]:
    """The servers each browser's requests reached, by the browser's route cookie (nginx's log)."""
    seen = defaultdict(set)
    for line in (tryout.folder / "nginx-access.log").read_text().splitlines():
        route, upstream = line.split()[:2]
        if upstream != "-":
            seen[route].add(upstream)
    return seen


def test_browsers_stick_to_one_server_and_survive_the_loss_of_the_other(tryout, browser):
    with urllib.request.urlopen(f"{tryout.url}/_stcore/health", timeout=5) as answer:
        assert answer.read() == b"ok"
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR") for _ in range(4)]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.goto(tryout.url)
            wait_for_app(page)
            sign_in(page, tryout.url, TEACHER, path=f"tableau-de-bord?classe={CLASS}")
            expect(page.locator("section.lv-comp").first).to_be_visible()
        cookies = [next(c["value"] for c in context.cookies() if c["name"] == "lv_route") for context in contexts]
        seen = routes(tryout)
        for cookie in cookies:
            assert len(seen[cookie]) == 1, seen  # every request of a browser, websocket included, on one server

        ports = {s.port: s for s in tryout.servers}
        lost = ports[int(next(iter(seen[cookies[0]])).rsplit(":", 1)[1])]
        os.kill(lost.process.pid, signal.SIGKILL)
        lost.process.wait(10)
        pages[0].reload()  # nginx finds the server gone and sends the browser to the other
        wait_for_app(pages[0])
        expect(pages[0].get_by_role("button", name="Se déconnecter")).to_be_visible()  # still signed in
        expect(pages[0].locator("section.lv-comp").first).to_be_visible()
    finally:
        for context in contexts:
            context.close()
