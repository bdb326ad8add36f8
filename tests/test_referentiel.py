import pytest

from livret.errors import FileRejected
from livret.imports import referentiel

from .conftest import snapshot


def test_shipped_referentiel_counts(empty_db):
    assert referentiel.referentiel_counts(empty_db, "BACPRO-MELEC") == {
        "units": 3, "domains": 5, "competencies": 13, "criteria": 78}
    title = empty_db.execute("SELECT title FROM competencies WHERE code = 'C1'").fetchone()[0]
    assert title == "Analyser les conditions de l'opération et son contexte"


def test_reloading_is_idempotent(empty_db):
    before = empty_db.execute("SELECT count(*) FROM criteria").fetchone()[0]
    referentiel.load_default_referentiel(empty_db)
    assert empty_db.execute("SELECT count(*) FROM criteria").fetchone()[0] == before


def _files():
    return referentiel.read_referentiel_dir()


@pytest.mark.parametrize("edit, expected", [
    (lambda f: f.__setitem__("competencies.csv", f["competencies.csv"].replace("C1,\"Analyser", "C1,\"Analyser").replace(",U2,PREP,A1 A5", ",U9,PREP,A1 A5")),
     "competencies.csv, ligne 2, colonne « unit » : unité « U9 » inconnue"),
    (lambda f: f.__setitem__("units.csv", f["units.csv"] + "U2,E2,Autre,1,\n"),
     "units.csv, ligne 5, colonne « code » : code « U2 » en double"),
    (lambda f: f.__setitem__("criteria.csv", f["criteria.csv"].replace("competency,order,text", "competency,text")),
     "criteria.csv, ligne 1, colonne « order » : colonne obligatoire absente"),
    (lambda f: f.__setitem__("criteria.csv", f["criteria.csv"] + "C1,1,Encore le premier\n"),
     "critère C1-1 en double"),
    (lambda f: f.pop("domains.csv"), "domains.csv, ligne 0 : fichier absent"),
])
def test_malformed_referentiel_refused_with_file_line_reason_and_nothing_written(tmp_path, edit, expected):
    from livret import schema
    from livret.db import connect

    db = connect(tmp_path / "x.db")
    schema.migrate(db)
    files = _files()
    edit(files)
    before = snapshot(db)
    with pytest.raises(FileRejected) as raised:
        referentiel.parse_referentiel(files)
    assert expected in str(raised.value)
    assert snapshot(db) == before and not before["competencies"] and not before["criteria"]


def test_other_diploma_loads_beside_melec(empty_db):
    files = {
        "diploma.csv": "code,title,version\nCAP-X,CAP fictif,2025\n",
        "units.csv": "code;epreuve;title;coefficient\nUP1;EP1;Pratique;4,5\n",
        "domains.csv": "code,title,radar_order\nD1,Réalisation,1\n",
        "competencies.csv": "code,title,unit,domain,activities\nC1,Réaliser,UP1,D1,\n",
        "criteria.csv": "competency,order,text\nC1,1,Le travail est fait\n",
    }
    counts = referentiel.write_referentiel(empty_db, referentiel.parse_referentiel(files))
    assert counts == {"units": 1, "domains": 1, "competencies": 1, "criteria": 1}
    assert empty_db.execute("SELECT coefficient FROM units WHERE diploma = 'CAP-X'").fetchone()[0] == 4.5
    assert referentiel.referentiel_counts(empty_db, "BACPRO-MELEC")["criteria"] == 78
