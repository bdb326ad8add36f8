"""In the browser (SPEC A3, Q3): a learner who edits the page address or its query string sees nothing of
another learner; <script> and <img onerror> payloads in a name, an evaluation title, Constats and a
criterion render as text on every page where they appear, and never run."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from livret.db import connect
from livret.tools.serving import StreamlitServer

from .conftest import wait_for_app

pytestmark = pytest.mark.browser

NAME_PAYLOAD = "<img src=x onerror=\"window.__xss='nom'\">"
FIRST_PAYLOAD = "<script>window.__xss='prenom'</script>"
TITLE_PAYLOAD = "<img src=x onerror=\"window.__xss='titre'\"> Contrôle piégé"
SCRIPT_TITLE_PAYLOAD = "<script>window.__xss='titre2'</script> Contrôle scripté"
CONSTATS_PAYLOAD = "<img src=x onerror=\"window.__xss='constats'\"> **pas du gras** [lien](javascript:alert(1))"
CRITERION_PAYLOAD = "<img src=x onerror=\"window.__xss='critere'\">Les informations nécessaires sont recueillies"


def no_payload_ran(page) -> None:
    """Nothing injected became markup: no script ran, no <img src=x> or injected <script> is in the page."""
    for frame in page.frames:  # the page and its component iframes (the entry grid)
        try:
            assert frame.evaluate("window.__xss") is None, frame.url
        except PlaywrightError as error:
            # A stale aggrid iframe replaced by its reloaded one: the new frame is in page.frames too.
            if "detached" not in str(error):
                raise
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("script:text-matches('__xss')").count() == 0


def demo_sign_in(page, url: str, label: str, path: str) -> None:
    """The demo sign-in, typing into the select box (its long list of learners is virtualised)."""
    page.goto(f"{url}/{path}")
    wait_for_app(page)
    page.get_by_label("Compte de démonstration").click()
    page.keyboard.type(label)
    page.get_by_role("option", name=label).first.click()
    page.get_by_role("button", name="Se connecter").click()
    wait_for_app(page)
    page.get_by_role("button", name="Se déconnecter").wait_for()


def learner_of(db, class_name: str, offset: int = 0) -> dict:
    row = db.execute(
        "SELECT l.id, l.last_name, l.first_name, c.name, u.name FROM learners l JOIN classes c ON c.id = l.class_id "
        "JOIN users u ON u.learner_id = l.id WHERE c.name = ? ORDER BY l.last_name, l.first_name LIMIT 1 OFFSET ?",
        [class_name, offset]).fetchone()
    constats = db.execute("SELECT constats FROM bilans WHERE learner_id = ? AND status = 'validated' "
                          "ORDER BY validated_at DESC LIMIT 1", [row[0]]).fetchone()[0]
    return {"id": row[0], "full_name": f"{row[1]} {row[2]}", "class": row[3], "account": row[4], "constats": constats}


# ---------------------------------------------------------------- a learner edits the URL


def test_learner_editing_the_address_sees_nothing_of_another_learner(server, page):
    db = connect(server.db_path)
    me = learner_of(db, "2MELEC")
    classmate = learner_of(db, "2MELEC", offset=1)
    stranger = learner_of(db, "TMELEC", offset=3)
    db.close()
    demo_sign_in(page, server.url, f"Apprenant — {me['account']} ({me['class']})", "bilans")
    expect(page.get_by_text(f"Bilans de {me['full_name']}")).to_be_visible()
    for title in ("Tableau de bord", "Accueil", "Notation", "Comptes", "Import", "Saisie"):
        expect(page.get_by_role("link", name=title)).to_have_count(0)  # a learner's only page is their bilans

    attempts = [(classmate, path) for path in ("bilans", "tableau-de-bord", "notation", "saisie", "comptes")]
    attempts += [(stranger, path) for path in ("bilans", "accueil", "import")]
    for other, path in attempts:
        query = f"classe={quote(other['class'])}&apprenant={quote(other['full_name'])}"
        page.goto(f"{server.url}/{path}?{query}")  # a new session: the sign-in cookie is used again
        wait_for_app(page)
        expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
        if path == "bilans":
            expect(page.get_by_text(f"Bilans de {me['full_name']}")).to_be_visible()
        else:
            expect(page.get_by_text("Cette page n'est pas accessible avec votre profil (Apprenant).")).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
        assert other["full_name"] not in page.content(), (path, other["full_name"])
        expect(page.get_by_role("button", name="Noter le dernier bilan des apprenants")).to_have_count(0)
        expect(page.get_by_label("Classe")).to_have_count(0)
    page.screenshot(path="/tmp/security_learner_url.png")


# ---------------------------------------------------------------- payloads render as text


@pytest.fixture(scope="module")
def payload_server(databases, tmp_path_factory, demo_template):
    """The demo school with payloads in a learner's name, an evaluation title, Constats and a criterion."""
    path = databases.copy(demo_template, "payloads", tmp_path_factory.mktemp("payloads"))
    db = connect(path)
    victim = learner_of(db, "2MELEC")
    db.execute("UPDATE learners SET last_name = ?, first_name = ? WHERE id = ?",
               [NAME_PAYLOAD, FIRST_PAYLOAD, victim["id"]])
    db.execute("UPDATE users SET name = ? WHERE learner_id = ?", [f"{NAME_PAYLOAD} {FIRST_PAYLOAD}", victim["id"]])
    latest, previous = [r[0] for r in db.execute(
        "SELECT DISTINCT e.id FROM evaluations e JOIN results r ON r.evaluation_id = e.id WHERE r.learner_id = ? "
        "AND e.context = 'school' ORDER BY e.modified_at DESC LIMIT 2", [victim["id"]])]
    db.execute("UPDATE evaluations SET title = ? WHERE id = ?", [TITLE_PAYLOAD, latest])
    db.execute("UPDATE evaluations SET title = ? WHERE id = ?", [SCRIPT_TITLE_PAYLOAD, previous])
    db.execute("UPDATE bilans SET constats = ? WHERE learner_id = ? AND status = 'validated'",
               [CONSTATS_PAYLOAD, victim["id"]])
    db.execute("UPDATE criteria SET text = ? WHERE id = (SELECT cr.id FROM criteria cr JOIN competencies c "
               "ON c.id = cr.competency_id WHERE c.code = 'C1' ORDER BY cr.position LIMIT 1)", [CRITERION_PAYLOAD])
    db.close()
    server = StreamlitServer(path)
    yield server
    server.stop()


