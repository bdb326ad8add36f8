"""The positioning dialog's HTML (livret/render/positioning_dialog.py): the choices, the proposition and
its evidence, every text escaped."""

from livret.proposition import Evidence, propose
from livret.render import positioning_dialog as dialog


def result(criterion, code, moment, *, context="school", complexity="Int", title="Câblage", evaluation=1):
    return Evidence(criterion, criterion, code, moment, moment[:10], context, complexity, title, evaluation)


CRITERIA = [dialog.CriterionLine(1, 1, "Le schéma est lu"), dialog.CriterionLine(2, 2, "<script>alert(1)</script>"),
            dialog.CriterionLine(3, 3, "Critère sans résultat")]


def test_the_choices_are_the_eight_levels_and_ne_with_their_names():
    html = dialog.choices_html()
    for name in ("++ · terminal", "+ · intermédiaire", "\u2212 · terminal", "\u2212\u2212 · intermédiaire", ">NE<"):
        assert name in html
    assert html.count('class="lv-choice ') == 9 and html.count('data-level="4"') == 3  # 2 buttons and the row


def test_the_evidence_shows_each_result_the_scores_and_the_newer_ones_after_the_line():
    results = [result(1, "NA", "2025-10-01 10:00:00", evaluation=1),
               result(1, "RT", "2026-03-01 10:00:00", evaluation=2, context="company", complexity=None,
                      title="<b>PFMP</b>"),
               result(2, "RA", "2026-04-01 10:00:00", evaluation=3), result(2, "AB", "2026-04-02 10:00:00", evaluation=4)]
    found = propose(results)
    assert found.level == 3 and found.count == 3  # AB left out: (0,65 + 2/3) / 2 → +
    html = dialog.evidence_html(CRITERIA, found, latest_bilan_at="2026-01-15 12:00:00")
    assert html.count('role="img"') == 3  # AB is not shown among the counted results
    assert html.count("lv-new") == 2 and html.count('class="lv-line"') == 2  # each row: the black line, then the new
    assert "lv-company" in html and "E 01/03" in html and "Entreprise — &lt;b&gt;PFMP&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "aucun résultat compté" in html  # the criterion without results
    assert ">0,65<" in html and ">0,67<" in html  # NA then RT: 0,35 × 0 + 0,65 × 1; RA alone: 2/3
    assert "(0,65 + 0,67) / 2" in html and "0,66 → +" in html


def test_the_proposition_line_names_the_level_the_method_and_where_the_focus_starts():
    found = propose([result(1, "RT", "2026-01-01 10:00:00"), result(1, "RT", "2026-02-01 10:00:00", evaluation=2),
                     result(2, "RA", "2026-03-01 10:00:00", evaluation=3)])
    html = dialog.proposition_html(found, "terminal")
    assert 'data-proposed="4"' in html and 'data-objective="terminal"' in html
    assert "Proposition : ++ (Compétence totalement acquise et transférable)" in html
    assert "Méthode : Moyenne décroissante" in html
    none = dialog.proposition_html(propose([result(1, "RT", "2026-01-01 10:00:00")]), "intermediate")
    assert "data-proposed" not in none and "Pas assez d&#x27;éléments pour proposer un niveau (1 résultat)" in none
