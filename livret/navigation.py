"""Which pages each role may open, in menu order. app.py builds st.navigation from this list."""

from __future__ import annotations

from dataclasses import dataclass

from livret.permissions import User, can, roles_with


@dataclass(frozen=True)
class PageSpec:
    script: str
    title: str
    icon: str
    url_path: str
    ability: str  # the ability of livret/permissions.py that opens the page

    @property
    def roles(self) -> tuple[str, ...]:
        return roles_with(self.ability)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/tableau_de_bord.py", "Tableau de bord", ":material/dashboard:", "tableau-de-bord", "open_dashboard"),
    PageSpec("views/accueil.py", "Accueil", ":material/home:", "accueil", "open_home"),
    PageSpec("views/bilans.py", "Bilans de compétences", ":material/assignment:", "bilans", "open_bilans"),
    PageSpec("views/conseil.py", "Conseil de classe", ":material/groups:", "conseil-de-classe", "open_class_council"),
    PageSpec("views/notation.py", "Notation", ":material/grade:", "notation", "open_grading"),
    PageSpec("views/saisie.py", "Saisie", ":material/edit_note:", "saisie", "open_entry"),
    PageSpec("views/comptes.py", "Comptes", ":material/manage_accounts:", "comptes", "open_accounts"),
    PageSpec("views/import.py", "Import", ":material/upload_file:", "import", "open_imports"),
)


def may_open(user: User | None, page: PageSpec) -> bool:
    return can(user, page.ability)


def pages_for(user: User | None) -> list[PageSpec]:
    return [page for page in PAGES if may_open(user, page)]
