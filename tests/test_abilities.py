"""The one table of role rules (livret/permissions.py): what each role may do, the navigation that reads
it, and that no other module compares roles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from livret import navigation
from livret.errors import PermissionDenied
from livret.permissions import ABILITIES, User, bilan_statuses_readable, can, require

ROOT = Path(__file__).resolve().parent.parent
USERS = {role: User(id=1, name="X", email="x@lycee.fr", role=role) for role in ("teacher", "ddfpt", "learner", "admin")}

EXPECTED = {  # the SPEC's §6, ability by ability
    "unlock_bilan": {"ddfpt"}, "withdraw_bilan": {"ddfpt"}, "set_rounding_step": {"ddfpt"},
    "set_proposition_method": {"ddfpt"}, "import_results": {"ddfpt"}, "import_learners": {"ddfpt", "admin"},
    "import_referentiel": {"ddfpt", "admin"}, "manage_accounts": {"admin"}, "read_unlocked_bilan": {"teacher", "ddfpt"},
    "read_validated_bilan": {"teacher", "ddfpt", "learner"}, "work_with_learners": {"teacher", "ddfpt"},
    "see_every_class": {"ddfpt", "admin"}, "read_school": {"teacher", "ddfpt", "admin"},
}


@pytest.mark.parametrize("ability", sorted(EXPECTED))
def test_each_ability_belongs_to_its_roles(ability):
    assert {role for role, user in USERS.items() if can(user, ability)} == EXPECTED[ability]


def test_a_refusal_is_french_and_names_the_rule():
    with pytest.raises(PermissionDenied, match="Seul le DDFPT peut retirer un bilan."):
        require(USERS["teacher"], "withdraw_bilan")
    with pytest.raises(PermissionDenied, match="Vous devez être connecté."):
        require(None, "read_school")
    assert require(USERS["admin"], "manage_accounts") is USERS["admin"]
    assert not can(None, "open_home")


def test_a_learner_reads_validated_bilans_only():
    assert bilan_statuses_readable(USERS["learner"]) == ("validated",)
    assert bilan_statuses_readable(USERS["teacher"]) == ("validated", "unlocked")


def test_the_menu_reads_the_same_table():
    menus = {role: [page.title for page in navigation.pages_for(user)] for role, user in USERS.items()}
    assert menus["teacher"] == ["Tableau de bord", "Accueil", "Bilans de compétences", "Conseil de classe", "Notation",
                                "Saisie"]
    assert menus["ddfpt"] == menus["teacher"] + ["Import"]
    assert menus["learner"] == ["Bilans de compétences"]
    assert menus["admin"] == ["Accueil", "Comptes", "Import"]
    assert all(page.ability in ABILITIES for page in navigation.PAGES)


def test_every_ability_is_used_and_no_other_module_compares_roles():
    sources = {path: path.read_text() for folder in ("livret", "views") for path in (ROOT / folder).rglob("*.py")}
    sources[ROOT / "app.py"] = (ROOT / "app.py").read_text()
    used = "\n".join(sources.values())
    assert [a for a in ABILITIES if f'"{a}"' not in used.replace(f'"{a}": Ability', "")] == []
    comparing = re.compile(r"\.role\s*(==|!=|in\b|not in\b)|role\s+in\s+\(")
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path, text in sources.items()
                 if path.name != "permissions.py"
                 for n, line in enumerate(text.splitlines(), 1) if comparing.search(line)]
    assert offenders == []
