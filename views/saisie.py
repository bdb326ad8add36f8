"""Saisie: create an evaluation of a class, then enter its results in a grid (SPEC E2)."""

from datetime import date

import streamlit as st

from livret import evaluations, school, ui
from livret.codes import COMPANY_CODE, COMPLEXITIES, RESULT_BY_CODE, RESULT_CODES
from livret.errors import LivretError
from livret.french import date_text, moment_text
from livret.ui import entry_grid, flash
from livret.ui.selection import pick_class

NEW = 0
EVALUATION_KEY = "saisie_evaluation"
OPEN_KEY = "saisie_open"  # evaluation to select on the next run (a bound widget is set before it is drawn)
FLASH_KEY = "saisie_flash"  # a flash message shown under the choice of evaluation
NEW_PREFIX = "saisie_new"
CHOICE_LABELS = {code: f"{code} — {label}" for code, label in COMPLEXITIES.items()}
CHOICE_LABELS[COMPANY_CODE] = f"{COMPANY_CODE} — Bilan entreprise"


def evaluation_label(row) -> str:
    label = f"{row.code} · {date_text(row.eval_date)} · {row.title}"
    return label + (f" · {row.learner_name}" if row.learner_name else "")


def pick_criteria(criteria, prefix: str, chosen: tuple[int, ...] = ()) -> list[int]:
    """Competencies first, then for each one the criteria it assesses (all of them by default)."""
    competencies = criteria.drop_duplicates("competency")
    names = dict(zip(competencies["competency"], competencies["competency"] + " - " + competencies["competency_title"]))
    default = [code for code in names if criteria[(criteria["competency"] == code) & criteria["id"].isin(chosen)].size]
    selected = st.multiselect("Compétences évaluées", list(names), default=default, format_func=names.get,
                              key=f"{prefix}_competencies", placeholder="Choisissez les compétences", select_all=False)
    criterion_ids: list[int] = []
    for code in selected:
        rows = criteria[criteria["competency"] == code]
        texts = {int(i): f"{label} — {text}" for i, label, text in zip(rows["id"], rows["label"], rows["text"])}
        initial = [i for i in texts if i in chosen] or list(texts)
        criterion_ids += st.multiselect(f"Critères de {ui.markdown_text(code)}", list(texts), default=initial, format_func=texts.get,
                                        key=f"{prefix}_criteria_{code}", placeholder="Choisissez les critères", select_all=False)
    return criterion_ids


def fill_column(evaluation_id: int, confirm_locked: bool) -> None:
    state = st.session_state
    try:
        written = evaluations.fill_criterion(
            ui.database(), ui.current_user(), evaluation_id, state[f"saisie_fill_criterion_{evaluation_id}"],
            state[f"saisie_fill_code_{evaluation_id}"], only_empty=state[f"saisie_fill_empty_{evaluation_id}"],
            confirm_locked=confirm_locked)
    except LivretError as error:
        entry_grid.report_refusal(evaluation_id, str(error))
        return
    entry_grid.reset_grid(evaluation_id)
    entry_grid.report_saved(evaluation_id, f"Colonne remplie : {written} résultat(s) enregistré(s).")


def absent_pending_key(evaluation_id: int) -> str:
    return f"saisie_absent_pending_{evaluation_id}"


def mark_absent(evaluation_id: int, confirm_locked: bool, confirmed_learner: int | None = None) -> None:
    """« Marquer absent »; over results already entered it first asks (confirmed_learner is the answer)."""
    state = st.session_state
    learner_id = confirmed_learner if confirmed_learner is not None else state[f"saisie_absent_learner_{evaluation_id}"]
    state.pop(absent_pending_key(evaluation_id), None)
    try:
        replaced = evaluations.absent_replacements(ui.database(), ui.current_user(), evaluation_id, learner_id)
        if replaced and confirmed_learner is None:
            state[absent_pending_key(evaluation_id)] = (learner_id, evaluations.absent_confirmation_text(replaced))
            return
        written = evaluations.mark_absent(ui.database(), ui.current_user(), evaluation_id, learner_id,
                                    confirm_locked=confirm_locked, confirm_replace=confirmed_learner is not None)
    except LivretError as error:
        entry_grid.report_refusal(evaluation_id, str(error))
        return
    entry_grid.reset_grid(evaluation_id)
    entry_grid.report_saved(evaluation_id, f"Absence enregistrée ({written} critère(s) en AB).")


def cancel_absent(evaluation_id: int) -> None:
    st.session_state.pop(absent_pending_key(evaluation_id), None)


db = ui.database()
user = ui.current_user()

st.title("Saisie des évaluations")
class_id = pick_class(db, user)
if class_id is None:
    st.stop()

if OPEN_KEY in st.session_state:
    st.session_state[EVALUATION_KEY] = st.session_state.pop(OPEN_KEY)
