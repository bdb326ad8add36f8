import pytest
from playwright.sync_api import expect

from .conftest import sign_in, wait_for_app

pytestmark = pytest.mark.browser


def test_teacher_signs_in_and_sees_navigation(server, page):
    sign_in(page, server.url, "Enseignant — LEFEBVRE Marc", path="accueil")
    expect(page.get_by_role("heading", name="Livret de compétences")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("LEFEBVRE Marc")).to_be_visible()
    expect(page.get_by_text("Démonstration").first).to_be_visible()
    expect(page.get_by_role("rowheader", name="2MELEC")).to_be_visible()
    page.screenshot(path="/tmp/shell.png")
    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)
    expect(page.get_by_label("Compte de démonstration")).to_be_visible()
