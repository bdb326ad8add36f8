"""Imports (SPEC E3): every importer on good and broken files — counts, French messages with line
numbers, nothing written by a refused import, and re-importing the same file changing nothing."""

import csv
import io
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from livret import imports
from livret.db import connect
from livret.errors import FileRejected, PermissionDenied, ValidationError
from livret.imports import plan as import_plan
from livret.imports import referentiel
from livret.permissions import User
from livret.render.spreadsheet import french_csv

from .conftest import ROOT, first_user, snapshot

DATA = Path(__file__).parent / "data"
OPERATOR = User(id=0, name="Ligne de commande", email="cli@localhost", role="ddfpt")


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def messages(problems) -> list[str]:
    return [imports.problem_text(p) for p in problems]


def learners_of(db, class_name):
    return db.execute(
        "SELECT l.last_name, l.first_name, l.email, l.birth_date FROM learners l JOIN classes c ON c.id = l.class_id "
        "WHERE c.name = ? ORDER BY l.last_name", [class_name]).fetchall()


@pytest.fixture
def school(empty_db):
    """A new school set up from its learner list."""
    imports.import_learners(empty_db, OPERATOR, read("eleves_utf8_bom.csv"), "eleves_utf8_bom.csv")
    return empty_db


# ---------------------------------------------------------------- learners


def test_new_school_from_its_learner_list(empty_db):
    preview = imports.preview_learners(empty_db, OPERATOR, read("eleves_utf8_bom.csv"), "eleves_utf8_bom.csv",
                                         school_year="2026-2027")
    assert preview.summary() == "3 classes ajoutées, 30 apprenants ajoutés, 30 comptes apprenants ajoutés."
    assert preview.notes == ["Colonnes ignorées : « Sexe »."]
    assert empty_db.execute("SELECT count(*) FROM learners").fetchone()[0] == 0  # the preview writes nothing
    frame = preview.changes_frame()
    assert frame.iloc[0].tolist() == [2, "Classe", "ajoutée", "2MEL1",
                                      "nouvelle classe, année scolaire 2026-2027, diplôme BACPRO-MELEC"]
    assert [c.label for c in preview.new_classes] == ["2MEL1", "1MEL1", "TMEL1"]
    assert frame.iloc[1].tolist() == [2, "Apprenant", "ajouté", "2MEL1 — MARTIN Lucas",
                                      "lucas.martin@eleve.lycee-volta.fr, 12/03/2010"]

    plan = imports.import_learners(empty_db, OPERATOR, read("eleves_utf8_bom.csv"), "eleves_utf8_bom.csv",
                                     school_year="2026-2027")
    assert plan.applied and plan.summary() == preview.summary()
    assert empty_db.execute("SELECT name, diploma, school_year, (SELECT count(*) FROM learners l "
                            "WHERE l.class_id = c.id) FROM classes c ORDER BY name").fetchall() == [
        ("1MEL1", "BACPRO-MELEC", "2026-2027", 10), ("2MEL1", "BACPRO-MELEC", "2026-2027", 12),
        ("TMEL1", "BACPRO-MELEC", "2026-2027", 8)]
    assert ("LEFÈVRE", "Léa", "lea.lefevre@eleve.lycee-volta.fr", "2010-01-30") in learners_of(empty_db, "2MEL1")
    account = empty_db.execute(
        "SELECT u.name, u.role, u.password_hash, u.active FROM users u JOIN learners l ON l.id = u.learner_id "
        "WHERE u.email = 'lea.lefevre@eleve.lycee-volta.fr'").fetchone()
    assert account == ("LEFÈVRE Léa", "learner", None, 1)
    audit = empty_db.execute("SELECT user_id, user_name, action, entity, after FROM audit_log").fetchall()
    assert len(audit) == 1 and audit[0][:4] == (None, "Ligne de commande", "import", "learners")
    assert '"learner.added": 30' in audit[0][4]


def test_reimporting_the_same_learners_changes_nothing(school):
    before = snapshot(school)
    plan = imports.import_learners(school, OPERATOR, read("eleves_utf8_bom.csv"), "eleves_utf8_bom.csv")
    assert plan.summary() == "30 apprenants inchangés."
    assert not plan.has_writes
    assert snapshot(school) == before


def test_siecle_export_in_windows_1252_with_a_title_line_matches_the_same_learners(school):
    before = snapshot(school)
    plan = imports.preview_learners(school, OPERATOR, read("eleves_siecle_windows1252.csv"), "siecle.csv")
    assert plan.summary() == "30 apprenants inchangés."
    assert plan.notes == ["Colonnes ignorées : « INE », « REGIME »."]
    assert plan.changes[0].line == 4  # two lines above the header: line numbers stay those of the file
    imports.import_learners(school, OPERATOR, read("eleves_siecle_windows1252.csv"), "siecle.csv")
    assert snapshot(school) == before


def test_windows_1252_accents_are_read(empty_db):
    imports.import_learners(empty_db, OPERATOR, read("eleves_siecle_windows1252.csv"), "siecle.csv")
    assert ("ÉGRÈVE", "Zoé", None, "2008-11-05") in learners_of(empty_db, "1MEL1")
    assert empty_db.execute("SELECT count(*) FROM users").fetchone()[0] == 0  # no e-mail, no account


def test_comma_file_updates_only_what_changed(school):
    plan = imports.preview_learners(school, OPERATOR, read("eleves_virgule.csv"), "eleves_virgule.csv")
    assert plan.summary() == ("1 apprenant ajouté, 2 apprenants mis à jour, 10 apprenants inchangés, "
                              "1 compte apprenant ajouté, 2 comptes apprenants mis à jour.")
    updated = [c for c in plan.changes if c.entity == "learner" and c.action == imports.UPDATED]
    assert [(c.line, c.label, c.detail) for c in updated] == [
        (2, "2MEL1 — MARTIN Lucas", "e-mail : lucas.martin@eleve.lycee-volta.fr → lucas.martin2@eleve.lycee-volta.fr"),
        (3, "2MEL1 — BERNARD Emma",
         "e-mail : emma.bernard@eleve.lycee-volta.fr → emma.bernard.pro@eleve.lycee-volta.fr")]
    version = school.execute("SELECT version FROM learners WHERE last_name = 'DUBOIS'").fetchone()[0]
    imports.import_learners(school, OPERATOR, read("eleves_virgule.csv"), "eleves_virgule.csv")
    # An empty cell never erases: the birth dates absent from this file are kept.
    assert ("MARTIN", "Lucas", "lucas.martin2@eleve.lycee-volta.fr", "2010-03-12") in learners_of(school, "2MEL1")
    assert school.execute("SELECT count(*) FROM users WHERE email = 'lucas.martin2@eleve.lycee-volta.fr' "
                          "AND role = 'learner'").fetchone()[0] == 1  # the account follows its e-mail
    assert school.execute("SELECT version FROM learners WHERE last_name = 'DUBOIS'").fetchone()[0] == version
    assert imports.preview_learners(school, OPERATOR, read("eleves_virgule.csv"), "x.csv").has_writes is False


def test_xlsx_dates_and_a_formula_cell_stored_as_plain_text(empty_db):
    plan = imports.import_learners(empty_db, OPERATOR, read("eleves.xlsx"), "eleves.xlsx")
    assert plan.notes == ["Feuille lue : « Élèves »."]
    assert plan.summary() == "1 classe ajoutée, 6 apprenants ajoutés, 5 comptes apprenants ajoutés."
    rows = learners_of(empty_db, "1MEL2")
    assert ("LEROY", "Baptiste", "baptiste.leroy@eleve.lycee-volta.fr", "2009-02-14") in rows
    assert ("PIRATE", '=HYPERLINK("http://evil.example/x","cliquez")', None, None) in rows


