"""Which pages each role may open, in menu order. app.py builds st.navigation from this list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    script: str
    title: str
    icon: str
    url_path: str
    roles: tuple[str, ...]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/tableau_de_bord.py", "Tableau de bord", ":material/dashboard:", "tableau-de-bord", ("teacher", "ddfpt")),
    PageSpec("views/accueil.py", "Accueil", ":material/home:", "accueil", ("teacher", "ddfpt", "admin")),
    PageSpec("views/bilans.py", "Bilans de compétences", ":material/assignment:", "bilans", ("teacher", "ddfpt", "learner")),
    PageSpec("views/notation.py", "Notation", ":material/grade:", "notation", ("teacher", "ddfpt")),
    PageSpec("views/saisie.py", "Saisie", ":material/edit_note:", "saisie", ("teacher", "ddfpt")),
    PageSpec("views/comptes.py", "Comptes", ":material/manage_accounts:", "comptes", ("admin",)),
    PageSpec("views/import.py", "Import", ":material/upload_file:", "import", ("ddfpt", "admin")),
)


def pages_for(role: str) -> list[PageSpec]:
    return [page for page in PAGES if role in page.roles]
