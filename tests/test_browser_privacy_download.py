"""In the browser (issue 18): a downloaded bilan's address is useless outside the session that asked for
it. It does not exist before the click, differs at each download (it is not derived from the content
alone), and is gone once the learner has signed out (a fresh browser without cookies gets nothing)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from livret.db import connect

from .conftest import wait_for_app
from .test_browser_security import demo_sign_in, learner_of

pytestmark = pytest.mark.browser


def _download(page):
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger le bilan (HTML)").click()
    download = info.value
    return download.url, open(download.path(), encoding="utf-8").read()


def test_a_downloaded_bilan_address_is_private_and_released(private_server, page, browser):
    db = connect(private_server.db_path)
    me = learner_of(db, "2MELEC")
    db.close()
    demo_sign_in(page, private_server.url, f"Apprenant — {me['account']} ({me['class']})", "bilans")
    expect(page.get_by_text(f"Bilans de {me['full_name']}")).to_be_visible()
    assert page.locator("a[href*='/media/']").count() == 0  # no address in the page before the click

    first_url, first = _download(page)
    second_url, second = _download(page)
    assert "/media/" in first_url
    assert me["full_name"] in first and me["full_name"] in second  # the learner's own bilan
    assert first_url != second_url

    stranger = browser.new_context()
    try:
        page.get_by_role("button", name="Se déconnecter").click()
        wait_for_app(page)
        page.get_by_label("Compte de démonstration").wait_for()
        for url in (first_url, second_url):
            response = stranger.request.get(url)
            assert response.status == 404, (url, response.status)
            assert me["full_name"] not in response.text()
    finally:
        stranger.close()
