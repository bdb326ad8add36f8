"""Notation: a grade /20 from each learner's latest validated bilan and a weighting (SPEC N1–N7).

Weightings being typed live in the session, per bilan, and every accepted change is also kept as the
teacher's draft, so a reload, a closed tab or another device finds it again; « Enregistrer les notes »
stores the grade and drops the draft. With no draft, a saved weighting is what the grid shows when the
bilan is opened again."""

from __future__ import annotations

import streamlit as st

from livret import french, grading, school, ui
from livret import grade_arithmetic as arithmetic
from livret.errors import LivretError
from livret.permissions import can
from livret.ui import flash
from livret.ui.selection import pick_learner

OPEN = "notation_open"
WEIGHTS = "notation_weights"  # {bilan id: {competency id: weight}}: the accepted weighting
GRID = "notation_grid"  # {bilan id: (version, weights)}: what the grid was last built from
RECOVERED = "notation_recovered"  # {bilan id: when its draft was last changed}: the grid opened on it
GRID_NOTICE = "notation_grid_notice"  # a flash message shown under the grid
SAVE_NOTICE = "notation_save_notice"  # a flash message shown under « Enregistrer les notes »
DUPLICATE = "notation_duplicate"
WEIGHT_COLUMN = "Pondération (%)"

db = ui.database()
user = ui.current_user()


def state(name: str) -> dict:
    return st.session_state.setdefault(name, {})


def set_weights(bilan_id: int, weights: dict[int, int]) -> None:
    """Replace a bilan's weighting and rebuild its grid from it (a new grid key drops stale edits)."""
    state(WEIGHTS)[bilan_id] = dict(weights)
    version = state(GRID).get(bilan_id, (0, None))[0] + 1
    state(GRID)[bilan_id] = (version, dict(weights))


def tick_key(bilan_id: int, other_bilan_id: int) -> str:
    return f"notation_dup_{bilan_id}_{other_bilan_id}"


def keep_draft(bilan_id: int, weights: dict[int, int]) -> None:
    """Store an accepted change of the weighting as the user's draft for the bilan."""
    state(RECOVERED).pop(bilan_id, None)  # changed since: no longer what was found on opening
    try:
        grading.save_draft_weights(db, user, bilan_id, weights)
    except LivretError as error:
        flash.later(GRID_NOTICE, f"La pondération en cours n'a pas pu être conservée : {error}", "error")


def opening_weights(bilan) -> dict[int, int]:
    """The weighting the grid opens on: the user's unsaved draft first, then the saved grade's."""
    draft = grading.draft_weights(db, user, bilan)
    if draft is not None:
        state(RECOVERED)[bilan.id] = draft.when
        return draft.weights
    return grading.stored_weights(db, user, bilan) or arithmetic.zero_weights(bilan)


def apply_model(bilan) -> None:
    try:
        weights = grading.model_weights(db, user, bilan)
    except LivretError as error:
        flash.later(GRID_NOTICE, str(error), "error")
        return
    set_weights(bilan.id, weights)
    keep_draft(bilan.id, weights)


def reset(bilan) -> None:
    set_weights(bilan.id, arithmetic.zero_weights(bilan))
    state(RECOVERED).pop(bilan.id, None)
    try:
        grading.discard_draft_weights(db, user, bilan)
    except LivretError as error:
        flash.later(GRID_NOTICE, str(error), "error")


def tick_all(bilan_id: int, others, value: bool) -> None:
    for other in others:
        st.session_state[tick_key(bilan_id, other.id)] = value


def save(bilan, others) -> None:
    ticked = [other for other in others if st.session_state.get(tick_key(bilan.id, other.id))]
    weights = state(WEIGHTS)[bilan.id]
    try:
        saved = grading.save_grades(db, user, weights, [bilan.id] + [other.id for other in ticked])
    except LivretError as error:
        flash.later(SAVE_NOTICE, str(error), "error")
        return
    for other in ticked:
        set_weights(other.id, weights)
        st.session_state[tick_key(bilan.id, other.id)] = False
    for graded in saved:
        state(RECOVERED).pop(graded.bilan_id, None)
    plural = "s" if len(saved) > 1 else ""
    listed = " ; ".join(f"{s.full_name} {french.decimal_text(s.grade)}" for s in saved[:5])
    more = " ; …" if len(saved) > 5 else "."
    flash.later(SAVE_NOTICE, f"{len(saved)} note{plural} enregistrée{plural} : {listed}{more}")


def set_step() -> None:
    try:
        grading.set_rounding_step(db, user, st.session_state["notation_step"])
    except LivretError as error:
        flash.later(GRID_NOTICE, str(error), "error")


def rounding_control(step) -> None:
    if can(user, "set_rounding_step"):
        st.session_state["notation_step"] = str(step)  # the stored setting, even if changed elsewhere
        st.selectbox("Pas d'arrondi de la note", grading.ROUNDING_STEPS, key="notation_step",
                     on_change=set_step, width=220,
                     format_func=french.decimal_text,
                     help="Réglage de l'établissement, pour tous les enseignants.")
    else:
        st.caption(f"Note arrondie au pas de {french.decimal_text(step)} (réglage du DDFPT).")