listed = evaluations.class_evaluations(db, user, class_id)
labels = {NEW: "+ Nouvelle évaluation"} | {int(row.id): evaluation_label(row) for row in listed.itertuples()}
if st.session_state.get(EVALUATION_KEY) not in labels:
    st.session_state.pop(EVALUATION_KEY, None)
evaluation_id = st.selectbox("Évaluation", list(labels), format_func=labels.get, key=EVALUATION_KEY,
                             bind="query-params", help="Les évaluations sont classées de la plus récemment modifiée "
                                                       "à la plus ancienne.")
flash.show(FLASH_KEY)
criteria = evaluations.class_criteria(db, user, class_id)

if evaluation_id == NEW:
    st.subheader("Nouvelle évaluation")
    title = st.text_input("Titre de l'évaluation", key=f"{NEW_PREFIX}_title", max_chars=evaluations.TITLE_MAX_LENGTH)
    date_column, choice_column = st.columns([1, 3])
    day = date_column.date_input("Date", value="today", format="DD/MM/YYYY", key=f"{NEW_PREFIX}_date")
    choice = choice_column.radio("Niveau de complexité", evaluations.ENTRY_CHOICES, format_func=CHOICE_LABELS.get,
                                 horizontal=True, key=f"{NEW_PREFIX}_choice")
    learner_id = None
    if choice == COMPANY_CODE:
        learners = school.class_learners(db, user, class_id)
        names = dict(zip(learners["id"].astype(int), learners["full_name"]))
        learner_id = st.selectbox("Apprenant concerné", list(names), format_func=names.get, index=None,
                                  placeholder="Choisissez l'apprenant", key=f"{NEW_PREFIX}_learner")
    criterion_ids = pick_criteria(criteria, NEW_PREFIX)
    if st.button("Créer l'évaluation", type="primary", icon=":material/add:"):
        try:
            new_id = evaluations.create_evaluation(db, user, class_id, title=title, eval_date=day, complexity=choice,
                                             criterion_ids=criterion_ids, learner_id=learner_id)
        except LivretError as error:
            ui.show_error(error)
        else:
            for key in [k for k in st.session_state if str(k).startswith(NEW_PREFIX)]:
                del st.session_state[key]
            st.session_state[OPEN_KEY] = new_id
            flash.later(FLASH_KEY, "Évaluation créée : saisissez les résultats dans la grille.")
            st.rerun()
    st.stop()

detail = evaluations.evaluation_detail(db, user, evaluation_id)
subtitle = f"{detail.code} · {date_text(detail.eval_date)} · {ui.markdown_text(detail.class_name)}"
if detail.learner_name:
    subtitle += f" · bilan entreprise de {ui.markdown_text(detail.learner_name)}"
st.subheader(ui.markdown_text(detail.title), anchor=False)
st.caption(f"{subtitle} · dernière modification le {moment_text(detail.modified_at)}")

confirm_locked = False
if detail.locked_by:
    st.warning(f"Cette évaluation est déjà prise en compte dans le bilan validé le {date_text(detail.locked_by)}. "
               "Toute modification sera enregistrée dans le journal des modifications.", icon=":material/lock:")
    confirm_locked = st.checkbox(evaluations.LOCK_CONFIRM_LABEL, key=f"saisie_lock_{evaluation_id}")
editable = not detail.locked_by or confirm_locked

learners = evaluations.evaluation_learners(db, user, evaluation_id)
learner_names = dict(zip(learners["id"].astype(int), learners["full_name"]))
criterion_names = dict(zip(detail.criteria["id"].astype(int), detail.criteria["label"]))
# The tools sit above the grid: the grid's frame resizes when it loads, and must not move them.
with st.container(border=True):
    criterion_column, code_column, empty_column, fill_column_button = st.columns([2, 3, 3, 2],
                                                                                 vertical_alignment="bottom")
    criterion_column.selectbox("Critère", list(criterion_names), format_func=criterion_names.get,
                               key=f"saisie_fill_criterion_{evaluation_id}")
    code_column.selectbox("Code", RESULT_CODES, format_func=lambda c: f"{c} — {RESULT_BY_CODE[c].label}",
                          key=f"saisie_fill_code_{evaluation_id}")
    empty_column.checkbox("Seulement les cases vides", value=True, key=f"saisie_fill_empty_{evaluation_id}")
    fill_column_button.button("Remplir la colonne", on_click=fill_column, args=(evaluation_id, confirm_locked),
                              disabled=not editable, width="stretch")
    learner_column, absent_button, _ = st.columns([5, 2, 2], vertical_alignment="bottom")
    learner_column.selectbox("Apprenant", list(learner_names), format_func=learner_names.get,
                             key=f"saisie_absent_learner_{evaluation_id}")
    absent_button.button("Marquer absent", on_click=mark_absent, args=(evaluation_id, confirm_locked),
                         disabled=not editable, width="stretch",
                         help="Met AB sur tous les critères de l'évaluation pour cet apprenant.")
    pending = st.session_state.get(absent_pending_key(evaluation_id))
    if pending:
        pending_learner, question = pending
        st.warning(f"{ui.markdown_text(learner_names.get(pending_learner, ''))} — {question}",
                   icon=":material/warning:")
        with st.container(horizontal=True):
            st.button("Remplacer par AB", type="primary", on_click=mark_absent,
                      args=(evaluation_id, confirm_locked, pending_learner), disabled=not editable,
                      key=f"saisie_absent_confirm_{evaluation_id}")
            st.button("Annuler", on_click=cancel_absent, args=(evaluation_id,),
                      key=f"saisie_absent_cancel_{evaluation_id}")

