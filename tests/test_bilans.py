"""Bilans intermédiaires (SPEC B1–B4): draft, confirmation, lock, unlock, edits, audit, reading rights."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from livret import bilans, evidence
from livret.bilans import Positioning, lifecycle
from livret.codes import positioning_short
from livret.db import connect
from livret.errors import NotFound, PermissionDenied, ValidationError

from .conftest import ROOT, first_user

PLUS_TERMINAL = Positioning(3, "terminal")
MINUS_INTERMEDIATE = Positioning(2, "intermediate")


@pytest.fixture
def learner_id(demo_db, roles):
    """A learner of the teacher's first class (who has the demo's two validated bilans)."""
    return roles["learner"].learner_id


def competency_id(db, code):
    return db.execute("SELECT id FROM competencies WHERE code = ?", [code]).fetchone()[0]


def state(db, learner_id):
    """Everything a bilan write may change, to show that a refused write changed nothing."""
    return (
        db.execute("SELECT id, status, validated_at, constats, conseils FROM bilans WHERE learner_id = ? ORDER BY id",
                   [learner_id]).fetchall(),
        db.execute("SELECT p.* FROM positionings p JOIN bilans b ON b.id = p.bilan_id WHERE b.learner_id = ? "
                   "ORDER BY p.bilan_id, p.competency_id", [learner_id]).fetchall(),
        db.execute("SELECT count(*) FROM audit_log").fetchone()[0],
    )


def confirm(db, user, learner_id, **texts):
    """Position C1 in the learner's draft, then confirm exactly that draft."""
    draft_id = bilans.save_draft_positioning(db, user, learner_id, competency_id(db, "C1"), PLUS_TERMINAL)
    return bilans.confirm_bilan(db, user, learner_id, "CONFIRMATION", draft_id=draft_id, **texts)


def validated_count(db, learner_id):
    return db.execute("SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'validated'",
                      [learner_id]).fetchone()[0]


# ---------------------------------------------------------------- B1 draft


def test_draft_positioning_is_upserted_and_survives_a_new_connection(demo_db, demo_path, roles, learner_id):
    teacher, c1, c2 = roles["teacher"], competency_id(demo_db, "C1"), competency_id(demo_db, "C2")
    assert bilans.read_draft(demo_db, teacher, learner_id).bilan_id is None
    first = bilans.save_draft_positioning(demo_db, teacher, learner_id, c1, PLUS_TERMINAL)
    again = bilans.save_draft_positioning(demo_db, teacher, learner_id, c1, MINUS_INTERMEDIATE)
    bilans.save_draft_positioning(demo_db, teacher, learner_id, c2, bilans.NOT_EVALUATED)
    assert first == again
    assert demo_db.execute("SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'draft'",
                           [learner_id]).fetchone()[0] == 1
    other = connect(demo_path)  # another session, another device, or the server after a restart
    draft = bilans.read_draft(other, roles["ddfpt"], learner_id)
    assert draft.positionings == {c1: MINUS_INTERMEDIATE, c2: bilans.NOT_EVALUATED}
    other.close()


def test_draft_write_bumps_the_learner_version(demo_db, roles, learner_id):
    before = demo_db.execute("SELECT version FROM learners WHERE id = ?", [learner_id]).fetchone()[0]
    bilans.save_draft_positioning(demo_db, roles["teacher"], learner_id, competency_id(demo_db, "C1"), PLUS_TERMINAL)
    assert demo_db.execute("SELECT version FROM learners WHERE id = ?", [learner_id]).fetchone()[0] > before


def test_two_sessions_positioning_at_once_share_one_draft(demo_path, demo_db, roles, learner_id):
    from concurrent.futures import ThreadPoolExecutor

    codes = [f"C{i}" for i in range(1, 14)]
    ids = {code: competency_id(demo_db, code) for code in codes}

    def session(chunk):
        db = connect(demo_path)
        try:
            for code in chunk:
                bilans.save_draft_positioning(db, roles["teacher"], learner_id, ids[code], PLUS_TERMINAL)
        finally:
            db.close()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(session, [codes[::2], codes[1::2]]))
    draft = bilans.read_draft(demo_db, roles["teacher"], learner_id)
    assert set(draft.positionings) == set(ids.values())
    assert demo_db.execute("SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'draft'",
                           [learner_id]).fetchone()[0] == 1


