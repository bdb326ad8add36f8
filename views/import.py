"""Import (DDFPT, administrator): classes and learners, evaluation results, a référentiel (SPEC E3).

Choose what to import and the file, read the preview (added, updated, unchanged, rejected), then
« Importer ». The checks and the writes are in livret.imports; this page only shows them."""

import html

import streamlit as st

from livret import imports, school, ui
from livret.db import data_version
from livret.errors import FileRejected, LivretError
from livret.french import count_text, date_text

KINDS = {"learners": "Classes et apprenants", "results": "Résultats d'évaluations", "referentiel": "Référentiel"}
HELP = {
    "learners": "Colonnes attendues : **Nom**, **Prénom** (ou une seule colonne **Élève** au format « NOM "
                "Prénom »), **Classe** ; facultatives : **E-mail**, **Date de naissance** (jj/mm/aaaa). Les "
                "en-têtes des exports de la vie scolaire (SIECLE, Pronote…) sont reconnus, les autres colonnes sont "
                "ignorées. Un apprenant est reconnu à son nom et son prénom, écrits comme les logiciels de vie "
                "scolaire (NOM en majuscules, Prénom avec une majuscule) : réimporter une liste ne crée pas de "
                "doublon, et un apprenant déjà inscrit dans une autre classe change de classe en gardant ses "
                "résultats. Un homonyme possible (autre date de naissance, ou autre classe alors que l'apprenant "
                "enregistré a déjà des résultats) attend votre décision. Une adresse e-mail crée le compte apprenant.",
    "results": "Une ligne par apprenant, évaluation et critère : **Classe**, **Nom**, **Prénom** (ou une seule colonne "
               "**Élève** « NOM Prénom »), **Évaluation**, "
               "**Date** (jj/mm/aaaa), **Complexité** (D, Int, B, ou E pour un bilan entreprise), **Compétence** "
               "(C1…), **Critère** (numéro, ex. 3, ou code, ex. C1-3), **Résultat** (NA, PR, RA, RT, NV, AB).",
    "referentiel": "Les cinq fichiers CSV d'un référentiel (diploma.csv, units.csv, domains.csv, competencies.csv, "
                   "criteria.csv, au format du dossier data/referentiel), ou une archive ZIP qui les contient. "
                   "Un référentiel n'est importé qu'entier ; rien n'est jamais supprimé.",
}
MESSAGE_KEY = "import_message"
PREVIEW_KEY = "import_preview"
HOMONYM_KEY = "import_homonym_"  # + file id + "_" + line: the DDFPT's decision for a possible homonym
ALLOW_LOCKED_KEY = "import_allow_locked"
SHOWN_ROWS = 2_000
TABLE_ROWS = 200  # rejected lines shown as a plain table (wrapped, readable) up to this many

db = ui.database()
user = ui.current_user()

st.title("Import")
done_message = st.session_state.pop(MESSAGE_KEY, None)

try:
    diplomas = imports.diploma_options(db, user)
except LivretError as error:
    ui.show_error(error)
    st.stop()

kind = st.radio("Données à importer", imports.import_kinds(user), format_func=KINDS.get, horizontal=True,
                key="import_kind")
st.markdown(HELP[kind])

options: dict = {}
if kind == "learners":
    diploma_column, year_column = st.columns(2)
    titles = dict(zip(diplomas["code"], diplomas["title"]))
    options["diploma"] = diploma_column.selectbox(
        "Diplôme des classes créées", list(titles), format_func=lambda code: f"{code} — {titles[code]}",
        key="import_diploma")
    options["school_year"] = year_column.text_input(
        "Année scolaire des classes créées", value=imports.current_school_year(), key="import_school_year").strip()

size_help = f"Taille maximale : {imports.MAX_FILE_LABEL}. CSV séparé par « ; » ou « , », en UTF-8 ou Windows-1252."
if kind == "referentiel":
    uploads = st.file_uploader("Fichiers du référentiel (CSV ou ZIP)", type=["csv", "zip"], accept_multiple_files=True,
                               key="import_files_referentiel", help=size_help, max_upload_size=100)
    files = [(f.name, f.getvalue()) for f in uploads]
    signature = (kind, data_version(db), tuple(f.file_id for f in uploads))