WEIGHTS_BOX = "notation_weights_box"
# The grid (Glide Data Grid) opens its cell editor on the first key typed, a moment later; a key typed
# before the editor is there starts it again, so « 35 » typed right after the click became « 5 », and an
# Enter typed in that moment kept nothing. Until the editor is there the next keys are held, then typed
# into it, in order.
TYPE_AHEAD_JS = """<script>
(() => {
  const root = window.parent && window.parent.document ? window.parent : window;
  if (root.lvWeightTypeAhead) { return; }
  root.lvWeightTypeAhead = true;
  const doc = root.document;
  const held = { keys: null, since: 0 };
  const editor = () => doc.querySelector('.gdg-input');
  const printable = (e) => e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey;
  const holds = (e) => printable(e) || ['Enter', 'Tab', 'Escape', 'Backspace'].includes(e.key);
  function typeInto(input, keys) {
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    for (const key of keys) {
      if (key.length === 1) {
        if (!doc.execCommand('insertText', false, key)) {
          const setter = Object.getOwnPropertyDescriptor(root.HTMLInputElement.prototype, 'value').set;
          setter.call(input, input.value + key);
          input.dispatchEvent(new root.Event('input', { bubbles: true }));
        }
      } else {
        input.dispatchEvent(new root.KeyboardEvent('keydown', { key: key, code: key, bubbles: true,
                                                               cancelable: true }));
      }
    }
  }
  function flush() {
    if (held.keys === null) { return; }
    const input = editor();
    if (!input) {
      // No editor after this long: the key was on a cell that cannot be edited; nothing to type into.
      if (root.performance.now() - held.since > 1500) { held.keys = null; } else { root.requestAnimationFrame(flush); }
      return;
    }
    const keys = held.keys;
    held.keys = null;
    if (keys.length) { typeInto(input, keys); }
  }
  doc.addEventListener('keydown', (e) => {
    const target = e.target instanceof root.Element ? e.target : null;
    if (held.keys !== null) {
      if (editor()) { flush(); return; }
      if (holds(e)) { held.keys.push(e.key); e.preventDefault(); e.stopImmediatePropagation(); }
      return;
    }
    if (printable(e) && target && target.closest('.st-key-""" + WEIGHTS_BOX + """') && !editor()) {
      held.keys = [];
      held.since = root.performance.now();
      root.requestAnimationFrame(flush);
    }
  }, true);
})();
</script>"""


def weights_grid(bilan) -> dict[int, int]:
    """The grid of weights; an edit that breaks a rule is refused and the grid shows the last
    accepted weighting again."""
    if bilan.id not in state(WEIGHTS):
        set_weights(bilan.id, opening_weights(bilan))
    version, base = state(GRID)[bilan.id]
    if f"notation_grid_{bilan.id}_{version}" not in st.session_state and base != state(WEIGHTS)[bilan.id]:
        # Back from another learner: the grid's edits were dropped with it, the accepted weights were not.
        set_weights(bilan.id, state(WEIGHTS)[bilan.id])
        version, base = state(GRID)[bilan.id]
    frame = arithmetic.weights_frame(bilan, base)
    st.html(TYPE_AHEAD_JS, unsafe_allow_javascript=True)
    edited = st.container(key=WEIGHTS_BOX).data_editor(
        frame, key=f"notation_grid_{bilan.id}_{version}", hide_index=True, num_rows="fixed",
        disabled=[c for c in frame.columns if c != WEIGHT_COLUMN], height=38 + 35 * len(frame),
        column_config={
            "Unité": st.column_config.TextColumn(width=50),
            "Compétence": st.column_config.TextColumn(width=220),
            "Positionnement": st.column_config.TextColumn(width=105, help="NE : compétence non évaluée"),
            "Objectifs": st.column_config.TextColumn(width=95),
            "Valeur": st.column_config.TextColumn(width=55, help="v(niveau) dans le calcul de la note"),
            WEIGHT_COLUMN: st.column_config.NumberColumn(
                width=120, help="Pourcentage entier ; 0 pour une compétence NE", format="%g"),
        },
    )
    try:
        accepted = arithmetic.check_weights(bilan, dict(zip(edited.index, edited[WEIGHT_COLUMN])))
    except LivretError as error:
        set_weights(bilan.id, state(WEIGHTS)[bilan.id])
        flash.later(GRID_NOTICE, f"Saisie refusée : {error}", "error")
        st.rerun()
    if accepted != state(WEIGHTS)[bilan.id]:
        keep_draft(bilan.id, accepted)
    state(WEIGHTS)[bilan.id] = accepted
    return accepted