@pytest.mark.parametrize("level, objective", [(5, "terminal"), (0, "terminal"), (3, None), (None, "terminal"),
                                              (3, "final")])
def test_unknown_positioning_is_refused(level, objective):
    with pytest.raises(ValidationError):
        Positioning(level, objective)


def test_draft_refuses_a_competency_of_another_diploma_and_non_staff(demo_db, roles, learner_id):
    before = state(demo_db, learner_id)
    with pytest.raises(NotFound, match="n'appartient pas au diplôme"):
        bilans.save_draft_positioning(demo_db, roles["teacher"], learner_id, 99999, PLUS_TERMINAL)
    for who in ("other_teacher", "learner", "admin"):
        with pytest.raises(PermissionDenied):
            bilans.save_draft_positioning(demo_db, roles[who], learner_id, competency_id(demo_db, "C1"),
                                          PLUS_TERMINAL)
    with pytest.raises(PermissionDenied):
        bilans.save_draft_positioning(demo_db, None, learner_id, competency_id(demo_db, "C1"), PLUS_TERMINAL)
    assert state(demo_db, learner_id) == before


def test_draft_texts_create_no_empty_draft_and_respect_a_confirmed_draft(demo_db, roles, learner_id):
    teacher = roles["teacher"]
    assert bilans.save_draft_texts(demo_db, teacher, learner_id, constats="", conseils="  ") is None
    assert bilans.read_draft(demo_db, teacher, learner_id).bilan_id is None
    draft_id = bilans.save_draft_texts(demo_db, teacher, learner_id, constats="Sérieux\r\n", conseils=None)
    assert bilans.read_draft(demo_db, teacher, learner_id).constats == "Sérieux"
    confirm(demo_db, teacher, learner_id)
    with pytest.raises(ValidationError, match="confirmé par ailleurs"):
        bilans.save_draft_texts(demo_db, teacher, learner_id, conseils="tard", draft_id=draft_id)
    assert bilans.read_draft(demo_db, teacher, learner_id).bilan_id is None


# ---------------------------------------------------------------- B2 confirmation


@pytest.mark.parametrize("word", [None, "", "confirmation", "Confirmation", " CONFIRMATION", "CONFIRMATION ",
                                  "CONFIR MATION", "CONFIRMATIONS", "oui"])
def test_anything_but_the_exact_word_is_refused_and_changes_nothing(demo_db, roles, learner_id, word):
    teacher = roles["teacher"]
    bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, "C1"), PLUS_TERMINAL)
    before = state(demo_db, learner_id)
    with pytest.raises(ValidationError, match="CONFIRMATION") as refusal:
        bilans.confirm_bilan(demo_db, teacher, learner_id, word, conseils="Bravo",
                             draft_id=bilans.read_draft(demo_db, teacher, learner_id).bilan_id)
    if word:
        assert "majuscules" in str(refusal.value)
    assert state(demo_db, learner_id) == before


def test_confirmation_creates_a_validated_dated_complete_bilan_and_clears_the_draft(demo_db, roles, learner_id):
    teacher, c1 = roles["teacher"], competency_id(demo_db, "C1")
    bilans.save_draft_positioning(demo_db, teacher, learner_id, c1, PLUS_TERMINAL)
    draft = bilans.read_draft(demo_db, teacher, learner_id)
    created = bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", constats="Régulier",
                                   conseils="Relire les schémas", draft_id=draft.bilan_id)
    status, validated_at, constats, conseils, author = demo_db.execute(
        "SELECT status, validated_at, constats, conseils, author_id FROM bilans WHERE id = ?", [created]).fetchone()
    assert (status, constats, conseils, author) == ("validated", "Régulier", "Relire les schémas", teacher.id)
    assert validated_at and validated_at > "2026-03-27"
    stored = bilans.bilan_positionings(demo_db, teacher, created)
    assert len(stored) == 13 and stored[c1] == PLUS_TERMINAL
    assert sum(p == bilans.NOT_EVALUATED for p in stored.values()) == 12
    assert bilans.read_draft(demo_db, teacher, learner_id).bilan_id is None
    assert bilans.latest_validated_bilan(demo_db, teacher, learner_id).id == created
    audit = demo_db.execute("SELECT action, user_id, user_name, before, after FROM audit_log WHERE entity_id = ?",
                            [created]).fetchall()
    assert [(a[0], a[1], a[2], a[3]) for a in audit] == [("create", teacher.id, teacher.name, None)]
    assert json.loads(audit[0][4])["positionings"]["C1"] == [3, "terminal"]


