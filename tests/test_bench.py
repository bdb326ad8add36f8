"""The benchmark command keeps working: a CI-sized run (scale 1, few repetitions). No timing asserted."""

import pytest

from livret import copying
from livret.db import is_postgres
from livret.tools import bench

pytestmark = pytest.mark.browser


def test_ci_sized_benchmark_prints_every_figure(tmp_path, demo_template):
    import shutil

    if is_postgres(demo_template):  # the benchmark's own databases are SQLite files
        copying.copy_school(demo_template, str(tmp_path / "demo-scale1.db"))
    else:
        shutil.copy(demo_template, tmp_path / "demo-scale1.db")
    table = bench.run([1], repeat=1, clicks=2, sessions=2, browser=True, folder=tmp_path)
    for label in ("données du tableau de bord", "rendu HTML de la grille — chronologique",
                  "taille HTML de la grille — chronologique", "AppTest — tableau de bord",
                  "AppTest — notation", "AppTest — bilans de compétences",
                  "Chromium — suivant", "Chromium — rerun trivial", "Chromium — ? → dialogue",
                  "Chromium — niveau → pastille", "Chromium — suivante → compétence suivante", "Chromium — dialogue BI",
                  "mémoire crête du serveur", "données du conseil de classe", "AppTest — conseil de classe",
                  "Chromium — conseil de classe → tri", "PDF — un bilan", "PDF — bilans d'une classe",
                  "pages du PDF — livret d'un apprenant"):
        assert label in table
    assert "132 évaluations" in table
