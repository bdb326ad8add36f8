"""python -m livret import …: the same imports as the page, for scripted set-up of a school."""

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from livret import demo
from livret.db import connect
from livret.tools.cli import main

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
    assert out.splitlines() == [
        "Colonnes ignorées : « Sexe ».",
        "Importé : 3 classes ajoutées, 30 apprenants ajoutés, 30 comptes apprenants ajoutés.",
        "  Nouvelle classe « 2MEL1 » (ligne 2) : année scolaire 2026-2027, diplôme BACPRO-MELEC",
        "  Nouvelle classe « 1MEL1 » (ligne 14) : année scolaire 2026-2027, diplôme BACPRO-MELEC",
        "  Nouvelle classe « TMEL1 » (ligne 24) : année scolaire 2026-2027, diplôme BACPRO-MELEC"]
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
    assert capsys.readouterr().out.splitlines()[-2] == (
        "Importé : 1 classe ajoutée, 6 apprenants ajoutés, 3 comptes apprenants ajoutés.")
    assert count(school_db, "SELECT count(*) FROM learners WHERE last_name = 'DA SILVA SANTOS' "
                            "AND first_name = 'Léa Marie'") == 1

    passage = str(DATA / "eleves_passage_1ere.csv")
    assert main(["--db", str(school_db), "import", "learners", passage, "--school-year", "2026-2027"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Importé : 1 classe ajoutée, 3 apprenants mis à jour, 1 apprenant inchangé.",
        "  Nouvelle classe « 1MEL2 » (ligne 5) : année scolaire 2026-2027, diplôme BACPRO-MELEC",
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
    assert out[1].startswith("  Nouvelle classe « 2MEL1 »")
    assert out[2] == "Lignes rejetées et ignorées :"
    assert len(out) == 3 + 6
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


def test_a_possible_homonym_waits_for_a_decision_given_on_the_command_line(school_db, tmp_path, capsys):
    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_utf8_bom.csv")]) == 0
    capsys.readouterr()
    listing = tmp_path / "rentree.csv"
    listing.write_text("Nom;Prénom;Classe;Date de naissance\r\nmartin;lucas;1MEL1;02/05/2008\r\n"
                       "BERNARD;Emma;1MEL1;04/07/2010\r\n", encoding="utf-8")
    assert main(["--db", str(school_db), "import", "learners", str(listing)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Import refusé, rien n'a été modifié :"
    assert err[1].startswith("  rentree.csv, ligne 2, colonne « Nom » : homonyme possible (même nom et prénom qu'un "
                             "apprenant de 2MEL1, mais une autre date de naissance)")
    assert err[2] == ("Pour chaque homonyme possible, relancez avec --same-learner LIGNE (même apprenant), "
                      "--new-learner LIGNE (nouvel apprenant) ou --skip-line LIGNE (ignorer la ligne).")
    assert count(school_db, "SELECT count(*) FROM learners WHERE last_name = 'MARTIN'") == 1
    assert count(school_db, "SELECT count(*) FROM learners WHERE last_name = 'BERNARD' AND class_id = "
                            "(SELECT id FROM classes WHERE name = '2MEL1')") == 1  # nothing moved either

    assert main(["--db", str(school_db), "import", "learners", str(listing), "--new-learner", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Importé : 1 apprenant ajouté, 1 apprenant mis à jour."
    assert out[1].startswith("  Ligne 2 : nouvel apprenant (homonyme possible")
    assert count(school_db, "SELECT count(*) FROM learners WHERE last_name = 'MARTIN' AND first_name = 'Lucas'") == 2
    assert main(["--db", str(school_db), "import", "learners", str(listing), "--skip-line", "2,3"]) == 2
    # Line 2 is now the learner just added to 1MEL1: no doubt left on either line.
    assert "Lignes 2, 3 : aucun homonyme possible à trancher sur ces lignes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--db", str(school_db), "import", "learners", str(listing), "--skip-line", "x"])
    assert "« x » : attendu un numéro de ligne" in capsys.readouterr().err


def test_learners_help_documents_the_homonym_decisions(capsys):
    with pytest.raises(SystemExit):
        main(["import", "learners", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "homonyme possible" in out and "--same-learner LIGNES" in out and "--new-learner LIGNES" in out
    assert "--skip-line LIGNES" in out


def test_results_into_an_evaluation_counted_in_a_bilan_need_allow_locked(school_db, capsys):
    assert main(["--db", str(school_db), "import", "learners", str(DATA / "eleves_utf8_bom.csv")]) == 0
    assert main(["--db", str(school_db), "import", "results", str(DATA / "resultats_long.csv")]) == 0
    db = connect(school_db)
    db.execute("UPDATE evaluations SET modified_at = '2026-09-16 10:00:00'")
    db.execute("INSERT INTO bilans(learner_id, status, validated_at, created_at, modified_at) SELECT id, 'validated', "
               "'2026-10-01 12:00:00', '2026-10-01 12:00:00', '2026-10-01 12:00:00' FROM learners "
               "WHERE last_name = 'MARTIN'")
    db.close()
    capsys.readouterr()
    correction = Path(school_db).parent / "corrige.csv"
    correction.write_text("Classe;Nom;Prénom;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
                          "2MEL1;MARTIN;Lucas;Câblage d'un tableau n°1;15/09/2026;D;C4;C4-1;NA\r\n", encoding="utf-8")
    assert main(["--db", str(school_db), "import", "results", str(correction)]) == 1
    err = capsys.readouterr().err
    assert "est déjà prise en compte dans un bilan validé le 01/10/2026" in err
    assert "Ajoutez --allow-locked pour modifier ces évaluations (chaque modification sera journalisée)." in err
    assert count(school_db, "SELECT count(*) FROM results WHERE code = 'NA' AND learner_id = "
                            "(SELECT id FROM learners WHERE last_name = 'MARTIN')") == 0
    assert main(["--db", str(school_db), "import", "results", str(correction), "--allow-locked"]) == 0
    assert capsys.readouterr().out.startswith("Importé : 1 évaluation mise à jour, 1 résultat mis à jour.")
    assert count(school_db, "SELECT count(*) FROM audit_log WHERE action = 'evaluation.results' "
                            "AND user_name = 'Ligne de commande'") == 1