@pytest.mark.parametrize("header", [
    "NOM;PRENOM;CLASSE;MAIL;DATE DE NAISSANCE",
    "Nom;Prénom;Classe;E-mail;Né(e) le",
    "nom de famille;prénom 1;division;courriel;date naiss.",
    "Nom élève\tPrénom élève\tClasse\tAdresse e-mail\tNaissance",
])
def test_header_variants_of_school_software(empty_db, header):
    delimiter = "\t" if "\t" in header else ";"
    text = header + "\r\n" + delimiter.join(["DUPONT", "Jean", "2MEL1", "jean.dupont@x.fr", "5/9/2010"]) + "\r\n"
    imports.import_learners(empty_db, OPERATOR, text.encode("utf-8"), "liste.csv")
    assert learners_of(empty_db, "2MEL1") == [("DUPONT", "Jean", "jean.dupont@x.fr", "2010-09-05")]


def test_utf16_with_bom_from_excel_unicode_text(empty_db):
    text = "Nom\tPrénom\tClasse\r\nÉGRÈVE\tZoé\t1MEL1\r\n"
    imports.import_learners(empty_db, OPERATOR, text.encode("utf-16"), "unicode.txt")
    assert learners_of(empty_db, "1MEL1") == [("ÉGRÈVE", "Zoé", None, None)]


def test_accentless_export_matches_an_accented_learner(school):
    text = "Nom;Prénom;Classe\r\nLEFEVRE;Lea;2mel1\r\n"
    plan = imports.preview_learners(school, OPERATOR, text.encode(), "sans_accents.csv")
    assert plan.summary() == "1 apprenant inchangé."


def test_rejected_lines_are_listed_with_line_column_and_reason(school):
    before = snapshot(school)
    with pytest.raises(FileRejected) as refused:
        imports.import_learners(school, OPERATOR, read("eleves_erreurs.csv"), "eleves_erreurs.csv")
    assert messages(refused.value.problems) == [
        "eleves_erreurs.csv, ligne 3, colonne « Nom » : valeur obligatoire manquante",
        "eleves_erreurs.csv, ligne 4, colonne « Date de naissance » : date « 31/02/2009 » invalide "
        "(format attendu jj/mm/aaaa)",
        "eleves_erreurs.csv, ligne 5, colonne « E-mail » : adresse e-mail « ines.garcia@ » invalide",
        "eleves_erreurs.csv, ligne 6, colonne « Nom » : apprenant en double dans le fichier (déjà ligne 2)",
        "eleves_erreurs.csv, ligne 7, colonne « Classe » : valeur obligatoire manquante",
        "eleves_erreurs.csv, ligne 8, colonne « E-mail » : adresse e-mail déjà donnée ligne 2",
    ]
    assert snapshot(school) == before


def test_partial_import_applies_only_the_valid_lines(empty_db):
    plan = imports.import_learners(empty_db, OPERATOR, read("eleves_erreurs.csv"), "eleves_erreurs.csv",
                                     partial=True)
    assert plan.summary() == ("1 classe ajoutée, 2 apprenants ajoutés, 2 comptes apprenants ajoutés ; "
                              "6 lignes rejetées.")
    assert [r[:2] for r in learners_of(empty_db, "2MEL1")] == [("HOARAU", "Océane"), ("MARTIN", "Lucas")]


def test_an_email_of_another_account_is_refused(school):
    text = "Nom;Prénom;Classe;Mail\r\nNOUVEAU;Paul;1MEL1;lea.lefevre@eleve.lycee-volta.fr\r\n"
    plan = imports.preview_learners(school, OPERATOR, text.encode(), "x.csv")
    assert messages(plan.rejected) == [
        "x.csv, ligne 2, colonne « E-mail » : adresse e-mail « lea.lefevre@eleve.lycee-volta.fr » déjà utilisée "
        "par le compte de LEFÈVRE Léa (2MEL1)"]


@pytest.mark.parametrize("name, expected", [
    ("eleves_vide.csv", ["eleves_vide.csv : le fichier est vide"]),
    ("eleves_entete_seule.csv",
     ["eleves_entete_seule.csv, ligne 1 : le fichier ne contient que la ligne d'en-tête, aucune donnée"]),
    ("eleves_colonne_manquante.csv",
     ["eleves_colonne_manquante.csv, ligne 1, colonne « Prénom » : colonne obligatoire absente "
      "(colonnes trouvées : « Nom », « Classe », « Mail ») ; une colonne « Élève (NOM Prénom) » peut remplacer "
      "« Nom » et « Prénom »"]),
    ("eleves_utf16_sans_bom.csv",
     ["eleves_utf16_sans_bom.csv : encodage non reconnu (octets nuls : UTF-16 sans marque ou fichier binaire) ; "
      "enregistrez le fichier en CSV UTF-8 ou Windows-1252"]),
])
def test_broken_learner_files_are_refused_and_nothing_written(school, name, expected):
    before = snapshot(school)
    with pytest.raises(FileRejected) as preview:
        imports.preview_learners(school, OPERATOR, read(name), name)
    assert messages(preview.value.problems) == expected
    with pytest.raises(FileRejected):
        imports.import_learners(school, OPERATOR, read(name), name, partial=True)
    assert snapshot(school) == before


@pytest.mark.parametrize("data, reason", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "ancien format Excel (.xls)"),
    (b"%PDF-1.7\n...", "c'est un fichier PDF"),
    (b"Nom;Pr\x81nom;Classe\nA;B;C\n", "encodage non reconnu (ni UTF-8 ni Windows-1252)"),
    (b"Nom;Pr\xc3\xa9nom;Classe;Nom de famille\nA;B;C;D\n", "deux colonnes correspondent à « Nom »"),
    (b"Nom;Prenom;Classe\n\"DUPONT;Jean;2MEL1\n" + b"x" * 200_000, "ligne illisible : un guillemet ouvrant n'est pas refermé"),
])
def test_other_unreadable_files(empty_db, data, reason):
    with pytest.raises(FileRejected) as refused:
        imports.preview_learners(empty_db, OPERATOR, data, "f.csv")
    assert reason in str(refused.value)


