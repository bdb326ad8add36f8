"""« Import » in the browser: upload a learners file, read the preview, import, see the class."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import sign_in, wait_for_app

pytestmark = pytest.mark.browser

DATA = Path(__file__).parent / "data"
DDFPT = "DDFPT — DUBREUIL Claire"


def open_import(page, server):
    # Signed in at the root, then through the menu, as a DDFPT does.
    sign_in(page, server.url, DDFPT)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Import").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Import", exact=True)).to_be_visible()


def file_input(page):
    # After a change of kind, the previous kind's uploader stays on screen until the rerun ends.
    dropzone = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    expect(dropzone).to_have_count(1)
    return dropzone


def upload(page, path: Path):
    file_input(page).set_input_files(str(path))
    wait_for_app(page)


def test_upload_learners_preview_import_and_see_the_class(private_server, page):
    page.set_viewport_size({"width": 1280, "height": 1600})
    open_import(page, private_server)
    upload(page, DATA / "eleves_utf8_bom.csv")
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    expect(page.get_by_text("3 classes ajoutées, 30 apprenants ajoutés, 30 comptes apprenants ajoutés.")).to_be_visible()
    expect(page.get_by_text("Colonnes ignorées : « Sexe ».")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Lignes lues")).to_contain_text("30")
    expect(page.get_by_test_id("stMetric").filter(has_text="Lignes rejetées")).to_contain_text("0")
    page.screenshot(path="/tmp/import_preview.png", full_page=True)

    page.get_by_role("button", name="Importer").click()
    wait_for_app(page)
    expect(page.get_by_text("Import terminé. 3 classes ajoutées, 30 apprenants ajoutés")).to_be_visible()
    # The file is still there: its preview now says there is nothing left to import.
    expect(page.get_by_text("Rien à importer")).to_be_visible()
    expect(page.get_by_role("button", name="Importer")).to_be_disabled()
    classes = page.get_by_test_id("stDataFrame").last
    expect(classes).to_contain_text("2MEL1")
    page.screenshot(path="/tmp/import_done.png", full_page=True)

    page.get_by_role("link", name="Accueil").click()
    wait_for_app(page)
    expect(page.get_by_role("rowheader", name="TMEL1")).to_be_visible()


def test_rejected_lines_report_and_partial_import(private_server, page, tmp_path):
    # Another school's list, so that its valid lines are new whatever the other tests imported.
    text = (DATA / "eleves_erreurs.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "eleves_erreurs.csv"
    path.write_text(text.replace("2MEL1", "2MEL-B").replace("lycee-volta.fr", "lycee-eiffel.fr"), encoding="utf-8-sig")
    page.set_viewport_size({"width": 1280, "height": 1600})
    open_import(page, private_server)
    upload(page, path)
    expect(page.get_by_role("heading", name="Lignes rejetées")).to_be_visible()
    expect(page.get_by_text("6 lignes rejetées : corrigez le fichier et déposez-le à nouveau ; ou importez "
                            "seulement les lignes valides.")).to_be_visible()
    importer = page.get_by_role("button", name="Importer")
    expect(importer).to_be_disabled()
    page.screenshot(path="/tmp/import_rejected.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger le rapport").click()
    report = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(report), delimiter=";"))
    assert rows[0] == ["Fichier", "Ligne", "Colonne", "Motif", "Contenu de la ligne"]
    assert ["eleves_erreurs.csv", "4", "Date de naissance"] == rows[2][:3]
    assert any(r[4].startswith("'=HYPERLINK") for r in rows)

    page.get_by_text("Importer seulement les lignes valides").click()
    wait_for_app(page)
    expect(importer).to_be_enabled()
    importer.click()
    wait_for_app(page)
    expect(page.get_by_text("Import terminé.")).to_be_visible()
    expect(page.get_by_text("6 lignes rejetées").first).to_be_visible()


def test_broken_file_is_explained_and_results_kind(private_server, page):
    open_import(page, private_server)
    upload(page, DATA / "eleves_colonne_manquante.csv")
    expect(page.get_by_text("Fichier refusé, rien n'a été importé")).to_be_visible()
    expect(page.get_by_text("colonne « Prénom » : colonne obligatoire absente")).to_be_visible()
    expect(page.get_by_role("button", name="Importer")).to_have_count(0)
    page.screenshot(path="/tmp/import_refused.png")

    page.get_by_text("Résultats d'évaluations").click()
    wait_for_app(page)
    expect(page.get_by_text("Une ligne par apprenant, évaluation et critère")).to_be_visible()
    expect(page.get_by_text("eleves_colonne_manquante.csv")).to_have_count(0)
    upload(page, DATA / "resultats_erreurs.csv")
    expect(page.get_by_text("classe « 2MEL9 » inconnue")).to_be_visible()
    page.screenshot(path="/tmp/import_results_rejected.png", full_page=True)


def test_teacher_has_no_import_page(private_server, page):
    sign_in(page, private_server.url, "Enseignant — LEFEBVRE Marc")
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name="Import")).to_have_count(0)


def test_referentiel_upload_then_its_diploma_for_new_classes(private_server, page):
    open_import(page, private_server)
    page.get_by_text("Référentiel", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Fichiers du référentiel (CSV ou ZIP)")).to_be_visible()
    folder = DATA / "referentiel_cap_elec"
    file_input(page).set_input_files([str(p) for p in sorted(folder.iterdir())])
    wait_for_app(page)
    expect(page.get_by_text("1 diplôme ajouté, 2 unités ajoutées, 3 domaines ajoutés, 4 compétences ajoutées, "
                            "9 critères ajoutés.")).to_be_visible()
    page.get_by_role("button", name="Importer").click()
    wait_for_app(page)
    expect(page.get_by_text("Import terminé. 1 diplôme ajouté")).to_be_visible()
    page.get_by_text("Classes et apprenants").click()
    wait_for_app(page)
    page.get_by_label("Diplôme des classes créées").click()
    expect(page.get_by_role("option", name="CAP-ELEC — CAP Électricien")).to_be_visible()
