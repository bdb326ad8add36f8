"""In the browser (issue 18): Markdown in a learner's name, a class name, an evaluation title, Constats, a
competency or a criterion loads no remote image and makes no link, on every page and for every role; a
bare address in them is not made a link either."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from livret.db import connect
from livret.tools.serving import StreamlitServer

from .conftest import wait_for_app
from .test_browser_security import demo_sign_in, learner_of

pytestmark = pytest.mark.browser

TRAP = "127.0.0.1:9/"  # nothing listens on port 9: a request there can only come from injected Markdown
HOSTILE = "![x](http://127.0.0.1:9/x.png) [lien](http://exemple.fr) http://exemple.fr www.exemple.fr"
CLASS_NAME = f"2MELEC {HOSTILE}"
LAST_NAME = f"AARON {HOSTILE}"


@pytest.fixture(scope="module")
def hostile_server(databases, tmp_path_factory, demo_template):
    path = databases.copy(demo_template, "privacy", tmp_path_factory.mktemp("privacy"))
    db = connect(path)
    victim = learner_of(db, "2MELEC")
    db.execute("UPDATE classes SET name = ? WHERE name = '2MELEC'", [CLASS_NAME])
    db.execute("UPDATE learners SET last_name = ? WHERE id = ?", [LAST_NAME, victim["id"]])
    first_name = db.execute("SELECT first_name FROM learners WHERE id = ?", [victim["id"]]).fetchone()[0]
    db.execute("UPDATE users SET name = ? WHERE learner_id = ?", [f"{LAST_NAME} {first_name}", victim["id"]])
    evaluation = db.execute(
        "SELECT e.id FROM evaluations e JOIN results r ON r.evaluation_id = e.id WHERE r.learner_id = ? "
        "AND e.context = 'school' ORDER BY e.modified_at DESC LIMIT 1", [victim["id"]]).fetchone()[0]
    db.execute("UPDATE evaluations SET title = ? WHERE id = ?", [f"Contrôle {HOSTILE}", evaluation])
    db.execute("UPDATE bilans SET constats = ?, conseils = ? WHERE learner_id = ? AND status = 'validated'",
               [f"Constats {HOSTILE}", f"Conseils {HOSTILE}", victim["id"]])
    latest = db.execute("SELECT id FROM bilans WHERE learner_id = ? AND status = 'validated' "
                        "ORDER BY validated_at DESC LIMIT 1", [victim["id"]]).fetchone()[0]
    db.execute("UPDATE bilans SET status = 'unlocked' WHERE id = ?", [latest])  # the edit form's labels too
    db.execute("UPDATE competencies SET title = ? WHERE code = 'C1'", [f"Collecter {HOSTILE}"])
    db.execute("UPDATE criteria SET text = ? WHERE id = (SELECT cr.id FROM criteria cr JOIN competencies c "
               "ON c.id = cr.competency_id WHERE c.code = 'C1' ORDER BY cr.position LIMIT 1)",
               [f"Critère {HOSTILE}"])
    db.close()
    server = StreamlitServer(path)
    server.learner_name = f"{LAST_NAME} {first_name}"
    yield server
    server.stop()


def _watch(page) -> list[str]:
    trapped = []
    page.on("request", lambda request: trapped.append(request.url) if TRAP in request.url else None)
    return trapped


def _nothing_leaked(page, trapped, where: str) -> None:
    page.wait_for_timeout(300)  # let an image request, if any, start
    assert trapped == [], where
    for frame in page.frames:
        if not frame.is_detached():
            assert frame.locator("a[href*='exemple.fr']").count() == 0, (where, frame.url)
            assert frame.locator("img[src*='127.0.0.1:9']").count() == 0, (where, frame.url)


def _reads(page, text: str) -> None:
    """The text is shown, as text (an invisible word joiner may sit inside an address)."""
    page.wait_for_function("(text) => document.body.innerText.replaceAll('\\u2060', '').includes(text)", arg=text)


def _visit(page, url: str, path: str, heading: str) -> None:
    page.goto(f"{url}/{path}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()


def _staff_pages(page, server, trapped, role: str) -> None:
    url = server.url
    query = f"classe={quote(CLASS_NAME)}&apprenant={quote(server.learner_name)}"
    _visit(page, url, "accueil", "Livret de compétences")
    page.get_by_role("rowheader").first.wait_for()
    _nothing_leaked(page, trapped, f"{role} accueil")
    _reads(page, CLASS_NAME)  # the classes table shows the name as it was typed
    _visit(page, url, f"tableau-de-bord?{query}", "Tableau de bord")
    expect(page.get_by_label("Apprenant")).to_have_value(server.learner_name)
    _nothing_leaked(page, trapped, f"{role} tableau de bord")
    page.get_by_role("button", name="BI", exact=True).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    _nothing_leaked(page, trapped, f"{role} dialogue BI")
    _visit(page, url, f"bilans?{query}", "Bilans de compétences")
    expect(page.get_by_text(f"Constats {HOSTILE}").first).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^C1 : ")).first.click()  # the unlocked bilan's positioning
    expect(page.get_by_role("dialog").get_by_text("Collecter").first).to_be_visible()
    _nothing_leaked(page, trapped, f"{role} bilans")
    _visit(page, url, f"notation?{query}", "Notation")
    _nothing_leaked(page, trapped, f"{role} notation")
    _visit(page, url, f"saisie?classe={quote(CLASS_NAME)}", "Saisie")
    page.get_by_label("Évaluation", exact=True).click()
    page.keyboard.type("Contrôle ![x]")
    page.get_by_role("option").filter(has_text="Contrôle").first.click()
    wait_for_app(page)
    page.get_by_text("Modifier l'évaluation").click()
    expect(page.get_by_text("Critères de C").first).to_be_visible()
    _nothing_leaked(page, trapped, f"{role} saisie")


def test_markdown_in_school_data_loads_nothing_and_links_nothing(hostile_server, browser):
    for role, account in (("teacher", "Enseignant — LEFEBVRE Marc"), ("ddfpt", "DDFPT")):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        context.set_default_timeout(20_000)
        page = context.new_page()
        trapped = _watch(page)
        demo_sign_in(page, hostile_server.url, account, "")
        _staff_pages(page, hostile_server, trapped, role)
        if role == "ddfpt":
            _visit(page, hostile_server.url, "import", "Import")
            _nothing_leaked(page, trapped, "ddfpt import")
        context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(20_000)
    page = context.new_page()
    trapped = _watch(page)
    demo_sign_in(page, hostile_server.url, f"Apprenant — {hostile_server.learner_name}", "bilans")
    expect(page.get_by_text(f"Constats {HOSTILE}").first).to_be_visible()
    _reads(page, f"Bilans de {hostile_server.learner_name}")
    _nothing_leaked(page, trapped, "learner bilans")
    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)
    demo_sign_in(page, hostile_server.url, "Administrateur — ROUSSEL Alain", "accueil")
    _reads(page, CLASS_NAME)
    _nothing_leaked(page, trapped, "admin accueil")
    for path, heading in (("comptes", "Comptes"), ("import", "Import")):
        _visit(page, hostile_server.url, path, heading)
        _nothing_leaked(page, trapped, f"admin {path}")
    context.close()
