"""python -m livret import …: the same imports as the page, for scripted set-up of a school."""

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from livret import demo
from livret.cli import main
from livret.db import connect

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def school_db(tmp_path) -> Path:
    path = tmp_path / "lycee.db"
    demo.build_empty_database(path)
    return path


def count(path: Path, sql: str) -> int:
    db = connect(path)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def test_set_up_a_school_from_the_command_line(school_db, capsys):
    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_utf8_bom.csv"),
                 "--school-year", "2026-2027"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["Colonnes ignorées : « Sexe ».",
                                "Importé : 3 classes ajoutées, 30 apprenants ajoutés, 30 comptes apprenants ajoutés."]
    assert main(["--db", str(school_db), "import", "results", str(DATA / "resultats_long.csv")]) == 0
    assert capsys.readouterr().out == "Importé : 5 évaluations ajoutées, 66 résultats ajoutés.\n"
    assert count(school_db, "SELECT count(*) FROM results") == 66
    # The command line is no account of the database: its writes have no author, the audit names it.
    assert count(school_db, "SELECT count(*) FROM evaluations WHERE author_id IS NULL") == 5
    assert count(school_db, "SELECT count(*) FROM audit_log WHERE user_name = 'Ligne de commande'") == 2

    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_utf8_bom.csv")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Importé : 30 apprenants inchangés."


def test_pronote_eleve_column_and_learners_who_changed_class(school_db, capsys):
    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_utf8_bom.csv")]) == 0
    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_pronote_eleve.csv")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Importé : 1 classe ajoutée, 6 apprenants ajoutés, 3 comptes apprenants ajoutés.")
    assert count(school_db, "SELECT count(*) FROM learners WHERE last_name = 'DA SILVA SANTOS' "
                            "AND first_name = 'Léa Marie'") == 1

    passage = str(DATA / "eleves_passage_1ere.csv")
    assert main(["--db", str(school_db), "import", "learners", passage]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Importé : 1 classe ajoutée, 3 apprenants mis à jour, 1 apprenant inchangé.",
        "Mises à jour :",
        "  ligne 2 : 1MEL1 — MARTIN Lucas — changement de classe : 2MEL1 → 1MEL1",
        "  ligne 3 : 1MEL1 — BERNARD Emma — changement de classe : 2MEL1 → 1MEL1",
        "  ligne 5 : 1MEL2 — LEFÈVRE Léa — changement de classe : 2MEL1 → 1MEL2"]
    assert count(school_db, "SELECT count(*) FROM learners l JOIN classes c ON c.id = l.class_id "
                            "WHERE c.name = '1MEL1' AND l.last_name IN ('MARTIN', 'BERNARD')") == 2
    assert count(school_db, "SELECT count(*) FROM learners") == 36
    assert main(["--db", str(school_db), "import", "learners", passage]) == 0
    assert capsys.readouterr().out == "Importé : 4 apprenants inchangés.\n"


def test_an_unsplittable_eleve_is_refused_from_the_command_line(school_db, tmp_path, capsys):
    listing = tmp_path / "pronote.csv"
    listing.write_text("Élève;Classe\r\nDUPONT Jean;2MEL1\r\nDupont Marie;2MEL1\r\n", encoding="utf-8")
    assert main(["--db", str(school_db), "import", "learners", str(listing)]) == 1
    assert capsys.readouterr().err.splitlines()[1] == (
        "  pronote.csv, ligne 3, colonne « Élève » : « Dupont Marie » ne commence pas par un nom en majuscules "
        "(attendu « NOM Prénom », ex. « DUPONT Jean »)")
    assert count(school_db, "SELECT count(*) FROM learners") == 0