PAYLOAD_NAME = f"{NAME_PAYLOAD} {FIRST_PAYLOAD}"


def test_payloads_render_as_text_for_staff(payload_server, page):
    url = payload_server.url
    query = f"classe=2MELEC&apprenant={quote(PAYLOAD_NAME)}"
    demo_sign_in(page, url, "Enseignant — LEFEBVRE Marc", "")
    page.goto(f"{url}/tableau-de-bord?{query}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    expect(page.get_by_label("Apprenant")).to_have_value(PAYLOAD_NAME)
    expect(page.get_by_text(CRITERION_PAYLOAD).first).to_be_visible()
    title_tooltip = page.locator(f"th.lv-h[title^={json.dumps(TITLE_PAYLOAD, ensure_ascii=False)}]")  # the column's tooltip, as text
    expect(title_tooltip.first).to_be_attached()
    no_payload_ran(page)
    page.screenshot(path="/tmp/security_dashboard.png")

    for path, heading in (("bilans", "Bilans de compétences"), ("notation", "Notation")):
        page.goto(f"{url}/{path}?{query}")
        wait_for_app(page)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_label("Apprenant")).to_have_value(PAYLOAD_NAME)
        no_payload_ran(page)
    page.goto(f"{url}/saisie?classe=2MELEC")
    wait_for_app(page)
    for title in (TITLE_PAYLOAD, SCRIPT_TITLE_PAYLOAD):
        page.get_by_label("Évaluation", exact=True).click()
        page.keyboard.type(title.split("> ")[1])
        page.get_by_role("option", name=title).first.click()
        wait_for_app(page)
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        no_payload_ran(page)
    grid = page.frame_locator("iframe[title^='st_aggrid']")
    expect(grid.get_by_text(PAYLOAD_NAME).first).to_be_visible()  # the learner's row of the entry grid
    no_payload_ran(page)
    page.screenshot(path="/tmp/security_saisie.png")

    page.goto(f"{url}/bilans?{query}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=f"Bilan de {PAYLOAD_NAME}")).to_be_visible()
    expect(page.get_by_text(CONSTATS_PAYLOAD).first).to_be_visible()
    no_payload_ran(page)
    page.screenshot(path="/tmp/security_bilans.png")


def test_payloads_render_as_text_for_the_learner_and_the_admin(payload_server, page):
    url = payload_server.url
    demo_sign_in(page, url, f"Apprenant — {PAYLOAD_NAME} (2MELEC)", "bilans")
    expect(page.get_by_test_id("stSidebar").get_by_text(PAYLOAD_NAME)).to_be_visible()
    expect(page.get_by_text(CONSTATS_PAYLOAD).first).to_be_visible()
    no_payload_ran(page)
    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)
    demo_sign_in(page, url, "Administrateur — ROUSSEL Alain", "comptes")
    page.get_by_role("tab", name="Modifier un compte").click()
    page.get_by_label("Compte", exact=True).click()
    page.keyboard.type("window.__xss='nom'")
    expect(page.get_by_role("option", name=PAYLOAD_NAME).first).to_be_visible()
    expect(page.get_by_role("option", name=PAYLOAD_NAME).first).to_contain_text(NAME_PAYLOAD)
    no_payload_ran(page)