def test_confirmation_without_any_positioned_competency_is_refused_and_stores_nothing(demo_db, roles, learner_id):
    ddfpt, c2 = roles["ddfpt"], competency_id(demo_db, "C2")
    before = state(demo_db, learner_id)
    for draft_id in (None, 999_999):
        with pytest.raises((ValidationError, NotFound)) as refusal:
            bilans.confirm_bilan(demo_db, ddfpt, learner_id, "CONFIRMATION", draft_id=draft_id)
    with pytest.raises(ValidationError, match="Aucune compétence n'est positionnée : choisissez un niveau"):
        bilans.confirm_bilan(demo_db, ddfpt, learner_id, "CONFIRMATION", draft_id=None)
    assert "Ce brouillon n'existe pas" in str(refusal.value)
    assert state(demo_db, learner_id) == before
    # a draft with only texts, or only « Compétence non évaluée », has no acquisition level either
    draft_id = bilans.save_draft_texts(demo_db, ddfpt, learner_id, constats="Trop tôt")
    bilans.save_draft_positioning(demo_db, ddfpt, learner_id, c2, bilans.NOT_EVALUATED)
    before = state(demo_db, learner_id)
    with pytest.raises(ValidationError, match="Aucune compétence n'est positionnée"):
        bilans.confirm_bilan(demo_db, ddfpt, learner_id, "CONFIRMATION", draft_id=draft_id, conseils="perdu")
    assert state(demo_db, learner_id) == before
    review = bilans.confirmation_review(demo_db, ddfpt, learner_id)
    assert review.problem and review.draft_id == draft_id


def test_confirmation_review_lists_the_competencies_left_unpositioned_by_code_and_title(demo_db, roles, learner_id):
    teacher = roles["teacher"]
    assert bilans.confirmation_review(demo_db, teacher, learner_id).unpositioned[0].startswith("C1 - ")
    for code in [f"C{i}" for i in range(1, 14) if i != 4]:
        bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, code), PLUS_TERMINAL)
    title = demo_db.execute("SELECT title FROM competencies WHERE code = 'C4'").fetchone()[0]
    review = bilans.confirmation_review(demo_db, teacher, learner_id)
    assert review.unpositioned == (f"C4 - {title}",) and review.problem is None
    with pytest.raises(PermissionDenied):
        bilans.confirmation_review(demo_db, roles["other_teacher"], learner_id)


def test_a_failure_midway_leaves_no_half_bilan(demo_db, roles, learner_id, monkeypatch):
    teacher = roles["teacher"]
    bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, "C1"), PLUS_TERMINAL)
    before = state(demo_db, learner_id)

    def broken_audit(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(lifecycle, "_audit", broken_audit)
    with pytest.raises(RuntimeError):
        bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", conseils="perdu ?",
                             draft_id=bilans.read_draft(demo_db, teacher, learner_id).bilan_id)
    assert state(demo_db, learner_id) == before
    assert not demo_db.in_transaction


def test_a_draft_confirmed_elsewhere_is_not_confirmed_twice(demo_db, roles, learner_id):
    teacher = roles["teacher"]
    bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, "C1"), PLUS_TERMINAL)
    seen = bilans.read_draft(demo_db, teacher, learner_id).bilan_id
    bilans.confirm_bilan(demo_db, roles["ddfpt"], learner_id, "CONFIRMATION", draft_id=seen)
    count = validated_count(demo_db, learner_id)
    with pytest.raises(ValidationError, match="par ailleurs"):
        bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=seen)
    assert validated_count(demo_db, learner_id) == count


