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
    PageSpec("pages/tableau_de_bord.py", "Tableau de bord", ":material/dashboard:", "tableau-de-bord", ("teacher", "ddfpt")),
    PageSpec("pages/accueil.py", "Accueil", ":material/home:", "accueil", ("teacher", "ddfpt", "admin")),
    PageSpec("pages/bilans.py", "Bilans de compétences", ":material/assignment:", "bilans", ("teacher", "ddfpt", "learner")),
    PageSpec("pages/notation.py", "Notation", ":material/grade:", "notation", ("teacher", "ddfpt")),
    PageSpec("pages/saisie.py", "Saisie", ":material/edit_note:", "saisie", ("teacher", "ddfpt")),
    PageSpec("pages/comptes.py", "Comptes", ":material/manage_accounts:", "comptes", ("admin",)),
    PageSpec("pages/import.py", "Import", ":material/upload_file:", "import", ("ddfpt", "admin")),
)


def pages_for(role: str) -> list[PageSpec]:
    return [page for page in PAGES if role in page.roles]
