"""The learner's « Livret de compétences » for the certification jury (SPEC DOC1): every competency with
its criteria and every result in chronological order — the dashboard's condensed grid in print form, each
cell with its result code and complexity written in it, so it reads in black and white (the condensed
form: a PDF engine lays out the one-column-per-evaluation grid many times slower) — before the learner's validated bilans
(livret.render.bilan_document), each on its own page. Pure functions; every text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from livret.codes import CONTRAST_CLASS
from livret.render import grid

LIVRET_CSS = """
@page { size: A4 landscape; margin: 10mm 10mm 12mm;
  @bottom-center { content: string(footer) " — page " counter(page) "/" counter(pages); font-size: 8pt; color: #444; } }
html { font-size: 10px; }
body { margin: 0; font-family: "DejaVu Sans", Arial, sans-serif; color: #1f2328; }
.doc-footer { string-set: footer content(); height: 0; margin: 0; overflow: hidden; }
.doc-head { display: flex; justify-content: space-between; border-bottom: 2px solid #1f2328; padding-bottom: 1.5mm;
  margin-bottom: 2mm; font-size: 9pt; }
h1 { font-size: 14pt; margin: 0 0 1mm; }
.meta { font-size: 9pt; margin: 0 0 2mm; }
.lv-comp { break-inside: avoid; margin-bottom: 3mm; content-visibility: visible; }
.lv-comp .lv-scroll { overflow: visible; }
.lv-comp .lv-title { white-space: normal; height: auto; }
.lv-ask { display: none; }
.lv-legend { margin-bottom: 2mm; }
.lv-condensed .lv-cell { min-width: 7mm; height: auto; padding: .3mm .8mm; font-size: 6.5pt; }
.lv-condensed .lv-cell small { margin-left: .6mm; font-size: 5pt; font-weight: 400; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
"""


def livret_html(*, school_name: str, school_year: str, learner_name: str, class_name: str, diploma: str,
                blocks: Sequence[grid.Block], printed_on: str, contrast: bool = False) -> str:
    """The grid part of the livret: one block per competency (criteria × evaluations, oldest first, the
    black line after the latest validated bilan), in landscape pages."""
    name = escape(learner_name)
    footer = f"Livret de compétences de {learner_name}, édité le {printed_on}"
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Livret de compétences — {name}</title>
<style>
{grid.stylesheet_css()}
{LIVRET_CSS}
</style>
</head>
<body{' class="' + CONTRAST_CLASS + '"' if contrast else ""}>
<p class="doc-footer">{escape(footer)}</p>
<div class="doc-head"><strong>{escape(school_name) or "Établissement"}</strong><span>Année scolaire {escape(school_year)}</span></div>
<h1>Livret de compétences</h1>
<p class="meta"><strong>{name}</strong> · classe {escape(class_name)} · {escape(diploma)} · édité le {escape(printed_on)}.
Pour chaque critère, ses résultats du plus ancien au plus récent, chacun avec son code et sa complexité
(lisible en noir et blanc ; E : bilan entreprise) ; à gauche du trait noir, les évaluations prises en compte dans le
dernier bilan. Les bilans validés suivent.</p>
{grid.legend_html()}
{"".join(block.html for block in blocks)}
</body>
</html>
"""