def test_confirmation_is_staff_only(demo_db, roles, learner_id):
    for who in ("other_teacher", "learner", "admin"):
        with pytest.raises(PermissionDenied):
            bilans.confirm_bilan(demo_db, roles[who], learner_id, "CONFIRMATION", draft_id=None)


# ---------------------------------------------------------------- B3 lock, unlock, edit, audit


@pytest.fixture
def validated(demo_db, roles, learner_id):
    return confirm(demo_db, roles["teacher"], learner_id, conseils="Premier conseil")


def test_a_locked_bilan_cannot_be_edited_or_reconfirmed(demo_db, roles, learner_id, validated):
    before = state(demo_db, learner_id)
    for who in ("teacher", "ddfpt"):
        with pytest.raises(PermissionDenied, match="verrouillé"):
            bilans.edit_unlocked_bilan(demo_db, roles[who], validated, conseils="modifié")
        with pytest.raises(PermissionDenied, match="verrouillé"):
            bilans.reconfirm_bilan(demo_db, roles[who], validated, "CONFIRMATION", conseils="modifié")
    assert state(demo_db, learner_id) == before


@pytest.mark.parametrize("who", ["teacher", "other_teacher", "learner", "admin", None])
def test_only_the_ddfpt_unlocks(demo_db, roles, learner_id, validated, who):
    before = state(demo_db, learner_id)
    with pytest.raises(PermissionDenied, match="Seul le DDFPT" if who else "connecté"):
        bilans.unlock_bilan(demo_db, roles.get(who), validated)
    assert state(demo_db, learner_id) == before


def test_ddfpt_unlocks_once_and_not_a_draft_or_unknown_bilan(demo_db, roles, learner_id, validated):
    ddfpt = roles["ddfpt"]
    bilans.unlock_bilan(demo_db, ddfpt, validated)
    assert demo_db.execute("SELECT status FROM bilans WHERE id = ?", [validated]).fetchone()[0] == "unlocked"
    with pytest.raises(ValidationError, match="déjà déverrouillé"):
        bilans.unlock_bilan(demo_db, ddfpt, validated)
    draft = bilans.save_draft_positioning(demo_db, ddfpt, learner_id, competency_id(demo_db, "C1"), PLUS_TERMINAL)
    with pytest.raises(NotFound):
        bilans.unlock_bilan(demo_db, ddfpt, draft)
    with pytest.raises(NotFound):
        bilans.unlock_bilan(demo_db, ddfpt, 999_999)


def test_unlocked_bilan_is_edited_relocked_and_every_step_is_audited(demo_db, roles, learner_id, validated):
    ddfpt, teacher, c2 = roles["ddfpt"], roles["teacher"], competency_id(demo_db, "C2")
    validated_at = demo_db.execute("SELECT validated_at FROM bilans WHERE id = ?", [validated]).fetchone()[0]
    bilans.unlock_bilan(demo_db, ddfpt, validated)
    assert bilans.edit_unlocked_bilan(demo_db, ddfpt, validated, conseils="Conseil corrigé") is True
    assert bilans.edit_unlocked_bilan(demo_db, teacher, validated, conseils="Conseil corrigé") is False
    with pytest.raises(ValidationError, match="CONFIRMATION"):
        bilans.reconfirm_bilan(demo_db, ddfpt, validated, "confirmation", positionings={c2: PLUS_TERMINAL})
    assert demo_db.execute("SELECT status FROM bilans WHERE id = ?", [validated]).fetchone()[0] == "unlocked"
    bilans.reconfirm_bilan(demo_db, ddfpt, validated, "CONFIRMATION", positionings={c2: PLUS_TERMINAL})
    row = demo_db.execute("SELECT status, validated_at, conseils FROM bilans WHERE id = ?", [validated]).fetchone()
    assert row == ("validated", validated_at, "Conseil corrigé")
    assert bilans.bilan_positionings(demo_db, ddfpt, validated)[c2] == PLUS_TERMINAL

    trail = bilans.audit_trail(demo_db, teacher, validated)
    assert trail["action"].tolist() == ["create", "unlock", "edit", "edit", "relock"]
    assert set(trail["user_name"]) == {teacher.name, ddfpt.name}
    edit = trail[trail["action"] == "edit"].iloc[0]
    assert json.loads(edit["before"]) == {"conseils": "Premier conseil"}
    assert json.loads(edit["after"]) == {"conseils": "Conseil corrigé"}
    assert edit["before_text"] == "Conseils : « Premier conseil »"
    positions = trail[trail["action"] == "edit"].iloc[1]
    proposed = evidence.learner_propositions(demo_db, teacher, learner_id)[c2].level  # recorded beside it
    assert json.loads(positions["after"]) == {"positionings": {"C2": [3, "terminal"]}, "proposed": {"C2": proposed}}
    beside = " [= proposition]" if proposed == 3 else f" [proposition : {positioning_short(proposed)}]"
    assert positions["after_text"] == "Positionnements : C2 + (objectifs terminaux)" + beside
    assert trail.iloc[1]["after_text"] == "Statut : Déverrouillé"
    assert all(trail["when"].str.match(r"\d\d/\d\d/\d{4} \d\d:\d\d"))