def test_results_with_one_eleve_column_from_the_command_line(school_db, tmp_path, capsys):
    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_utf8_bom.csv")]) == 0
    capsys.readouterr()
    assert main(["--db", str(school_db), "import", "results", str(DATA / "resultats_pronote_eleve.csv")]) == 0
    assert capsys.readouterr().out == "Importé : 5 évaluations ajoutées, 66 résultats ajoutés.\n"
    assert main(["--db", str(school_db), "import", "results", str(DATA / "resultats_long.csv")]) == 0
    assert capsys.readouterr().out == "Importé : 5 évaluations inchangées, 66 résultats inchangés.\n"

    listing = tmp_path / "pronote.csv"
    listing.write_text("Élève;Classe;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
                       "MARTIN Lucas;2MEL1;Dépannage n°1;02/12/2026;B;C8;1;RT\r\n"
                       "Martin Lucas;2MEL1;Dépannage n°1;02/12/2026;B;C8;2;RT\r\n", encoding="utf-8")
    assert main(["--db", str(school_db), "import", "results", str(listing)]) == 1
    assert capsys.readouterr().err.splitlines()[1] == (
        "  pronote.csv, ligne 3, colonne « Élève » : « Martin Lucas » ne commence pas par un nom en majuscules "
        "(attendu « NOM Prénom », ex. « DUPONT Jean »)")
    assert count(school_db, "SELECT count(*) FROM results") == 66


def test_refused_import_exits_non_zero_and_lists_the_lines(school_db, capsys):
    code = main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_erreurs.csv")])
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0] == "Import refusé, rien n'a été modifié :"
    assert lines[1] == "  eleves_erreurs.csv, ligne 3, colonne « Nom » : valeur obligatoire manquante"
    assert lines[-1] == "Corrigez ces lignes, ou ajoutez --partial pour n'importer que les lignes valides."
    assert count(school_db, "SELECT count(*) FROM learners") == 0

    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_erreurs.csv"), "--partial"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Importé : 1 classe ajoutée, 2 apprenants ajoutés, 2 comptes apprenants ajoutés ; 6 lignes rejetées."
    assert out[1] == "Lignes rejetées et ignorées :"
    assert len(out) == 2 + 6
    assert count(school_db, "SELECT count(*) FROM learners") == 2


def test_whole_file_problem(school_db, capsys):
    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_vide.csv")]) == 1
    assert capsys.readouterr().err == "Import refusé, rien n'a été modifié :\n  eleves_vide.csv : le fichier est vide\n"


def test_referentiel_from_a_folder_then_a_zip(school_db, capsys, tmp_path):
    folder = DATA / "referentiel_cap_elec"
    assert main(["--db", str(school_db), "import", "referentiel", str(folder)]) == 0
    assert capsys.readouterr().out == ("Importé : 1 diplôme ajouté, 2 unités ajoutées, 3 domaines ajoutés, "
                                       "4 compétences ajoutées, 9 critères ajoutés.\n")
    archive = tmp_path / "cap.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in folder.iterdir():
            handle.write(path, path.name)
    assert main(["--db", str(school_db), "import", "referentiel", str(archive)]) == 0
    assert "critères inchangés" in capsys.readouterr().out
    assert main(["--db", str(school_db), "import", "learners", "--diploma", "CAP-ELEC",
                 str(DATA / "eleves_virgule.csv")]) == 0
    assert count(school_db, "SELECT count(*) FROM classes WHERE diploma = 'CAP-ELEC'") == 1


def test_broken_referentiel_zip(school_db, capsys, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        handle.writestr("diploma.csv", "code,title\nX,Y\n")
    archive = tmp_path / "x.zip"
    archive.write_bytes(buffer.getvalue())
    assert main(["--db", str(school_db), "import", "referentiel", str(archive)]) == 1
    err = capsys.readouterr().err
    assert "  units.csv : fichier absent du référentiel" in err and "--partial" not in err
    assert count(school_db, "SELECT count(*) FROM diplomas") == 1


def test_missing_database_or_file(tmp_path, school_db, capsys):
    assert main(["--db", str(tmp_path / "absent.db"), "import", "learners", str(DATA / "eleves_utf8_bom.csv")]) == 2
    assert "n'existe pas : créez-la d'abord (python -m livret init)" in capsys.readouterr().err
    assert not (tmp_path / "absent.db").exists()
    assert main(["--db", str(school_db), "import", "results", str(tmp_path / "nope.csv")]) == 2
    assert "Le fichier" in capsys.readouterr().err


def test_python_dash_m_entry_point(school_db):
    done = subprocess.run([sys.executable, "-m", "livret", "--db", str(school_db), "import", "learners",
                           str(DATA / "eleves_erreurs.csv")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert "ligne 4, colonne « Date de naissance » : date « 31/02/2009 » invalide" in done.stderr