else:
    upload = st.file_uploader("Fichier CSV ou XLSX", type=["csv", "txt", "xlsx", "xls", "ods"],
                              key=f"import_file_{kind}", help=size_help, max_upload_size=100)
    files = [(upload.name, upload.getvalue())] if upload else []
    if kind == "learners" and upload:
        prefix = f"{HOMONYM_KEY}{upload.file_id}_"
        options["decisions"] = {int(k.removeprefix(prefix)): v for k, v in st.session_state.items()
                                if k.startswith(prefix) and v is not None}
    if kind == "results":
        options["allow_locked"] = bool(st.session_state.get(ALLOW_LOCKED_KEY))
    signature = (kind, data_version(db), upload.file_id if upload else None,
                 *(tuple(sorted(v.items())) if isinstance(v, dict) else v for v in options.values()))


def preview():
    """The plan for the chosen file, or the error refusing it (kept while the file and options stay)."""
    if not files:
        return None
    kept = st.session_state.get(PREVIEW_KEY)
    if kept and kept[0] == signature:
        return kept[1]
    try:
        if kind == "learners":
            outcome = imports.preview_learners(db, user, files[0][1], files[0][0], **options)
        elif kind == "results":
            outcome = imports.preview_results(db, user, files[0][1], files[0][0], **options)
        else:
            outcome = imports.preview_referentiel(db, user, files)
    except LivretError as error:
        outcome = error
    st.session_state[PREVIEW_KEY] = (signature, outcome)
    return outcome


def apply(partial: bool) -> None:
    if kind == "learners":
        plan = imports.import_learners(db, user, files[0][1], files[0][0], partial=partial, **options)
    elif kind == "results":
        plan = imports.import_results(db, user, files[0][1], files[0][0], partial=partial, **options)
    else:
        plan = imports.import_referentiel(db, user, files)
    st.session_state.pop(PREVIEW_KEY, None)
    # The decisions and the leave were for this import only.
    for key in [k for k in st.session_state if k.startswith(HOMONYM_KEY) or k == ALLOW_LOCKED_KEY]:
        del st.session_state[key]
    st.session_state[MESSAGE_KEY] = "Import terminé. " + plan.summary()
    st.rerun()


def report_button(problems, key: str) -> None:
    ui.private_download_button("Télécharger le rapport", imports.rejection_report(problems),
                       file_name="rapport_import.csv", mime="text/csv", icon=":material/download:", key=key)


TABLE_STYLE = """<style>
.import-rejected { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
.import-rejected th, .import-rejected td { border: 1px solid rgba(49, 51, 63, 0.15); padding: 0.3rem 0.5rem;
  text-align: left; vertical-align: top; }
.import-rejected th { background: rgba(49, 51, 63, 0.04); font-weight: 600; }
.import-rejected td.content { font-family: monospace; font-size: 0.85rem; word-break: break-word; }
</style>"""


def rejected_table(frame) -> str:
    """The rejected lines as a plain HTML table (wrapped, readable); every cell comes from the file: escaped."""
    head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td class='{'content' if i == 3 else ''}'>{html.escape(str(v))}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"{TABLE_STYLE}<table class='import-rejected'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def shown(frame):
    if len(frame) > SHOWN_ROWS:
        st.caption(f"{count_text(SHOWN_ROWS)} premières lignes affichées sur {count_text(len(frame))}.")
        return frame.head(SHOWN_ROWS)
    return frame


if done_message:
    st.success(done_message, icon=":material/check_circle:")
outcome = preview()
if isinstance(outcome, FileRejected):
    st.error("Fichier refusé, rien n'a été importé :\n\n"
             + "\n".join(f"- {ui.markdown_text(imports.problem_text(p))}" for p in outcome.problems),
             icon=":material/error:")
    report_button(outcome.problems, "import_report_file")
elif isinstance(outcome, LivretError):
    ui.show_error(outcome)
