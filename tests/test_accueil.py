"""Page « Accueil »: the DDFPT chooses the school's method of proposed levels; nobody else sees it."""

from streamlit.testing.v1 import AppTest

from livret import school
from livret.db import connect

from .conftest import ROOT, first_user

PAGE = str(ROOT / "views" / "accueil.py")


def run_page(user_id) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    return at.run()


def test_the_ddfpt_chooses_the_proposition_method(app_env):
    db = connect(app_env)
    at = run_page(first_user(db, "ddfpt").id)
    assert not at.exception
    box = at.selectbox(key="accueil_methode")
    assert box.label == "Méthode de proposition des niveaux" and box.value == "decaying"
    assert any("0,35" in c.value for c in at.caption)  # the formula of the method in use
    box.select("latest").run()
    assert school.proposition_method(db) == "latest"
    assert [s.value for s in at.success] == ["Méthode de proposition : « Résultat le plus récent »."]
    assert any("la valeur du résultat le plus récent" in c.value for c in at.caption)
    assert db.execute("SELECT count(*) FROM audit_log WHERE entity = 'setting'").fetchone()[0] == 1


def test_a_teacher_sees_no_school_setting(app_env):
    db = connect(app_env)
    at = run_page(first_user(db, "teacher").id)
    assert not at.exception
    assert "Réglages de l'établissement" not in [h.value for h in at.subheader]
    assert not [b for b in at.selectbox if b.key == "accueil_methode"]


def test_the_ddfpt_names_the_school_for_its_documents_and_a_wrong_year_is_refused(app_env):
    db = connect(app_env)
    at = run_page(first_user(db, "ddfpt").id)
    at.text_input[0].input("Lycée Marie Curie")
    at.text_input[1].input("2025")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["L'année scolaire s'écrit comme « 2025-2026 » (« 2025 » saisi)."]
    assert at.text_input[0].value == "Lycée Marie Curie"  # kept to be corrected
    assert school.school_identity(db).name == ""
    at.text_input[1].input("2025-2026")
    at.button[0].click().run()
    assert school.school_identity(db) == school.SchoolIdentity("Lycée Marie Curie", "2025-2026")
    assert [s.value for s in at.success] == ["Établissement : « Lycée Marie Curie », année scolaire 2025-2026."]
