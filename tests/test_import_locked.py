"""Results import into evaluations already counted in a validated bilan: refused unless the DDFPT allows it for
this import, and then every change journalled as Saisie journals it (its « Journal des modifications »)."""

import json
from pathlib import Path

import pytest

from livret import evaluations, imports
from livret.errors import FileRejected

from .test_importers import OPERATOR, messages, read, snapshot

DATA = Path(__file__).parent / "data"
HEADER = "Classe;Nom;Prénom;Évaluation;Date;Complexité;Compétence;Critère;Résultat\r\n"
CORRECTION = (HEADER + "2MEL1;MARTIN;Lucas;Câblage d'un tableau n°1;15/09/2026;D;C4;C4-1;NA\r\n"
              "2MEL1;MARTIN;Lucas;Câblage d'un tableau n°1;15/09/2026;D;C4;C4-2;PR\r\n").encode()


@pytest.fixture
def counted(empty_db):
    """2MEL1 with its results, MARTIN Lucas's bilan validated after they were entered."""
    db = empty_db
    imports.import_learners(db, OPERATOR, read("eleves_utf8_bom.csv"), "eleves.csv")
    imports.import_results(db, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    db.execute("UPDATE evaluations SET modified_at = '2026-09-16 10:00:00'")
    martin = db.execute("SELECT id FROM learners WHERE last_name = 'MARTIN'").fetchone()[0]
    db.execute("INSERT INTO bilans(learner_id, status, validated_at, created_at, modified_at) "
               "VALUES (?, 'validated', '2026-10-01 12:00:00', '2026-10-01 12:00:00', '2026-10-01 12:00:00')", [martin])
    evaluation = db.execute("SELECT id FROM evaluations WHERE title LIKE 'Câblage%'").fetchone()[0]
    assert evaluations.taken_into_account(db, evaluation) == "2026-10-01 12:00:00"
    return db, evaluation


def test_a_counted_evaluation_is_not_rewritten_without_leave(counted):
    db, evaluation = counted
    before = snapshot(db)
    plan = imports.preview_results(db, OPERATOR, CORRECTION, "corrige.csv")
    reason = ("l'évaluation « Câblage d'un tableau n°1 » du 15/09/2026 est déjà prise en compte dans un bilan validé "
              f"le 01/10/2026 : cochez « {imports.LOCKED_CONFIRM_LABEL} » (ou --allow-locked en ligne de commande) "
              "pour la modifier")
    assert messages(plan.rejected) == [f"corrige.csv, ligne {n}, colonne « Évaluation » : {reason}" for n in (2, 3)]
    assert plan.locked == [("2MEL1 — Câblage d'un tableau n°1 (15/09/2026)", "2026-10-01 12:00:00")]
    assert not plan.has_writes
    with pytest.raises(FileRejected):
        imports.import_results(db, OPERATOR, CORRECTION, "corrige.csv")
    # A partial import leaves those lines out: nothing to write.
    imports.import_results(db, OPERATOR, CORRECTION, "corrige.csv", partial=True)
    assert snapshot(db) == before
    assert evaluations.taken_into_account(db, evaluation)


def test_allowed_changes_are_journalled_as_saisie_does(counted):
    db, evaluation = counted
    preview = imports.preview_results(db, OPERATOR, CORRECTION, "corrige.csv", allow_locked=True)
    assert not preview.rejected
    assert preview.changes[0].detail == ("2 résultats à écrire ; déjà prise en compte dans un bilan validé le "
                                         "01/10/2026 : chaque modification est journalisée")
    plan = imports.import_results(db, OPERATOR, CORRECTION, "corrige.csv", allow_locked=True)
    assert plan.summary() == "1 évaluation mise à jour, 2 résultats mis à jour."
    lines = db.execute("SELECT user_name, action, entity, entity_id, before, after FROM audit_log "
                       "WHERE entity = 'evaluation'").fetchall()
    assert [line[:4] for line in lines] == [("Ligne de commande", "evaluation.results", "evaluation", evaluation)]
    before, after = json.loads(lines[0][4]), json.loads(lines[0][5])
    martin = db.execute("SELECT id FROM learners WHERE last_name = 'MARTIN'").fetchone()[0]
    assert before == {"modified_at": "2026-09-16 10:00:00",
                      "results": [{"learner_id": martin, "criterion": "C4.1", "code": "RT"},
                                  {"learner_id": martin, "criterion": "C4.2", "code": "RA"}]}
    assert after["results"] == [{"learner_id": martin, "criterion": "C4.1", "code": "NA"},
                                {"learner_id": martin, "criterion": "C4.2", "code": "PR"}]
    assert after["modified_at"] > "2026-10-01 12:00:00"
    journal = evaluations.audit_trail(db, OPERATOR, evaluation)
    assert journal[["Par", "Action"]].values.tolist() == [["Ligne de commande", "Résultats modifiés"]]
    assert journal["Détail"].iloc[0] == "C4.1 · MARTIN Lucas : RT → NA ; C4.2 · MARTIN Lucas : RA → PR"
    # The import's own audit line says which evaluations were changed past a bilan.
    summary = json.loads(db.execute("SELECT after FROM audit_log WHERE action = 'import' ORDER BY id DESC").fetchone()[0])
    assert summary["locked_evaluations_changed"] == [evaluation]


def test_a_complexity_change_and_a_new_criterion_are_journalled_too(counted):
    db, evaluation = counted
    text = (HEADER + "2MEL1;MARTIN;Lucas;Câblage d'un tableau n°1;15/09/2026;Int;C4;C4-1;RT\r\n"
            "2MEL1;MARTIN;Lucas;Câblage d'un tableau n°1;15/09/2026;Int;C1;C1-1;PR\r\n").encode()
    plan = imports.preview_results(db, OPERATOR, text, "c.csv")
    # The unchanged result is rejected too: its line changes the evaluation's complexity.
    assert [r.line for r in plan.rejected] == [2, 3]
    imports.import_results(db, OPERATOR, text, "c.csv", allow_locked=True)
    journal = evaluations.audit_trail(db, OPERATOR, evaluation)
    assert sorted(journal[["Action", "Détail"]].values.tolist()) == [
        ["Résultats modifiés", "C1.1 · MARTIN Lucas : — → PR"],
        ["Évaluation modifiée", "Complexité : « D » → « Int » ; critères ajoutés : C1.1"],
    ]
