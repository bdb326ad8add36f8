"""axe-core on every page of every role, dialogs open too (issue 16): no serious or critical violation
(contrast of every text, names of every control and image, ARIA), at the school laptop's 1366×768."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import sign_in, wait_for_app

pytestmark = pytest.mark.browser

PAGES = {
    "Enseignant — LEFEBVRE Marc": ("tableau-de-bord", "accueil", "bilans", "conseil-de-classe", "notation", "saisie"),
    "DDFPT — DUBREUIL Claire": ("tableau-de-bord", "accueil", "bilans", "conseil-de-classe", "import"),
    "Administrateur — ROUSSEL Alain": ("accueil", "comptes", "import"),
}
_axe = Axe()


def serious_violations(page) -> list[str]:
    found = _axe.run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} — {v['nodes'][0].get('failureSummary', '')[:160]}"
            for v in found if v["impact"] in ("serious", "critical")]


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("account", list(PAGES))
def test_every_page_of_the_role_has_no_serious_violation(server, laptop, account):
    page, problems = laptop, {}
    paths = PAGES[account]
    sign_in(page, server.url, account, path=f"{paths[0]}?classe=1MELEC")
    for path in paths:
        page.goto(f"{server.url}/{path}?classe=1MELEC")
        wait_for_app(page)
        page.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for()
        problems[path] = serious_violations(page)
        if path == "tableau-de-bord":
            page.locator("#lv-C1 button.lv-ask").click()
            page.locator("dialog.lv-dialog[open]").wait_for()
            problems["dialogue « ? »"] = serious_violations(page)
            page.keyboard.press("Escape")
            page.locator("button.lv-bi-open").click()
            page.get_by_role("dialog").get_by_role("button", name="Confirmer le bilan").wait_for()
            wait_for_app(page)
            page.get_by_role("dialog").locator("svg.radar[role='img']").wait_for()
            problems["dialogue BI"] = serious_violations(page)
            page.get_by_role("dialog").get_by_role("button", name="Fermer").click()
            wait_for_app(page)
    assert {where: found for where, found in problems.items() if found} == {}


def test_a_learners_page_has_no_serious_violation(server, laptop):
    from livret.db import connect

    db = connect(server.db_path)
    account = db.execute("SELECT u.name FROM users u JOIN learners l ON l.id = u.learner_id JOIN classes c ON "
                         "c.id = l.class_id WHERE c.name = '1MELEC' ORDER BY l.last_name, l.first_name LIMIT 1").fetchone()[0]
    db.close()
    sign_in(laptop, server.url, f"Apprenant — {account}", path="bilans")
    laptop.locator("svg.radar[role='img']").first.wait_for()
    assert serious_violations(laptop) == []