def test_edit_of_unlocked_bilan_refuses_unknown_competency_and_outsiders(demo_db, roles, learner_id, validated):
    bilans.unlock_bilan(demo_db, roles["ddfpt"], validated)
    before = state(demo_db, learner_id)
    with pytest.raises(NotFound):
        bilans.edit_unlocked_bilan(demo_db, roles["ddfpt"], validated, positionings={99999: PLUS_TERMINAL})
    for who in ("other_teacher", "learner", "admin"):
        with pytest.raises(PermissionDenied):
            bilans.edit_unlocked_bilan(demo_db, roles[who], validated, conseils="intrus")
    assert state(demo_db, learner_id) == before


# ---------------------------------------------------------------- reading (B2, B4)


def test_history_table_newest_first_with_draft_and_ne(demo_db, roles, learner_id):
    teacher, c8 = roles["teacher"], competency_id(demo_db, "C8")
    bilans.save_draft_positioning(demo_db, teacher, learner_id, c8, Positioning(4, "terminal"))
    history = bilans.bilan_history(demo_db, teacher, learner_id, include_draft=True)
    table = bilans.history_table(history)
    assert list(table.columns)[0].endswith("(à valider)")
    assert list(table.columns)[1:] == ["27/03/2026", "12/12/2025"]
    assert list(table.index) == [f"C{i}" for i in range(1, 14)]
    assert table.loc["C8"].iloc[0] == "++" and table.loc["C1"].iloc[0] == "NE"
    units = bilans.unit_view(history)
    assert list(units) == ["U2", "U31", "U32"]
    assert [code for code, _, _ in units["U2"]] == ["C1", "C3", "C10", "C11"]
    assert units["U32"][0][0] == "C8" and units["U32"][0][2] == Positioning(4, "terminal")


def test_history_up_to_a_bilan_and_same_day_labels(demo_db, roles, learner_id):
    teacher = roles["teacher"]
    first, second = bilans.learner_bilans(demo_db, teacher, learner_id)["id"].tolist()[::-1]
    assert bilans.history_table(bilans.bilan_history(demo_db, teacher, learner_id, upto_bilan_id=first)
                                ).columns.tolist() == ["12/12/2025"]
    confirm(demo_db, teacher, learner_id)
    confirm(demo_db, teacher, learner_id)
    labels = bilans.learner_bilans(demo_db, teacher, learner_id)["label"].tolist()
    assert len(set(labels)) == 4 and all(label.startswith(labels[0][:16]) for label in labels[:2])
    assert len(bilans.history_table(bilans.bilan_history(demo_db, teacher, learner_id)).columns) == 4