def test_ods_file_is_explained(empty_db, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(FileRejected, match=r"format OpenDocument \(\.ods\)"):
        imports.preview_learners(empty_db, OPERATOR, buffer.getvalue(), "eleves.ods")


def test_upload_size_is_capped(empty_db):
    data = b"Nom;Prenom;Classe\r\n" + b"DUPONT;Jean;2MEL1\r\n" * (11 * 1024 * 1024 // 19)
    with pytest.raises(FileRejected) as refused:
        imports.preview_learners(empty_db, OPERATOR, data, "enorme.csv")
    assert messages(refused.value.problems) == [
        "enorme.csv : le fichier pèse 11,0 Mo, au-delà de la limite de 10 Mo ; découpez-le en plusieurs fichiers"]


def test_unknown_diploma_for_new_classes(empty_db):
    with pytest.raises(ValidationError, match="Le diplôme « CAP-XYZ » n'existe pas"):
        imports.import_learners(empty_db, OPERATOR, read("eleves_utf8_bom.csv"), "e.csv", diploma="CAP-XYZ")
    assert empty_db.execute("SELECT count(*) FROM classes").fetchone()[0] == 0


def test_rejection_report_is_a_french_csv_with_formulas_disarmed(empty_db):
    plan = imports.preview_learners(empty_db, OPERATOR, read("eleves_erreurs.csv"), "eleves_erreurs.csv")
    report = imports.rejection_report(plan.rejected)
    assert report.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Fichier", "Ligne", "Colonne", "Motif", "Contenu de la ligne"]
    assert rows[1] == ["eleves_erreurs.csv", "3", "Nom", "valeur obligatoire manquante",
                       " ; Emma ; 2MEL1 ; 04/07/2010 ; "]
    formula_line = next(r for r in rows if r[1] == "7")
    assert formula_line[4] == "'=HYPERLINK(\"http://evil.example/x\",\"x\") ; Hacker ;  ;  ; "
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# ---------------------------------------------------------------- « Élève » column, class changes


@pytest.mark.parametrize("text, expected", [
    ("DUPONT Jean", ("DUPONT", "Jean")),
    ("LE GALL Anne-Marie", ("LE GALL", "Anne-Marie")),
    ("DA SILVA SANTOS Léa Marie", ("DA SILVA SANTOS", "Léa Marie")),
    ("N'DIAYE Aminata", ("N'DIAYE", "Aminata")),
    ("D’ALMEIDA Inès", ("D’ALMEIDA", "Inès")),
    ("ÉGRÈVE-MARCHAND Zoé Élise", ("ÉGRÈVE-MARCHAND", "Zoé Élise")),
    ("  MÜLLER   Éva  ", ("MÜLLER", "Éva")),
])
def test_split_of_a_combined_name(text, expected):
    assert imports.split_full_name(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("Dupont Jean", "« Dupont Jean » ne commence pas par un nom en majuscules"),
    ("jean DUPONT", "« jean DUPONT » ne commence pas par un nom en majuscules"),
    ("DUPONT", "prénom absent après le nom « DUPONT »"),
    ("DUPONT JEAN", "« DUPONT JEAN » est tout en majuscules"),
    ("DUPONT2 Jean", "ne commence pas par un nom en majuscules"),
])
def test_a_combined_name_that_cannot_be_split(text, reason):
    with pytest.raises(ValueError) as refused:
        imports.split_full_name(text)
    assert reason in str(refused.value)


def test_pronote_list_with_one_eleve_column(empty_db):
    name = "eleves_pronote_eleve.csv"
    plan = imports.preview_learners(empty_db, OPERATOR, read(name), name, school_year="2026-2027")
    assert plan.summary() == "1 classe ajoutée, 6 apprenants ajoutés, 3 comptes apprenants ajoutés."
    assert not plan.notes and not plan.rejected
    imports.import_learners(empty_db, OPERATOR, read(name), name, school_year="2026-2027")
    assert set(learners_of(empty_db, "2MEL2")) == {
        ("D’ALMEIDA", "Inès", None, "2010-04-07"),
        ("DA SILVA SANTOS", "Léa Marie", None, "2009-09-22"),
        ("DUPONT", "Jean", "jean.dupont@eleve.lycee-volta.fr", "2010-02-14"),
        ("LE GALL", "Anne-Marie", "anne-marie.le-gall@eleve.lycee-volta.fr", "2010-06-03"),
        ("N'DIAYE", "Aminata", "aminata.ndiaye@eleve.lycee-volta.fr", "2010-12-11"),
        ("ÉGRÈVE-MARCHAND", "Zoé Élise", None, "2010-01-19"),
    }
    assert empty_db.execute("SELECT name FROM users WHERE email = 'anne-marie.le-gall@eleve.lycee-volta.fr'"
                            ).fetchone() == ("LE GALL Anne-Marie",)
    before = snapshot(empty_db)
    again = imports.import_learners(empty_db, OPERATOR, read(name), name)
    assert again.summary() == "6 apprenants inchangés."
    assert snapshot(empty_db) == before


@pytest.mark.parametrize("header", ["Eleve", "Nom et prénom", "Nom Prénom", "NOM PRENOM"])
def test_other_titles_of_the_combined_column(empty_db, header):
    text = f"{header};Classe\r\nLE GALL Anne-Marie;2MEL1\r\n"
    imports.import_learners(empty_db, OPERATOR, text.encode(), "liste.csv")
    assert learners_of(empty_db, "2MEL1") == [("LE GALL", "Anne-Marie", None, None)]


def test_an_unsplittable_name_is_a_rejected_line_and_nothing_is_written(school):
    text = ("Élève;Classe\r\nDUPONT Jean;2MEL2\r\nDupont Marie;2MEL2\r\nMOREAU;2MEL2\r\n;2MEL2\r\n"
            "LE GALL Anne-Marie;2MEL2\r\n")
    before = snapshot(school)
    with pytest.raises(FileRejected) as refused:
        imports.import_learners(school, OPERATOR, text.encode(), "pronote.csv")
    assert messages(refused.value.problems) == [
        "pronote.csv, ligne 3, colonne « Élève » : « Dupont Marie » ne commence pas par un nom en majuscules "
        "(attendu « NOM Prénom », ex. « DUPONT Jean »)",
        "pronote.csv, ligne 4, colonne « Élève » : prénom absent après le nom « MOREAU » "
        "(attendu « NOM Prénom », ex. « DUPONT Jean »)",
        "pronote.csv, ligne 5, colonne « Élève » : valeur obligatoire manquante",
    ]
    assert refused.value.problems[0].content == "Dupont Marie ; 2MEL2"
    assert snapshot(school) == before
    plan = imports.import_learners(school, OPERATOR, text.encode(), "pronote.csv", partial=True)
    assert plan.summary() == "1 classe ajoutée, 2 apprenants ajoutés ; 3 lignes rejetées."
    assert [r[:2] for r in learners_of(school, "2MEL2")] == [("DUPONT", "Jean"), ("LE GALL", "Anne-Marie")]


def test_separate_name_columns_win_over_a_combined_one(empty_db):
    text = "Nom;Prénom;Élève;Classe\r\nLE GALL;Anne-Marie;Le Gall Anne-Marie;2MEL1\r\n"
    plan = imports.import_learners(empty_db, OPERATOR, text.encode(), "liste.csv")
    assert plan.notes == ["Colonnes ignorées : « Élève »."]
    assert learners_of(empty_db, "2MEL1") == [("LE GALL", "Anne-Marie", None, None)]
    # With only one of the separate columns, the combined column holds the whole name.
    text = "Nom;Élève;Classe\r\nX;DA SILVA Léa;2MEL1\r\n"
    plan = imports.import_learners(empty_db, OPERATOR, text.encode(), "liste.csv")
    assert plan.notes == ["Colonnes ignorées : « Nom »."]
    assert ("DA SILVA", "Léa", None, None) in learners_of(empty_db, "2MEL1")


def test_a_missing_name_column_mentions_the_combined_one(empty_db):
    with pytest.raises(FileRejected) as refused:
        imports.preview_learners(empty_db, OPERATOR, b"Nom;Classe\r\nDUPONT;2MEL1\r\n", "x.csv")
    assert messages(refused.value.problems) == [
        "x.csv, ligne 1, colonne « Prénom » : colonne obligatoire absente (colonnes trouvées : « Nom », « Classe ») ; "
        "une colonne « Élève (NOM Prénom) » peut remplacer « Nom » et « Prénom »"]


def learner_row(db, last_name):
    return db.execute("SELECT l.id, c.name, l.version FROM learners l JOIN classes c ON c.id = l.class_id "
                      "WHERE l.last_name = ?", [last_name]).fetchone()


def test_learners_who_changed_class_are_moved_with_their_results(school):
    imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    martin_id, _, martin_version = learner_row(school, "MARTIN")
    results_of_martin = school.execute("SELECT * FROM results WHERE learner_id = ? ORDER BY 1, 2, 3",
                                       [martin_id]).fetchall()
    assert results_of_martin
    name = "eleves_passage_1ere.csv"

    plan = imports.preview_learners(school, OPERATOR, read(name), name, school_year="2026-2027")
    assert plan.summary() == "1 classe ajoutée, 3 apprenants mis à jour, 1 apprenant inchangé."
    assert [(c.line, c.label, c.detail) for c in plan.changes if c.action == imports.UPDATED] == [
        (2, "1MEL1 — MARTIN Lucas", "changement de classe : 2MEL1 → 1MEL1"),
        (3, "1MEL1 — BERNARD Emma", "changement de classe : 2MEL1 → 1MEL1"),
        (5, "1MEL2 — LEFÈVRE Léa", "changement de classe : 2MEL1 → 1MEL2"),
    ]
    frame = plan.changes_frame()
    assert frame.iloc[0].tolist() == [2, "Apprenant", "mis à jour", "1MEL1 — MARTIN Lucas",
                                      "changement de classe : 2MEL1 → 1MEL1"]
    assert learner_row(school, "MARTIN")[1] == "2MEL1"  # the preview writes nothing

    imports.import_learners(school, OPERATOR, read(name), name, school_year="2026-2027")
    assert learner_row(school, "MARTIN")[:2] == (martin_id, "1MEL1")
    assert learner_row(school, "MARTIN")[2] > martin_version  # the dashboard's caches see the move
    assert learner_row(school, "BERNARD")[1] == "1MEL1"
    assert learner_row(school, "DUBOIS")[1] == "2MEL1"
    assert learner_row(school, "LEFÈVRE")[1] == "1MEL2"
    assert school.execute("SELECT school_year FROM classes WHERE name = '1MEL2'").fetchone() == ("2026-2027",)
    assert school.execute("SELECT * FROM results WHERE learner_id = ? ORDER BY 1, 2, 3",
                          [martin_id]).fetchall() == results_of_martin
    # Their accounts stay theirs, under the same e-mail.
    assert school.execute("SELECT learner_id FROM users WHERE email = 'lucas.martin@eleve.lycee-volta.fr'"
                          ).fetchone() == (martin_id,)
    assert school.execute("SELECT count(*) FROM learners").fetchone()[0] == 30

    before = snapshot(school)
    again = imports.import_learners(school, OPERATOR, read(name), name)
    assert again.summary() == "4 apprenants inchangés."
    assert snapshot(school) == before


def test_a_class_change_that_fails_writes_nothing(school, monkeypatch):
    def broken_audit(*args):
        raise RuntimeError("disque plein")

    before = snapshot(school)
    monkeypatch.setattr(import_plan, "_audit", broken_audit)
    with pytest.raises(RuntimeError, match="disque plein"):
        imports.import_learners(school, OPERATOR, read("eleves_passage_1ere.csv"), "eleves_passage_1ere.csv")
    assert snapshot(school) == before
    assert learner_row(school, "MARTIN")[1] == "2MEL1"


def test_a_learner_named_in_its_own_class_is_not_taken_elsewhere(school):
    text = "Nom;Prénom;Classe\r\nMARTIN;Lucas;1MEL1\r\nMARTIN;Lucas;2MEL1\r\n"
    plan = imports.preview_learners(school, OPERATOR, text.encode(), "x.csv")
    assert [(c.line, c.label, c.action) for c in plan.changes] == [
        (2, "1MEL1 — MARTIN Lucas", imports.ADDED), (3, "2MEL1 — MARTIN Lucas", imports.UNCHANGED)]


def test_one_learner_cannot_move_to_two_classes(school):
    text = "Nom;Prénom;Classe\r\nMARTIN;Lucas;1MEL1\r\nMARTIN;Lucas;TMEL1\r\n"
    plan = imports.preview_learners(school, OPERATOR, text.encode(), "x.csv")
    assert messages(plan.rejected) == [
        "x.csv, ligne 3, colonne « Nom » : « MARTIN Lucas » de 2MEL1 change déjà de classe ligne 2"]


def test_two_learners_of_the_same_name_elsewhere_make_the_line_ambiguous(school):
    imports.import_learners(school, OPERATOR, "Nom;Prénom;Classe;Date de naissance\r\n"
                                                "MARTIN;Lucas;TMEL1;02/05/2008\r\n".encode(), "homonyme.csv",
                              decisions={2: imports.NEW})
    before = snapshot(school)
    text = "Nom;Prénom;Classe\r\nMARTIN;Lucas;1MEL1\r\n"
    with pytest.raises(FileRejected) as refused:
        imports.import_learners(school, OPERATOR, text.encode(), "x.csv")
    assert messages(refused.value.problems) == [
        "x.csv, ligne 2, colonne « Nom » : identité ambiguë : 2 apprenants « MARTIN Lucas » dans d'autres classes "
        "(2MEL1, TMEL1), impossible de savoir lequel change de classe ; ajoutez sa date de naissance ou son e-mail "
        "pour le désigner"]
    assert snapshot(school) == before
    # The date of birth tells them apart.
    text = "Nom;Prénom;Classe;Date de naissance\r\nMARTIN;Lucas;1MEL1;02/05/2008\r\n"
    plan = imports.import_learners(school, OPERATOR, text.encode(), "x.csv")
    assert [c.detail for c in plan.changes] == ["changement de classe : TMEL1 → 1MEL1"]
    assert school.execute("SELECT c.name, l.birth_date FROM learners l JOIN classes c ON c.id = l.class_id "
                          "WHERE l.last_name = 'MARTIN' ORDER BY c.name").fetchall() == [
        ("1MEL1", "2008-05-02"), ("2MEL1", "2010-03-12")]


def test_another_date_of_birth_is_a_possible_homonym_the_ddfpt_decides(school):
    text = "Nom;Prénom;Classe;Date de naissance\r\nMARTIN;Lucas;1MEL1;02/05/2008\r\n".encode()
    plan = imports.preview_learners(school, OPERATOR, text, "x.csv")
    assert plan.summary() == "Aucune donnée à importer ; 1 homonyme possible à trancher."
    [homonym] = plan.homonyms
    assert (homonym.line, homonym.decision, homonym.choices) == (2, None, (imports.SAME, imports.NEW,
                                                                          imports.SKIP))
    assert homonym.records_frame().values.tolist() == [
        ["Ligne 2 du fichier", "MARTIN", "Lucas", "1MEL1", "02/05/2008", "", ""],
        ["Apprenant enregistré", "MARTIN", "Lucas", "2MEL1", "12/03/2010", "lucas.martin@eleve.lycee-volta.fr", "0"]]
    # Undecided, the import refuses and writes nothing, even as a partial import.
    before = snapshot(school)
    for partial in (False, True):
        with pytest.raises(FileRejected) as refused:
            imports.import_learners(school, OPERATOR, text, "x.csv", partial=partial)
        assert messages(refused.value.problems) == [
            "x.csv, ligne 2, colonne « Nom » : homonyme possible (même nom et prénom qu'un apprenant de 2MEL1, mais "
            "une autre date de naissance) : dans le fichier « MARTIN Lucas, 1MEL1, né(e) le 02/05/2008 », enregistré "
            "« MARTIN Lucas, 2MEL1, né(e) le 12/03/2010, lucas.martin@eleve.lycee-volta.fr, 0 résultat » ; "
            "choisissez « Même apprenant », « Nouvel apprenant » ou « Ignorer la ligne »"]
    assert snapshot(school) == before

    skipped = imports.import_learners(school, OPERATOR, text, "x.csv", decisions={2: imports.SKIP})
    assert skipped.summary() == "Aucune donnée à importer ; 1 ligne ignorée."
    assert snapshot(school) == before

    new = imports.preview_learners(school, OPERATOR, text, "x.csv", decisions={2: imports.NEW})
    assert [(c.action, c.label) for c in new.changes] == [(imports.ADDED, "1MEL1 — MARTIN Lucas")]
    same = imports.import_learners(school, OPERATOR, text, "x.csv", decisions={2: imports.SAME})
    assert [(c.action, c.detail) for c in same.changes] == [
        (imports.UPDATED, "changement de classe : 2MEL1 → 1MEL1 ; date de naissance : 12/03/2010 → 02/05/2008")]
    assert school.execute("SELECT c.name, l.birth_date FROM learners l JOIN classes c ON c.id = l.class_id "
                          "WHERE l.last_name = 'MARTIN'").fetchall() == [("1MEL1", "2008-05-02")]


def test_a_namesake_elsewhere_who_has_results_is_not_moved_silently(school):
    imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    martin = learner_row(school, "MARTIN")
    text = "Nom;Prénom;Classe\r\nMARTIN;Lucas;1MEL1\r\n".encode()
    plan = imports.preview_learners(school, OPERATOR, text, "x.csv")
    [homonym] = plan.homonyms
    assert homonym.reason == ("même nom et prénom qu'un apprenant de 2MEL1 qui a déjà des résultats : changement de "
                              "classe ou homonyme ?")
    assert homonym.existing["Résultats"] == 7 and homonym.existing["id"] == martin[0]
    before = snapshot(school)
    with pytest.raises(FileRejected, match="homonyme possible"):
        imports.import_learners(school, OPERATOR, text, "x.csv")
    assert snapshot(school) == before
    imports.import_learners(school, OPERATOR, text, "x.csv", decisions={2: imports.NEW})
    assert school.execute("SELECT c.name FROM learners l JOIN classes c ON c.id = l.class_id "
                          "WHERE l.last_name = 'MARTIN' ORDER BY c.name").fetchall() == [("1MEL1",), ("2MEL1",)]
    assert school.execute("SELECT class_id FROM learners WHERE id = ?", [martin[0]]).fetchone() == (
        school.execute("SELECT id FROM classes WHERE name = '2MEL1'").fetchone())  # not moved
    # The same date of birth confirms who it is: moved with its results, no question asked.
    text = "Nom;Prénom;Classe;Date de naissance\r\nBERNARD;Emma;1MEL1;04/07/2010\r\n".encode()
    plan = imports.import_learners(school, OPERATOR, text, "y.csv")
    assert not plan.homonyms and [c.detail for c in plan.changes] == ["changement de classe : 2MEL1 → 1MEL1"]


def test_same_class_other_date_of_birth_offers_no_new_learner(school):
    text = "Nom;Prénom;Classe;Date de naissance\r\nMARTIN;Lucas;2MEL1;01/01/2011\r\n".encode()
    plan = imports.preview_learners(school, OPERATOR, text, "x.csv")
    assert [h.choices for h in plan.homonyms] == [(imports.SAME, imports.SKIP)]
    before = snapshot(school)
    with pytest.raises(ValidationError, match="« Nouvel apprenant » n'est pas possible ici"):
        imports.import_learners(school, OPERATOR, text, "x.csv", decisions={2: imports.NEW})
    with pytest.raises(ValidationError, match="Ligne 3 : aucun homonyme possible à trancher"):
        imports.import_learners(school, OPERATOR, text, "x.csv", decisions={2: imports.SAME, 3: imports.NEW})
    assert snapshot(school) == before
    plan = imports.import_learners(school, OPERATOR, text, "x.csv", decisions={2: imports.SAME})
    assert [c.detail for c in plan.changes] == ["date de naissance : 12/03/2010 → 01/01/2011"]


def test_a_class_change_read_from_a_combined_column(school):
    text = "Élève;Classe\r\nLE GOFF Jean-René;1MEL1\r\nN'DIAYE Moussa;1MEL1\r\n"
    plan = imports.import_learners(school, OPERATOR, text.encode(), "pronote.csv")
    assert [c.detail for c in plan.changes] == ["changement de classe : 2MEL1 → 1MEL1"] * 2
    assert learner_row(school, "LE GOFF")[1] == learner_row(school, "N'DIAYE")[1] == "1MEL1"


# ---------------------------------------------------------------- results


def test_results_in_long_format(school):
    preview = imports.preview_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    assert preview.summary() == "5 évaluations ajoutées, 66 résultats ajoutés."
    assert preview.changes[0].detail == "complexité D ; 3 critères ajoutés ; 36 résultats à écrire"
    plan = imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    assert plan.summary() == preview.summary()
    rows = school.execute(
        "SELECT e.title, e.eval_date, e.context, e.complexity, e.learner_id IS NOT NULL, count(DISTINCT ec.criterion_id), "
        "(SELECT count(*) FROM results r WHERE r.evaluation_id = e.id) FROM evaluations e "
        "JOIN evaluation_criteria ec ON ec.evaluation_id = e.id GROUP BY e.id ORDER BY e.id").fetchall()
    assert rows == [
        ("Câblage d'un tableau n°1", "2026-09-15", "school", "D", 0, 3, 36),
        ("Mesures et contrôles n°2", "2026-10-06", "school", "Int", 0, 2, 24),
        ("Bilan entreprise PFMP 1", "2026-11-27", "company", None, 1, 2, 2),
        ("Bilan entreprise PFMP 1", "2026-11-27", "company", None, 1, 2, 2),
        ("Bilan entreprise PFMP 1", "2026-11-27", "company", None, 1, 2, 2),
    ]
    code = school.execute(
        "SELECT r.code FROM results r JOIN learners l ON l.id = r.learner_id JOIN criteria cr ON cr.id = r.criterion_id "
        "JOIN competencies c ON c.id = cr.competency_id JOIN evaluations e ON e.id = r.evaluation_id "
        "WHERE l.last_name = 'BERNARD' AND c.code = 'C5' AND cr.position = 2 AND e.title LIKE 'Mesures%'").fetchone()
    assert code == ("NA",)


def test_reimporting_the_same_results_changes_nothing(school):
    imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    before = snapshot(school)
    plan = imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    assert plan.summary() == "5 évaluations inchangées, 66 résultats inchangés."
    assert snapshot(school) == before  # neither modified_at nor any learner's version moved


def test_a_changed_result_updates_and_touches_its_evaluation(school):
    imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    school.execute("UPDATE evaluations SET modified_at = '2026-09-16 10:00:00'")
    version = school.execute("SELECT version FROM learners WHERE last_name = 'MARTIN'").fetchone()[0]
    one_line = ("Classe;Nom;Prénom;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
                "2MEL1;MARTIN;Lucas;Câblage d'un tableau n°1;15/09/2026;D;C4;C4-1;NA\r\n")
    plan = imports.import_results(school, OPERATOR, one_line.encode(), "corrige.csv")
    assert plan.summary() == "1 évaluation mise à jour, 1 résultat mis à jour."
    assert [(c.entity, c.detail) for c in plan.changes] == [("evaluation", "1 résultat à écrire"), ("result", "RT → NA")]
    modified = school.execute("SELECT modified_at FROM evaluations WHERE title LIKE 'Câblage%'").fetchone()[0]
    assert modified > "2026-09-16 10:00:00"
    assert school.execute("SELECT version FROM learners WHERE last_name = 'MARTIN'").fetchone()[0] > version


def test_complexity_of_an_evaluation(school):
    imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    header = "Classe;Nom;Prénom;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
    contradiction = header + ("2MEL1;MARTIN;Lucas;Câblage d'un tableau n°1;15/09/2026;Int;C4;1;RT\r\n"
                              "2MEL1;BERNARD;Emma;Câblage d'un tableau n°1;15/09/2026;B;C4;1;RT\r\n")
    plan = imports.preview_results(school, OPERATOR, contradiction.encode(), "c.csv")
    assert messages(plan.rejected) == [
        "c.csv, ligne 3, colonne « Complexité » : complexité « B » différente de celle de la ligne 2 (« Int ») "
        "pour la même évaluation"]
    plan = imports.import_results(school, OPERATOR, contradiction.encode(), "c.csv", partial=True)
    assert plan.changes[0].detail == "complexité : D → Int"
    assert school.execute("SELECT complexity FROM evaluations WHERE title LIKE 'Câblage%'").fetchone() == ("Int",)
    company = header + "2MEL1;MARTIN;Lucas;Câblage d'un tableau n°1;15/09/2026;E;C4;1;RT\r\n"
    plan = imports.preview_results(school, OPERATOR, company.encode(), "c.csv")
    assert plan.count("evaluation", imports.ADDED) == 1  # a company bilan is the learner's own evaluation


def test_result_errors_listed_and_refused_without_writing(school):
    before = snapshot(school)
    with pytest.raises(FileRejected) as refused:
        imports.import_results(school, OPERATOR, read("resultats_erreurs.csv"), "resultats_erreurs.csv")
    assert messages(refused.value.problems) == [
        "resultats_erreurs.csv, ligne 3, colonne « Classe » : classe « 2MEL9 » inconnue",
        "resultats_erreurs.csv, ligne 4, colonne « Nom » : apprenant « INCONNU Paul » inconnu dans la classe 2MEL1",
        "resultats_erreurs.csv, ligne 5, colonne « Compétence » : compétence « C99 » inconnue dans le référentiel "
        "BACPRO-MELEC",
        "resultats_erreurs.csv, ligne 6, colonne « Critère » : critère C8-9 inconnu (C8 compte 5 critères)",
        "resultats_erreurs.csv, ligne 7, colonne « Résultat » : code « XX » inconnu "
        "(codes admis : NA, PR, RA, RT, NV, AB)",
        "resultats_erreurs.csv, ligne 8, colonne « Date » : date « 2/13/2026 » invalide (format attendu jj/mm/aaaa)",
        "resultats_erreurs.csv, ligne 9, colonne « Complexité » : complexité « Expert » inconnue "
        "(attendu D, Int, B ou E pour un bilan entreprise)",
        "resultats_erreurs.csv, ligne 10, colonne « Résultat » : résultat en double pour cet apprenant et ce critère "
        "(déjà ligne 2)",
    ]
    assert snapshot(school) == before
    plan = imports.import_results(school, OPERATOR, read("resultats_erreurs.csv"), "resultats_erreurs.csv",
                                    partial=True)
    assert plan.summary() == "1 évaluation ajoutée, 2 résultats ajoutés ; 8 lignes rejetées."
    assert school.execute("SELECT count(*) FROM results").fetchone()[0] == 2


def test_results_missing_column_and_mismatched_criterion_code(school):
    text = "Classe;Nom;Prénom;Évaluation;Date;Compétence;Critère;Résultat\r\n2MEL1;MARTIN;Lucas;T;01/12/2026;C1;1;RT\r\n"
    with pytest.raises(FileRejected, match="colonne « Complexité » : colonne obligatoire absente"):
        imports.preview_results(school, OPERATOR, text.encode(), "r.csv")
    text = ("Classe;Nom;Prénom;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
            "2MEL1;MARTIN;Lucas;T;01/12/2026;B;C2;C1-1;RT\r\n")
    plan = imports.preview_results(school, OPERATOR, text.encode(), "r.csv")
    assert messages(plan.rejected) == [
        "r.csv, ligne 2, colonne « Critère » : le critère « C1-1 » n'appartient pas à la compétence « C2 »"]


RESULTS_WITH_ELEVE = "resultats_pronote_eleve.csv"


def test_results_with_one_eleve_column_are_those_of_the_nom_prenom_file(school):
    def changes(plan):
        return [(c.line, c.entity, c.action, c.label, c.detail) for c in plan.changes]

    preview = imports.preview_results(school, OPERATOR, read(RESULTS_WITH_ELEVE), RESULTS_WITH_ELEVE)
    assert not preview.rejected and not preview.notes
    assert changes(preview) == changes(
        imports.preview_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv"))
    plan = imports.import_results(school, OPERATOR, read(RESULTS_WITH_ELEVE), RESULTS_WITH_ELEVE)
    assert plan.summary() == "5 évaluations ajoutées, 66 résultats ajoutés."
    assert school.execute(
        "SELECT l.last_name, l.first_name, count(*) FROM results r JOIN learners l ON l.id = r.learner_id "
        "WHERE l.last_name IN ('DA SILVA', 'LE GOFF', 'N''DIAYE') GROUP BY l.id ORDER BY l.last_name").fetchall() == [
        ("DA SILVA", "Kylian", 5), ("LE GOFF", "Jean-René", 5), ("N'DIAYE", "Moussa", 5)]

    before = snapshot(school)
    again = imports.import_results(school, OPERATOR, read(RESULTS_WITH_ELEVE), RESULTS_WITH_ELEVE)
    assert again.summary() == "5 évaluations inchangées, 66 résultats inchangés."
    assert snapshot(school) == before
    # The Nom/Prénom file finds every one of these results already there.
    same = imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    assert same.summary() == "5 évaluations inchangées, 66 résultats inchangés."
    assert snapshot(school) == before


def test_an_unsplittable_name_in_results_is_a_rejected_line_and_nothing_is_written(school):
    text = ("Nom et prénom;Classe;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
            "MARTIN Lucas;2MEL1;Dépannage n°1;02/12/2026;B;C8;1;RT\r\n"
            "Bernard Emma;2MEL1;Dépannage n°1;02/12/2026;B;C8;1;RT\r\n"
            "DUBOIS;2MEL1;Dépannage n°1;02/12/2026;B;C8;1;RT\r\n"
            ";2MEL1;Dépannage n°1;02/12/2026;B;C8;1;RT\r\n"
            "INCONNU Paul;2MEL1;Dépannage n°1;02/12/2026;B;C8;1;RT\r\n"
            "LEFEVRE Lea;2MEL1;Dépannage n°1;02/12/2026;B;C8;1;RA\r\n"
            "GARCIA INÈS;2MEL1;Dépannage n°1;2/13/2026;B;C8;1;RT\r\n")
    before = snapshot(school)
    with pytest.raises(FileRejected) as refused:
        imports.import_results(school, OPERATOR, text.encode(), "pronote.csv")
    expected = "(attendu « NOM Prénom », ex. « DUPONT Jean »)"
    assert messages(refused.value.problems) == [
        f"pronote.csv, ligne 3, colonne « Nom et prénom » : « Bernard Emma » ne commence pas par un nom en "
        f"majuscules {expected}",
        f"pronote.csv, ligne 4, colonne « Nom et prénom » : prénom absent après le nom « DUBOIS » {expected}",
        "pronote.csv, ligne 5, colonne « Nom et prénom » : valeur obligatoire manquante",
        "pronote.csv, ligne 6, colonne « Nom et prénom » : apprenant « INCONNU Paul » inconnu dans la classe 2MEL1",
        "pronote.csv, ligne 8, colonne « Nom et prénom » : « GARCIA INÈS » est tout en majuscules : le nom ne se "
        f"distingue pas du prénom {expected}",
        "pronote.csv, ligne 8, colonne « Date » : date « 2/13/2026 » invalide (format attendu jj/mm/aaaa)",
    ]
    assert refused.value.problems[0].content == "Bernard Emma ; 2MEL1 ; Dépannage n°1 ; 02/12/2026 ; B ; C8 ; 1 ; RT"
    assert snapshot(school) == before

    plan = imports.import_results(school, OPERATOR, text.encode(), "pronote.csv", partial=True)
    assert plan.summary() == "1 évaluation ajoutée, 2 résultats ajoutés ; 5 lignes rejetées."
    # Written without accents, the name still finds LEFÈVRE Léa, as it would in Nom and Prénom columns.
    assert school.execute("SELECT l.last_name, l.first_name, r.code FROM results r "
                          "JOIN learners l ON l.id = r.learner_id ORDER BY l.last_name").fetchall() == [
        ("LEFÈVRE", "Léa", "RA"), ("MARTIN", "Lucas", "RT")]


def test_separate_name_columns_win_over_a_combined_one_in_results(school):
    text = ("Classe;Nom;Prénom;Élève;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
            "2MEL1;MARTIN;Lucas;Martin Lucas;Dépannage n°1;02/12/2026;B;C8;1;RT\r\n")
    plan = imports.import_results(school, OPERATOR, text.encode(), "r.csv")
    assert plan.notes == ["Colonnes ignorées : « Élève »."]
    assert [c.label for c in plan.changes if c.entity == "result"] == ["2MEL1 — MARTIN Lucas — Dépannage n°1 — C8-1"]
    # With only one of the separate columns, the combined column holds the whole name.
    text = ("Classe;Nom;Élève;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
            "2MEL1;X;BERNARD Emma;Dépannage n°1;02/12/2026;B;C8;1;PR\r\n")
    plan = imports.import_results(school, OPERATOR, text.encode(), "r.csv")
    assert plan.notes == ["Colonnes ignorées : « Nom »."]
    assert school.execute("SELECT l.last_name, r.code FROM results r JOIN learners l ON l.id = r.learner_id "
                          "ORDER BY l.last_name").fetchall() == [("BERNARD", "PR"), ("MARTIN", "RT")]


def test_a_results_file_without_first_names_mentions_the_combined_column(school):
    text = "Classe;Nom;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n2MEL1;MARTIN;T;01/12/2026;B;C1;1;RT\r\n"
    with pytest.raises(FileRejected) as refused:
        imports.preview_results(school, OPERATOR, text.encode(), "r.csv")
    assert messages(refused.value.problems) == [
        "r.csv, ligne 1, colonne « Prénom » : colonne obligatoire absente (colonnes trouvées : « Classe », « Nom », "
        "« Évaluation », « Date », « Complexité », « Compétence », « Critère », « Résultat ») ; une colonne "
        "« Élève (NOM Prénom) » peut remplacer « Nom » et « Prénom »"]


def test_five_megabyte_results_file(demo_db, tmp_path):
    """A 5 MB export (generated here, never committed) is imported whole, then re-imported as unchanged."""
    learners = demo_db.execute("SELECT c.name, l.last_name, l.first_name FROM learners l "
                               "JOIN classes c ON c.id = l.class_id ORDER BY l.id").fetchall()
    criteria = [(f"C{c}", p) for c, n in ((1, 8), (2, 11), (4, 10), (5, 6), (8, 5), (9, 6)) for p in range(1, n + 1)]
    path = tmp_path / "resultats_annee.csv"
    lines = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(["Classe", "Nom", "Prénom", "Évaluation", "Date", "Complexité", "Compétence", "Critère",
                         "Résultat"])
        number = 0
        while handle.tell() < 5 * 1024 * 1024:
            number += 1
            for klass, last, first in learners:
                for competency, position in criteria[number % 7: number % 7 + 4]:
                    writer.writerow([klass, last, first, f"Évaluation importée n°{number}",
                                     f"{number % 28 + 1:02d}/01/2026", ("D", "Int", "B")[number % 3], competency,
                                     position, ("NA", "PR", "RA", "RT", "NV", "AB")[(lines := lines + 1) % 6]])
    data = path.read_bytes()
    assert len(data) >= 5 * 1024 * 1024
    before = demo_db.execute("SELECT count(*) FROM results").fetchone()[0]
    plan = imports.import_results(demo_db, OPERATOR, data, path.name)
    assert plan.lines == lines and not plan.rejected
    assert plan.count("result", imports.ADDED) == lines
    assert demo_db.execute("SELECT count(*) FROM results").fetchone()[0] == before + lines
    again = imports.preview_results(demo_db, OPERATOR, data, path.name)
    assert not again.has_writes and again.count("result", imports.UNCHANGED) == lines


# ---------------------------------------------------------------- référentiel


def cap_uploads():
    return imports.read_referentiel_folder(DATA / "referentiel_cap_elec")


def zipped(files: dict[str, bytes], folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(folder + name, data)
    return buffer.getvalue()


def test_referentiel_of_another_diploma_then_its_classes(empty_db):
    preview = imports.preview_referentiel(empty_db, OPERATOR, cap_uploads())
    assert preview.summary() == ("1 diplôme ajouté, 2 unités ajoutées, 3 domaines ajoutés, 4 compétences ajoutées, "
                                 "9 critères ajoutés.")
    imports.import_referentiel(empty_db, OPERATOR, cap_uploads())
    assert referentiel.referentiel_counts(empty_db, "CAP-ELEC") == {
        "units": 2, "domains": 3, "competencies": 4, "criteria": 9}
    before = snapshot(empty_db)
    again = imports.import_referentiel(empty_db, OPERATOR, cap_uploads())
    assert not again.has_writes and snapshot(empty_db) == before
    imports.import_learners(empty_db, OPERATOR, "Nom;Prénom;Classe\r\nDUPONT;Jean;CAP1 ELEC\r\n".encode(), "c.csv",
                              diploma="CAP-ELEC")
    assert empty_db.execute("SELECT diploma FROM classes WHERE name = 'CAP1 ELEC'").fetchone() == ("CAP-ELEC",)
    assert "CAP-ELEC" in imports.diploma_options(empty_db, OPERATOR)["code"].tolist()


def test_referentiel_as_a_zip_with_a_folder_and_a_readme(empty_db):
    files = {name: data for name, data in cap_uploads()}
    files["README.md"] = b"notes"
    plan = imports.import_referentiel(empty_db, OPERATOR, [("cap.zip", zipped(files, "cap_elec/"))])
    assert plan.notes == ["Fichier « README.md » ignoré (attendus : diploma.csv, units.csv, domains.csv, "
                          "competencies.csv, criteria.csv)."]
    assert referentiel.referentiel_counts(empty_db, "CAP-ELEC")["criteria"] == 9


def test_referentiel_correction_of_the_shipped_one_is_an_update(empty_db):
    files = {name: data for name, data in imports.read_referentiel_folder(referentiel.DEFAULT_REFERENTIEL_DIR)}
    files["units.csv"] = files["units.csv"].replace(b"U32,E32,\"Maintenance d'une installation\",2",
                                                    b"U32,E32,\"Maintenance d'une installation\",2.5")
    plan = imports.import_referentiel(empty_db, OPERATOR, list(files.items()))
    assert [(c.label, c.detail) for c in plan.changes if c.action == imports.UPDATED] == [
        ("U32 — Maintenance d'une installation", "coefficient")]
    assert empty_db.execute("SELECT coefficient FROM units WHERE code = 'U32'").fetchone() == (2.5,)


def test_broken_referentiel_refused_whole(empty_db):
    files = {name: data for name, data in cap_uploads()}
    files["criteria.csv"] = files["criteria.csv"] + b"C9,1,Critere d'une competence absente\n"
    del files["domains.csv"]
    before = snapshot(empty_db)
    with pytest.raises(FileRejected) as refused:
        imports.import_referentiel(empty_db, OPERATOR, [("cap.zip", zipped(files))])
    assert messages(refused.value.problems) == ["domains.csv : fichier absent du référentiel"]
    files["domains.csv"] = (DATA / "referentiel_cap_elec" / "domains.csv").read_bytes()
    with pytest.raises(FileRejected) as refused:
        imports.import_referentiel(empty_db, OPERATOR, list(files.items()))
    assert messages(refused.value.problems) == [
        "criteria.csv, ligne 11, colonne « competency » : compétence « C9 » inconnue (absente de competencies.csv)"]
    assert snapshot(empty_db) == before


def test_referentiel_in_windows_1252(empty_db, tmp_path):
    folder = tmp_path / "ref"
    shutil.copytree(DATA / "referentiel_cap_elec", folder)
    for path in folder.iterdir():
        path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    imports.import_referentiel(empty_db, OPERATOR, imports.read_referentiel_folder(folder))
    assert empty_db.execute("SELECT title FROM units WHERE code = 'UP1'").fetchone() == ("Réalisation d'une installation",)


# ---------------------------------------------------------------- permissions


@pytest.mark.parametrize("who", ["teacher", "learner", None])
def test_only_ddfpt_and_admin_may_import(demo_db, roles, who):
    user = roles[who] if who else None
    before = snapshot(demo_db)
    learners = read("eleves_utf8_bom.csv")
    calls = [
        lambda: imports.preview_learners(demo_db, user, learners, "e.csv"),
        lambda: imports.import_learners(demo_db, user, learners, "e.csv"),
        lambda: imports.preview_results(demo_db, user, read("resultats_long.csv"), "r.csv"),
        lambda: imports.import_results(demo_db, user, read("resultats_long.csv"), "r.csv", partial=True),
        lambda: imports.preview_referentiel(demo_db, user, cap_uploads()),
        lambda: imports.import_referentiel(demo_db, user, cap_uploads()),
        lambda: imports.diploma_options(demo_db, user),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert snapshot(demo_db) == before


@pytest.mark.parametrize("who", ["ddfpt", "admin"])
def test_ddfpt_and_admin_import_as_themselves(demo_db, roles, who):
    plan = imports.import_learners(demo_db, roles[who], read("eleves_utf8_bom.csv"), "e.csv")
    assert plan.count("learner", imports.ADDED) == 30
    assert demo_db.execute("SELECT user_id, user_name FROM audit_log WHERE action = 'import'").fetchone() == (
        roles[who].id, roles[who].name)


def test_admin_may_not_import_results(demo_db, roles):
    before = snapshot(demo_db)
    with pytest.raises(PermissionDenied):
        imports.import_results(demo_db, roles["admin"], read("resultats_long.csv"), "r.csv", partial=True)
    assert snapshot(demo_db) == before
    assert imports.import_kinds(roles["admin"]) == ["learners", "referentiel"]
    assert imports.import_kinds(roles["ddfpt"]) == ["learners", "results", "referentiel"]


def test_xlsx_with_title_rows_and_numbers(empty_db, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Liste des élèves"])
    sheet.append([])
    sheet.append(["Classe", "Nom", "Prénom", "Évaluation", "Date", "Complexité", "Compétence", "Critère", "Résultat"])
    path = tmp_path / "r.xlsx"
    imports.import_learners(empty_db, OPERATOR, "Nom;Prénom;Classe\r\nDUPONT;Jean;2MEL1\r\n".encode(), "e.csv")
    sheet.append(["2MEL1", "DUPONT", "Jean", "Câblage", datetime(2026, 10, 1), "B", "C4", 2.0, "RT"])
    workbook.save(path)
    plan = imports.import_results(empty_db, OPERATOR, path.read_bytes(), path.name)
    assert plan.summary() == "1 évaluation ajoutée, 1 résultat ajouté."
    assert plan.changes[1].line == 4
    assert empty_db.execute("SELECT eval_date FROM evaluations").fetchone() == ("2026-10-01",)


# ---------------------------------------------------------------- page (AppTest)


def run_import_page(app_env, role):
    user = first_user(connect(app_env), role)
    at = AppTest.from_file(str(ROOT / "views" / "import.py"), default_timeout=30)
    at.session_state["user_id"] = user.id
    return at.run()


def test_import_page_refuses_a_teacher_who_opens_it(app_env):
    at = run_import_page(app_env, "teacher")
    assert not at.exception
    assert [e.value for e in at.error] == ["Votre profil ne permet pas cette action."], [m.value for m in at.main]
    assert not at.radio and not at.get("file_uploader")


def test_import_page_offers_the_three_imports(app_env):
    at = run_import_page(app_env, "ddfpt")
    assert not at.exception
    assert at.radio[0].label == "Données à importer"
    assert at.radio[0].options == ["Classes et apprenants", "Résultats d'évaluations", "Référentiel"]
    assert at.selectbox[0].label == "Diplôme des classes créées" and at.selectbox[0].value == "BACPRO-MELEC"
    assert at.text_input[0].value == imports.current_school_year()
    assert len(at.get("file_uploader")) == 1
    at.radio[0].set_value("referentiel").run()
    assert not at.selectbox and len(at.get("file_uploader")) == 1


def test_a_file_converted_twice_gets_its_accents_back(empty_db):
    text = "Nom;Prénom;Classe\r\nÉGRÈVE;Zoé;1MEL1\r\n".encode().decode("cp1252").encode()
    plan = imports.import_learners(empty_db, OPERATOR, text, "double.csv")
    assert plan.notes == ["Le fichier avait été converti deux fois (« Ã© » pour « é ») : ses accents ont été rétablis."]
    assert learners_of(empty_db, "1MEL1") == [("ÉGRÈVE", "Zoé", None, None)]
    clean = imports.preview_learners(empty_db, OPERATOR, read("eleves_utf8_bom.csv"), "e.csv")
    assert clean.notes == ["Colonnes ignorées : « Sexe »."]


def test_formula_text_in_a_csv_is_stored_as_written_and_exported_disarmed(empty_db):
    text = 'Nom;Prénom;Classe\r\n"=HYPERLINK(""http://evil.example"",""x"")";Jean;2MEL1\r\n+33;Paul;2MEL1\r\n'
    imports.import_learners(empty_db, OPERATOR, text.encode(), "f.csv")
    names = [r[0] for r in learners_of(empty_db, "2MEL1")]
    assert names == ["+33", '=HYPERLINK("http://evil.example","x")']
    exported = french_csv(["Nom"], [[n] for n in names]).decode("utf-8-sig").splitlines()
    assert exported == ["Nom", "'+33", '"\'=HYPERLINK(""http://evil.example"",""x"")"']