st.markdown("**Résultats** — cliquez une case et tapez le code en entier (NA, PR, RA, RT, NV, AB) puis Entrée : "
            "la saisie passe à l'apprenant suivant. Les flèches déplacent la case choisie ; F2 ou un double-clic "
            "ouvre la liste des codes. Chaque résultat est enregistré dès sa saisie.")
refusal, saved = entry_grid.status(evaluation_id)
# Both lines always hold their place above the grid, so that a message appearing moves nothing below it.
with st.container():
    if refusal:
        st.error(refusal, icon=":material/block:")
with st.container():
    if saved:
        st.caption(f":material/cloud_done: {saved}")
contrast = ui.user_preferences(user).contrast
entry_grid.result_grid(db, user, evaluation_id, detail.criteria, editable=editable,
                          confirm_locked=confirm_locked, contrast=contrast)
st.html(entry_grid.legend_html(contrast))

trail = evaluations.audit_trail(db, user, evaluation_id)
if not trail.empty:
    with st.expander(f"Journal des modifications ({len(trail)})", icon=":material/history:"):
        st.caption("Modifications faites après qu'un bilan validé a pris en compte cette évaluation.")
        ui.table(trail, hide_index=True, border="horizontal")

with st.expander("Modifier l'évaluation", icon=":material/edit:"):
    prefix = f"saisie_edit_{evaluation_id}"
    new_title = st.text_input("Titre de l'évaluation", value=detail.title, key=f"{prefix}_title",
                              max_chars=evaluations.TITLE_MAX_LENGTH)
    new_day = st.date_input("Date", value=date.fromisoformat(detail.eval_date), format="DD/MM/YYYY",
                            key=f"{prefix}_date")
    if detail.context == "company":
        new_choice = COMPANY_CODE
        st.caption(f"Bilan entreprise de {ui.markdown_text(detail.learner_name)} (le contexte ne peut pas être changé).")
    else:
        new_choice = st.radio("Niveau de complexité", tuple(COMPLEXITIES), format_func=CHOICE_LABELS.get,
                              index=tuple(COMPLEXITIES).index(detail.complexity), horizontal=True,
                              key=f"{prefix}_choice")
    current = detail.criteria
    new_criteria = pick_criteria(criteria, prefix, tuple(int(i) for i in current["id"]))
    dropped = int(current[~current["id"].isin(new_criteria)]["results"].sum())
    confirm_drop = False
    if dropped:
        st.warning(f"Les critères retirés ont {dropped} résultat(s) déjà saisi(s) : ils seront supprimés.")
        confirm_drop = st.checkbox("Je confirme la suppression des résultats des critères retirés",
                                   key=f"{prefix}_drop")
    if st.button("Enregistrer les modifications", disabled=not editable, key=f"{prefix}_save"):
        try:
            changed = evaluations.update_evaluation(db, user, evaluation_id, title=new_title, eval_date=new_day,
                                              complexity=new_choice, criterion_ids=new_criteria,
                                              confirm_locked=confirm_locked, confirm_drop_results=confirm_drop)
        except LivretError as error:
            ui.show_error(error)
        else:
            flash.later(FLASH_KEY, "Évaluation modifiée." if changed else "Aucune modification à enregistrer.")
            entry_grid.reset_grid(evaluation_id)
            st.rerun()

with st.expander("Supprimer l'évaluation", icon=":material/delete:"):
    total = int(detail.criteria["results"].sum())
    confirmed = st.checkbox(f"Je confirme la suppression définitive de cette évaluation et de ses {total} résultat(s)",
                            key=f"saisie_delete_ok_{evaluation_id}")
    if st.button("Supprimer l'évaluation", type="primary", disabled=not editable, key=f"saisie_delete_{evaluation_id}"):
        try:
            evaluations.delete_evaluation(db, user, evaluation_id, confirmed=confirmed, confirm_locked=confirm_locked)
        except LivretError as error:
            ui.show_error(error)
        else:
            st.session_state[OPEN_KEY] = NEW
            flash.later(FLASH_KEY, f"Évaluation « {detail.title} » supprimée.")  # shown literally
            st.rerun()