elif outcome is not None:
    plan = outcome
    st.subheader("Aperçu")
    for note in plan.notes:
        st.caption(ui.markdown_text(note))
    counts = plan.action_counts()
    columns = st.columns(5)
    columns[0].metric("Lignes lues", count_text(plan.lines) if plan.kind != "referentiel" else "—")
    what = {"learners": "classes, apprenants et comptes", "results": "évaluations et résultats",
            "referentiel": "diplôme, unités, domaines, compétences et critères"}[plan.kind]
    columns[1].metric("Ajouts", count_text(counts[imports.ADDED]), help=f"Nombre d'éléments ajoutés : {what}.")
    columns[2].metric("Mises à jour", count_text(counts[imports.UPDATED]), help=f"Nombre d'éléments modifiés : {what}.")
    columns[3].metric("Inchangés", count_text(counts[imports.UNCHANGED]), help="Déjà à jour : rien ne sera écrit.")
    columns[4].metric("Lignes rejetées", count_text(plan.rejected_lines))
    st.write(plan.summary())
    if plan.new_classes:
        st.warning("\n".join(
            f"- Nouvelle classe « {ui.markdown_text(c.label)} » ({ui.markdown_text(c.detail.removeprefix('nouvelle classe, '))})"
            for c in plan.new_classes) + "\n\nVérifiez qu'il ne s'agit pas d'une faute de frappe dans le nom d'une "
                                        "classe existante.", icon=":material/fiber_new:")
    if plan.homonyms:
        st.subheader("Homonymes possibles")
        st.caption("Ces lignes portent le nom et le prénom d'un apprenant déjà enregistré sans qu'on puisse être sûr "
                   "qu'il s'agit de la même personne : rien n'est ajouté ni déplacé avant votre décision.")
        for homonym in plan.homonyms:
            with st.container(border=True):
                st.markdown(f"**Ligne {homonym.line}** : {ui.markdown_text(homonym.reason)}")
                st.dataframe(homonym.records_frame(), hide_index=True, width="stretch",
                             key=f"import_homonym_records_{homonym.line}")
                st.radio(f"Décision pour la ligne {homonym.line}", homonym.choices, index=None, horizontal=True,
                         format_func=imports.DECISION_LABELS.get,
                         key=f"{HOMONYM_KEY}{upload.file_id}_{homonym.line}")
    if plan.locked:
        allowed = options.get("allow_locked")
        st.warning(("Modifications autorisées, chacune sera journalisée (valeur avant et après) :" if allowed else
                    "Évaluations déjà prises en compte dans un bilan validé : leurs lignes sont rejetées sauf si vous "
                    "autorisez cet import à les modifier.") + "\n"
                   + "\n".join(f"- {ui.markdown_text(locked.label)} : bilan validé le {date_text(locked.validated_at)}"
                               for locked in plan.locked), icon=":material/lock:")
    if plan.locked or options.get("allow_locked"):
        st.checkbox(imports.LOCKED_CONFIRM_LABEL, key=ALLOW_LOCKED_KEY)
    changes = plan.changes_frame()
    if changes.empty and plan.changes:
        st.info("Rien à importer : tout ce que contient ce fichier est déjà à jour.", icon=":material/info:")
    elif not changes.empty:
        st.dataframe(shown(changes), hide_index=True, width="stretch", key="import_changes",
                     column_config={"Ligne": st.column_config.NumberColumn(width="small"),
                                    "Élément": st.column_config.TextColumn(width="small"),
                                    "Action": st.column_config.TextColumn(width="small")})
    partial = False
    if plan.rejected:
        st.subheader("Lignes rejetées")
        plural = "s" if plan.rejected_lines > 1 else ""
        advice = ("ou importez seulement les lignes valides" if plan.has_writes
                  else "aucune ligne n'est importable en l'état")
        st.error(f"{plan.rejected_lines} ligne{plural} rejetée{plural} : corrigez le fichier et déposez-le à nouveau ; "
                 f"{advice}.", icon=":material/error:")
        rejected = plan.rejected_frame()
        if len(rejected) <= TABLE_ROWS:
            st.html(rejected_table(rejected))
        else:
            st.dataframe(shown(rejected), hide_index=True, width="stretch", key="import_rejected")
        report_button(plan.rejected, "import_report_lines")
        if plan.has_writes:
            partial = st.checkbox("Importer seulement les lignes valides (les lignes rejetées seront ignorées)",
                                  key="import_partial")
    if plan.undecided:
        st.info(f"Choisissez une décision pour chaque homonyme possible ({len(plan.undecided)} restant"
                f"{'s' if len(plan.undecided) > 1 else ''}) avant d'importer.", icon=":material/person_search:")
    if st.button("Importer", type="primary", icon=":material/upload:", key="import_apply",
                 disabled=not plan.has_writes or (bool(plan.rejected) and not partial) or bool(plan.undecided)):
        try:
            apply(partial)
        except LivretError as error:
            st.session_state.pop(PREVIEW_KEY, None)
            ui.show_error(error)

if kind == "learners":
    st.subheader("Classes de l'établissement")
    classes = school.visible_classes(db, user)
    if classes.empty:
        st.info("Aucune classe pour le moment : importez la liste des apprenants.")
    else:
        st.dataframe(classes[["name", "diploma", "school_year", "learners"]], hide_index=True, width="stretch",
                     column_config={"name": "Classe", "diploma": "Diplôme", "school_year": "Année scolaire",
                                    "learners": "Apprenants"}, key="import_classes")
