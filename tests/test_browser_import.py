"""« Import » in the browser: upload a learners file, read the preview, import, see the class."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from livret import evaluations
from livret.db import connect

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


def test_a_possible_homonym_and_a_new_class_wait_for_the_ddfpt(private_server, page, tmp_path):
    # ABSCHEN Inès is in 2MELEC, born 02/08/2011, with results: another date of birth elsewhere is a doubt.
    path = tmp_path / "rentree.csv"
    path.write_text("Nom;Prénom;Classe;Date de naissance\r\nabschen;inès;1MELEC;01/01/2010\r\n"
                    "nouveau;élodie-marie;2MEL-Z;\r\n", encoding="utf-8")
    page.set_viewport_size({"width": 1280, "height": 1600})
    open_import(page, private_server)
    upload(page, path)
    expect(page.get_by_text("Nouvelle classe « 2MEL-Z »")).to_be_visible()
    expect(page.get_by_role("heading", name="Homonymes possibles")).to_be_visible()
    expect(page.get_by_text("même nom et prénom qu'un apprenant de 2MELEC, mais une autre date de naissance")
           ).to_be_visible()
    records = page.get_by_test_id("stDataFrame").filter(has_text="Apprenant enregistré")
    expect(records).to_contain_text("02/08/2011")
    expect(page.get_by_text("Choisissez une décision pour chaque homonyme possible (1 restant)")).to_be_visible()
    importer = page.get_by_role("button", name="Importer")
    expect(importer).to_be_disabled()
    page.screenshot(path="/tmp/import_homonym.png", full_page=True)

    page.get_by_role("radiogroup", name="Décision pour la ligne 2").get_by_text("Nouvel apprenant").click()
    wait_for_app(page)
    expect(page.get_by_text("1 classe ajoutée, 2 apprenants ajoutés")).to_be_visible()
    expect(importer).to_be_enabled()
    importer.click()
    wait_for_app(page)
    expect(page.get_by_text("Import terminé. 1 classe ajoutée, 2 apprenants ajoutés")).to_be_visible()
    db = connect(private_server.db_path)
    try:
        assert db.execute("SELECT c.name, l.birth_date FROM learners l JOIN classes c ON c.id = l.class_id "
                          "WHERE l.last_name = 'ABSCHEN' AND l.first_name = 'Inès' ORDER BY c.name").fetchall() == [
            ("1MELEC", "2010-01-01"), ("2MELEC", "2011-08-02")]
        assert db.execute("SELECT first_name FROM learners WHERE last_name = 'NOUVEAU'").fetchone() == (
            "Élodie-Marie",)
    finally:
        db.close()


def test_results_into_an_evaluation_counted_in_a_bilan_need_the_checkbox(private_server, page, tmp_path):
    db = connect(private_server.db_path)
    try:
        row = next(r for r in db.execute(
            "SELECT e.id, c.name, l.last_name, l.first_name, e.title, e.eval_date, e.complexity, co.code, cr.position, "
            "r.code FROM results r JOIN evaluations e ON e.id = r.evaluation_id JOIN classes c ON c.id = e.class_id "
            "JOIN learners l ON l.id = r.learner_id JOIN criteria cr ON cr.id = r.criterion_id "
            "JOIN competencies co ON co.id = cr.competency_id WHERE e.context = 'school' ORDER BY e.eval_date")
            if evaluations.taken_into_account(db, r[0]))
    finally:
        db.close()
    evaluation, klass, last, first, title, day, complexity, competency, position, code = row
    new_code = "NA" if code != "NA" else "RT"
    path = tmp_path / "corrige.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([
            ["Classe", "Nom", "Prénom", "Évaluation", "Date", "Complexité", "Compétence", "Critère", "Résultat"],
            [klass, last, first, title, f"{day[8:]}/{day[5:7]}/{day[:4]}", complexity, competency, position,
             new_code]])
    page.set_viewport_size({"width": 1280, "height": 1600})
    open_import(page, private_server)
    page.get_by_text("Résultats d'évaluations").click()
    wait_for_app(page)
    # The results' uploader, not the learners' one still on screen until the kind's rerun has run.
    expect(page.get_by_text("Une ligne par apprenant, évaluation et critère")).to_be_visible()
    upload(page, path)
    expect(page.get_by_text("Évaluations déjà prises en compte dans un bilan validé : leurs lignes sont rejetées")
           ).to_be_visible()
    expect(page.get_by_text("est déjà prise en compte dans un bilan validé le").first).to_be_visible()
    importer = page.get_by_role("button", name="Importer")
    expect(importer).to_be_disabled()
    page.get_by_test_id("stCheckbox").get_by_text("Autoriser cet import à modifier des évaluations").click()
    wait_for_app(page)
    expect(page.get_by_text("Modifications autorisées, chacune sera journalisée")).to_be_visible()
    expect(importer).to_be_enabled()
    page.screenshot(path="/tmp/import_locked.png", full_page=True)
    importer.click()
    wait_for_app(page)
    expect(page.get_by_text("Import terminé. 1 évaluation mise à jour, 1 résultat mis à jour.")).to_be_visible()
    db = connect(private_server.db_path)
    try:
        assert db.execute("SELECT user_name FROM audit_log WHERE action = 'evaluation.results' AND entity_id = ?",
                          [evaluation]).fetchall() == [("DUBREUIL Claire",)]
    finally:
        db.close()