def test_learner_reads_only_their_own_validated_bilans(demo_db, roles, learner_id, validated):
    learner, ddfpt = roles["learner"], roles["ddfpt"]
    bilans.unlock_bilan(demo_db, ddfpt, validated)
    assert validated not in set(bilans.learner_bilans(demo_db, learner, learner_id)["id"])
    assert validated in set(bilans.learner_bilans(demo_db, ddfpt, learner_id)["id"])
    with pytest.raises(NotFound):
        bilans.bilan_detail(demo_db, learner, validated)
    own = bilans.learner_bilans(demo_db, learner, learner_id)
    assert set(own["status"]) == {"validated"} and len(own) == 2
    other = demo_db.execute("SELECT id FROM learners WHERE id != ? LIMIT 1", [learner_id]).fetchone()[0]
    other_bilan = demo_db.execute("SELECT id FROM bilans WHERE learner_id = ? LIMIT 1", [other]).fetchone()[0]
    with pytest.raises(PermissionDenied):
        bilans.learner_bilans(demo_db, learner, other)
    with pytest.raises(PermissionDenied):
        bilans.bilan_detail(demo_db, learner, other_bilan)
    with pytest.raises(PermissionDenied):
        bilans.bilan_history(demo_db, learner, learner_id, include_draft=True)
    with pytest.raises(PermissionDenied):
        bilans.audit_trail(demo_db, learner, int(own["id"].iloc[0]))
    with pytest.raises(PermissionDenied):
        bilans.read_draft(demo_db, learner, learner_id)


def test_class_overview_counts_bilans_and_drafts(demo_db, roles, learner_id):
    teacher = roles["teacher"]
    bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, "C1"), PLUS_TERMINAL)
    overview = bilans.class_bilans(demo_db, teacher, roles["class_id"])
    row = overview[overview["learner_id"] == learner_id].iloc[0]
    assert (row["bilans"], row["drafts"], row["latest_label"]) == (2, 1, "27/03/2026")
    with pytest.raises(PermissionDenied):
        bilans.class_bilans(demo_db, roles["other_teacher"], roles["class_id"])


def test_document_is_standalone_escaped_and_names_the_learner(demo_db, roles, learner_id):
    teacher = roles["teacher"]
    draft_id = bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, "C8"),
                                             Positioning(4, "terminal"))
    created = bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=draft_id,
                                   conseils="<script>alert('x')</script> & co")
    detail = bilans.bilan_detail(demo_db, teacher, created)
    page = bilans.bilan_document_html(demo_db, teacher, created)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "src=" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page
    assert detail.learner_name in page and "<svg" in page
    assert 'data-level="4" data-objective="terminal"><b>++</b></span>' in page
    assert "Historique des modifications" not in page  # the trail stays on screen, for staff (issue 15)
    assert "C8</th><td class=\"title\">Diagnostiquer un dysfonctionnement</td>" in page  # codes and titles
    for label in ("Signature de l'enseignant(e)", "Signature de l'apprenant(e)", "Signature du représentant légal"):
        assert label in page
    learner_page = bilans.bilan_document_html(demo_db, roles["learner"], created)
    assert detail.learner_name in learner_page and "Historique des modifications" not in learner_page
    name = bilans.document_file_name("ÉGRÈVE Jean-René", "2025-12-12 18:00:00", "pdf")
    assert name == "EGREVE_Jean-Rene_bilan_2025-12-12.pdf"


# ---------------------------------------------------------------- page (AppTest)


def run_bilans_page(user_id):
    at = AppTest.from_file(str(ROOT / "views" / "bilans.py"), default_timeout=60)
    at.session_state["user_id"] = user_id
    return at.run()


def test_page_learner_sees_own_validated_bilans_only(app_env):
    db = connect(app_env)
    learner = first_user(db, "learner")
    at = run_bilans_page(learner.id)
    assert not at.exception
    assert [s.label for s in at.selectbox] == [f"Bilans de {bilans.learner_name(db, learner, learner.learner_id)}"]
    assert at.selectbox[0].options == ["Bilan du 27/03/2026 — Validé", "Bilan du 12/12/2025 — Validé"]
    assert "Déverrouiller le bilan" not in [b.label for b in at.button]
    assert "Historique des modifications" not in [s.value for s in at.subheader]