def duplicate_list(bilan, weights, step, others) -> None:
    st.markdown("**Dupliquer la pondération** — apprenants de la classe dont le dernier bilan évalue "
                "les mêmes compétences :")
    if not others:
        st.info("Aucun autre apprenant de la classe n'a le même profil de compétences évaluées.")
        return
    complete = arithmetic.remaining(weights) == 0
    if not complete:
        st.caption("Répartissez les 100 % pour voir la note proposée de chacun et la leur appliquer.")
    with st.container(horizontal=True):
        st.button("Tout cocher", on_click=tick_all, args=(bilan.id, others, True), disabled=not complete)
        st.button("Tout décocher", on_click=tick_all, args=(bilan.id, others, False))
    columns = st.columns(3)
    for n, other in enumerate(others):
        if complete:
            grade = arithmetic.format_grade(arithmetic.exact_grade(other, weights), step)
            label = f"{ui.markdown_text(other.full_name)} — {grade} / 20"
        else:
            label = ui.markdown_text(other.full_name)
        columns[n % 3].checkbox(label, key=tick_key(bilan.id, other.id), disabled=not complete)


def grading_section(learner_id: int) -> None:
    bilan = grading.latest_validated_bilan(db, user, learner_id)
    identity = school.learner_identity(db, user, learner_id)
    if bilan is None:
        name = ui.markdown_text(f"{identity['last_name']} {identity['first_name']}")
        st.warning(f"{name} n'a encore aucun bilan validé : "
                   "il n'y a rien à noter.", icon=":material/info:")
        return
    step = grading.rounding_step(db, user)
    with st.container(border=True):
        st.subheader(f"Notation du bilan du {bilan.bilan_date} — {ui.markdown_text(bilan.full_name)}")
        current = grading.current_grade(db, user, bilan)
        if current is not None:
            versions = f" ({current.versions} versions, la dernière fait foi)" if current.versions > 1 else ""
            st.caption(f"Note enregistrée : {current.grade_text} / 20, le {current.when} par {ui.markdown_text(current.author)}"
                       f"{versions}.")
        with st.container(horizontal=True):
            st.button("Pondération modèle", icon=":material/balance:", on_click=apply_model, args=(bilan,),
                      help="D'après les coefficients des unités, répartie sur les compétences évaluées dans ce bilan")
            st.button("Remise à zéro", icon=":material/restart_alt:", on_click=reset, args=(bilan,))
            if st.button("Dupliquer la pondération", icon=":material/content_copy:"):
                st.session_state[DUPLICATE] = not st.session_state.get(DUPLICATE, False)
        # The weights on the left; what remains, the grade and any refusal on the right, in view while typing
        # (ui.layout keeps that column at the top of the window).
        grid_column, summary_column = st.columns([4, 1], gap="small")
        with grid_column:
            weights = weights_grid(bilan)
            if bilan.id in state(RECOVERED):
                st.caption(f"Pondération en cours retrouvée (non enregistrée, modifiée le {state(RECOVERED)[bilan.id]}).")
        left = arithmetic.remaining(weights)
        with summary_column.container(key="notation_summary"):
            flash.show(GRID_NOTICE, icon=True)
            st.markdown(f"##### Reste à répartir : {left} %")
            if left == 0:
                grade = arithmetic.exact_grade(bilan, weights)
                st.metric("Note proposée", f"{arithmetic.format_grade(grade, step)} / 20")
            else:
                st.caption("La note est proposée dès que les 100 % sont répartis.")
        if left == 0:
            st.markdown(f"**Calcul :** {arithmetic.developed_formula(bilan, weights, step)}")
        st.caption(arithmetic.FORMULA)
        rounding_control(step)
        others = grading.same_profile_bilans(db, user, bilan)
        if st.session_state.get(DUPLICATE):
            duplicate_list(bilan, weights, step, others)
        ticked = sum(bool(st.session_state.get(tick_key(bilan.id, o.id))) for o in others)
        label = "Enregistrer les notes" + (f" ({1 + ticked} apprenants)" if ticked else "")
        st.button(label, type="primary", icon=":material/save:", on_click=save, args=(bilan, others),
                  disabled=left != 0, key="notation_save")
        flash.show(SAVE_NOTICE, icon=True)


def class_section(class_id: int) -> None:
    table = grading.class_grades_table(db, user, class_id)
    class_name = school.visible_classes(db, user).set_index("id").loc[class_id, "name"]
    st.subheader(f"Notes enregistrées — {ui.markdown_text(class_name)}")
    size = len(school.class_learners(db, user, class_id))
    if table.empty:
        st.caption("Aucune note enregistrée pour cette classe.")
    else:
        st.caption(f"{len(table)} apprenant{'s' if len(table) > 1 else ''} noté{'s' if len(table) > 1 else ''} "
                   f"sur {size}.")
        st.dataframe(table, hide_index=True)
    ui.private_download_button("Exporter CSV", grading.export_csv(db, user, class_id), icon=":material/download:",
                       file_name=f"notes-{class_name}.csv", mime="text/csv", disabled=table.empty)


st.title("Notation")
try:
    learner_id = pick_learner(db, user, compact=True)
    if learner_id is not None:
        if st.button("Noter le dernier bilan des apprenants", icon=":material/grade:",
                     type="secondary" if st.session_state.get(OPEN) else "primary"):
            st.session_state[OPEN] = True
        if st.session_state.get(OPEN):
            grading_section(learner_id)
        class_section(school.learner_identity(db, user, learner_id)["class_id"])
except LivretError as error:
    ui.show_error(error)
