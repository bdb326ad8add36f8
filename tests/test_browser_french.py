"""In the browser (issue 11): none of Streamlit's own English texts reaches a teacher, a DDFPT, an
administrator or a learner — placeholders, « Select all », the file uploader, the table and chart
toolbars, « Press Enter to apply », « No results » — on any page, hover toolbars and open lists included."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from livret.db import connect

from .conftest import close_lists, wait_for_app
from .test_browser_security import demo_sign_in, learner_of

pytestmark = pytest.mark.browser

ENGLISH = re.compile(
    r"Select all|Select \d+ matches|Choose options?|Choose an option|Drag and drop|Browse files|\bUpload\b|"
    r"per file|\bSearch\b|\bDownload\b|Fullscreen|Close fullscreen|Press (Enter|Ctrl|⌘)|No results|View Source|"
    r"Save as (SVG|PNG)|Open in Vega Editor|Show/hide columns|Add row|Delete row|Clear all|Remove an option")

# What a user sees (innerText) and what the toolbars and buttons say to a screen reader or in a tooltip.
_SHOWN = """() => {
  const texts = [document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
    for (const name of ['aria-label', 'title']) if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    if (el.getAttribute('placeholder') && !el.value) texts.push(el.getAttribute('placeholder'));  // shown when empty
  }
  return texts.join('\\n');
}"""


def english_shown(page) -> list[str]:
    page.wait_for_timeout(200)  # let a hover toolbar or a list finish opening
    found = []
    for frame in page.frames:
        if frame.is_detached() or "st_aggrid" in frame.url:  # the entry grid's own texts are Livret's
            continue
        found += [m.group(0) for m in ENGLISH.finditer(frame.evaluate(_SHOWN))]
    return found


_FOUND: list[tuple[str, list[str]]] = []  # every place checked in the running test, and what it showed


@pytest.fixture(autouse=True)
def _report_every_place():
    _FOUND.clear()
    yield
    found = [(where, texts) for where, texts in _FOUND if texts]
    assert found == [], "\n".join(f"{where}: {sorted(set(texts))}" for where, texts in found)


def _no_english(page, where: str) -> None:
    _FOUND.append((where, english_shown(page)))


def _hover_every_table_and_chart(page, where: str) -> None:
    for selector in ("[data-testid='stDataFrame']", "[data-testid='stVegaLiteChart']", "[data-testid='stTable']"):
        for element in page.locator(selector).all():
            if element.is_visible():
                element.hover()
                _no_english(page, f"{where}: survol de {selector}")


def _visit(page, url: str, path: str, heading: str) -> None:
    page.goto(f"{url}/{path}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    _no_english(page, path)
    _hover_every_table_and_chart(page, path)


def _saisie_inputs(page, where: str) -> None:
    title = page.get_by_label("Titre de l'évaluation")
    title.first.fill("Contrôle")  # a typed, not yet applied, value shows the input's instructions
    _no_english(page, f"{where}: titre en cours de saisie")
    page.get_by_label("Compétences évaluées").first.click()  # the open list (with its « select all » line)
    _no_english(page, f"{where}: liste des compétences")
    page.keyboard.type("zzzz")  # nothing matches
    _no_english(page, f"{where}: aucune compétence trouvée")
    close_lists(page)
    page.get_by_label("Évaluation", exact=True).click()
    page.keyboard.type("zzzz")
    _no_english(page, f"{where}: aucune évaluation trouvée")
    close_lists(page)


def _staff(page, url: str, role: str) -> None:
    _visit(page, url, "accueil", "Livret de compétences")
    _visit(page, url, "tableau-de-bord", "Tableau de bord")
    page.get_by_role("button", name="BI", exact=True).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    _no_english(page, f"{role}: dialogue BI")
    _hover_every_table_and_chart(page, f"{role}: dialogue BI")
    _visit(page, url, "bilans", "Bilans de compétences")
    page.get_by_text("Bilans de la classe", exact=True).click()
    _hover_every_table_and_chart(page, f"{role}: bilans de la classe")
    _visit(page, url, "notation", "Notation")
    _visit(page, url, "saisie", "Saisie")
    _saisie_inputs(page, role)


@pytest.mark.parametrize(("role", "account"), [("teacher", "Enseignant — LEFEBVRE Marc"), ("ddfpt", "DDFPT")])
def test_staff_see_no_english(server, page, role, account):
    demo_sign_in(page, server.url, account, "")
    _no_english(page, f"{role}: première page")
    _staff(page, server.url, role)
    if role == "ddfpt":
        _visit(page, server.url, "import", "Import")


def test_admin_and_learner_see_no_english(server, page):
    demo_sign_in(page, server.url, "Administrateur — ROUSSEL Alain", "accueil")
    _visit(page, server.url, "accueil", "Livret de compétences")
    _visit(page, server.url, "comptes", "Comptes")
    page.get_by_label("Rechercher (nom ou adresse e-mail)").fill("MARTIN")
    _no_english(page, "comptes: recherche en cours de saisie")
    page.get_by_role("tab", name="Créer un compte").click()
    page.get_by_label("Classes", exact=True).first.click()
    _no_english(page, "comptes: liste des classes")
    close_lists(page)
    _visit(page, server.url, "import", "Import")
    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)

    db = connect(server.db_path)
    me = learner_of(db, "2MELEC")
    db.close()
    demo_sign_in(page, server.url, f"Apprenant — {me['account']} ({me['class']})", "bilans")
    _no_english(page, "apprenant: bilans")
    _hover_every_table_and_chart(page, "apprenant: bilans")


def test_the_english_detector_sees_what_it_must(server, page):
    """The check itself: Streamlit's English texts are found when they are there."""
    page.set_content("<p>Drag and drop file here</p><button aria-label='Fullscreen'>x</button>"
                     "<input placeholder='Choose options'><input placeholder='Choose an option' value='2MELEC'>"
                     "<span style='visibility:hidden'>Search</span>")
    assert english_shown(page) == ["Drag and drop", "Fullscreen", "Choose options"]