def test_page_unlock_button_for_the_ddfpt_only_and_unlock_works(app_env):
    db = connect(app_env)
    teacher_at = run_bilans_page(first_user(db, "teacher").id)
    assert not teacher_at.exception
    assert "Déverrouiller le bilan" not in [b.label for b in teacher_at.button]
    at = run_bilans_page(first_user(db, "ddfpt").id)
    unlock = next(b for b in at.button if b.label == "Déverrouiller le bilan")
    at = unlock.click().run()
    assert not at.exception
    assert any("Bilan déverrouillé" in s.value for s in at.success)
    assert "Confirmer le bilan" in [b.label for b in at.button]
    assert db.execute("SELECT count(*) FROM bilans WHERE status = 'unlocked'").fetchone()[0] == 1
    bilan_id = db.execute("SELECT id FROM bilans WHERE status = 'unlocked'").fetchone()[0]
    next(t for t in at.text_area if t.label == "Conseils").set_value("Conseil corrigé en ligne")
    at = next(b for b in at.button if b.label == "Enregistrer les modifications").click().run()
    assert any("Modifications enregistrées" in s.value for s in at.success)
    assert db.execute("SELECT status, conseils FROM bilans WHERE id = ?", [bilan_id]).fetchone() == (
        "unlocked", "Conseil corrigé en ligne")
    next(t for t in at.text_input if t.label.startswith("Pour confirmer le bilan")).set_value("Confirmation")
    at = next(b for b in at.button if b.label == "Confirmer le bilan").click().run()
    assert any("CONFIRMATION" in e.value for e in at.error)
    assert db.execute("SELECT status FROM bilans WHERE id = ?", [bilan_id]).fetchone()[0] == "unlocked"


def test_page_ddfpt_withdraws_a_bilan_with_a_reason_and_it_leaves_the_page(app_env):
    db = connect(app_env)
    teacher_at = run_bilans_page(first_user(db, "teacher").id)
    assert not teacher_at.exception
    assert "Retirer le bilan" not in [b.label for b in teacher_at.button]
    ddfpt = first_user(db, "ddfpt")
    at = run_bilans_page(ddfpt.id)
    shown = at.selectbox[-1].options
    bilan_id = at.selectbox[-1].value
    before = db.execute("SELECT * FROM bilans ORDER BY id").fetchall()
    at = next(b for b in at.button if b.label == "Retirer le bilan").click().run()
    assert not at.exception
    assert any("Indiquez la raison du retrait" in e.value for e in at.error)
    assert db.execute("SELECT * FROM bilans ORDER BY id").fetchall() == before
    next(t for t in at.text_area if t.label == "Raison du retrait").set_value("Créé pour le mauvais apprenant")
    at = next(b for b in at.button if b.label == "Retirer le bilan").click().run()
    assert not at.exception
    assert any("retiré" in s.value for s in at.success)
    assert db.execute("SELECT withdrawal_reason FROM bilans WHERE id = ?", [bilan_id]).fetchone()[0] \
        == "Créé pour le mauvais apprenant"
    assert at.selectbox[-1].options == shown[1:]
    assert any(e.label == "Bilans retirés (1)" for e in at.expander)


def test_page_unlocked_bilan_is_positioned_with_the_dialog_not_with_select_boxes(app_env):
    db = connect(app_env)
    ddfpt = first_user(db, "ddfpt")
    at = run_bilans_page(ddfpt.id)
    at = next(b for b in at.button if b.label == "Déverrouiller le bilan").click().run()
    bilan_id = db.execute("SELECT id FROM bilans WHERE status = 'unlocked'").fetchone()[0]
    assert not [s for s in at.selectbox if s.label.startswith("C1")]
    badge = next(b for b in at.button if b.key == f"bilan_badge_{bilan_id}_{competency_id(db, 'C1')}")
    assert badge.label.startswith("C1 : ")
    at = badge.click().run()
    assert not at.exception
    assert "++ · terminal" in [b.label for b in at.button]  # the positioning dialog is open
    # (a choice in the dialog reruns the dialog only, which AppTest does not do: see test_browser_bilans)
