"""The learner's « Livret de compétences » for the certification jury (SPEC DOC1): every competency with
its criteria and every result in chronological order — the dashboard's condensed grid in print form, each
cell with its result code and complexity written in it, so it reads in black and white (the condensed
form: a PDF engine lays out the one-column-per-evaluation grid many times slower) — before the learner's validated bilans
(livret.render.bilan_document), each on its own page. Pure functions; every text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from livret.codes import CONTRAST_CLASS, PRINT_CONTRAST_SCOPES
from livret.render import grid

# Its own small stylesheet, not the dashboard's: a PDF engine lays out the app's (flex boxes, :has()
# selectors) many times slower, and a class's livrets are hundreds of pages.
LIVRET_CSS = """
@page { size: A4 landscape; margin: 10mm 10mm 12mm;
  @bottom-center { content: string(footer) " — page " counter(page) "/" counter(pages); font-size: 8pt; color: #444; } }
html { font-size: 10px; }
body { margin: 0; font-family: "DejaVu Sans", Arial, sans-serif; color: #1f2328; }
.doc-footer { string-set: footer content(); height: 0; margin: 0; overflow: hidden; }
.doc-head { display: flex; justify-content: space-between; border-bottom: 2px solid #1f2328; padding-bottom: 1.5mm;
  margin-bottom: 2mm; font-size: 9pt; }
h1 { font-size: 14pt; margin: 0 0 1mm; }
.meta { font-size: 8.5pt; margin: 0 0 2mm; }
.lv-legend ul { margin: 0 0 1mm; padding: 0; list-style: none; }
.lv-legend li { display: inline; margin-right: 3mm; font-size: 7pt; }
.lv-swatch { display: none; }
.lv-comp { break-inside: avoid; margin-bottom: 3mm; }
.lv-title { font-size: 9pt; margin: 1mm 0; }
.lv-blue { background: #1f57b8; padding: .6mm 1mm; margin-bottom: .8mm; }
.lv-past { display: inline; }
.lv-ask, .lv-jump { display: none; }
table.lv-grid { border-collapse: collapse; width: 100%; }
.lv-grid th, .lv-grid td { border-top: .3mm solid #c9ced6; padding: .4mm 1mm; font-size: 7pt; text-align: left;
  vertical-align: top; font-weight: 400; }
.lv-grid th.lv-crit { width: 65mm; }
.lv-cell { padding: 0 .6mm; font-weight: 700; border-radius: .6mm; font-size: 6.5pt; }
.lv-cell small { margin-left: .5mm; font-size: 5pt; font-weight: 400; }
.lv-company { border-radius: 2mm; }
.lv-line { border-left: .6mm solid #111; margin: 0 1mm; }
.lv-pos { display: inline-block; min-width: 7mm; border: .4mm solid var(--lv-acq, #888); padding: 0 .8mm;
  font-size: 6.5pt; font-weight: 700; background: #ffffff; color: #111; text-align: center; }
.lv-pos.lv-full { background: var(--lv-acq); color: var(--lv-acq-text); }
.lv-pos.lv-half { background: linear-gradient(90deg, var(--lv-acq) 50%, #ffffff 50%); }
.lv-pos.lv-ne { border-style: dashed; color: #555; }
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
{grid.colour_rules(PRINT_CONTRAST_SCOPES)}
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
