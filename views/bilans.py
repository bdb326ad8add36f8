"""Bilans de compétences (SPEC B4): a learner's bilans, one shown in full, printable and downloadable.

The DDFPT unlocks a bilan here; an unlocked bilan is edited here and locked again with CONFIRMATION.
A learner signed in sees only this page, with only their own validated bilans."""

import streamlit as st

from livret import bilans, ui
from livret.errors import LivretError
from livret.permissions import can
from livret.ui import bilan_dialogs as views
from livret.ui import documents, selection

FLASH_KEY = "bilans_flash"

db = ui.database()
user = ui.current_user()
if user is None:  # the page is only reached signed in through app.py; never show anything otherwise
    st.stop()
staff = can(user, "read_bilan_audit")


def edit_form(bilan: bilans.Bilan) -> None:
    """An unlocked bilan: its positionings changed one by one in the dashboard's positioning dialog (each
    click saved at once), then Constats and Conseils saved, or the whole re-confirmed."""
    bilan_id = bilan.id
    st.markdown("**Positionnements** — cliquez sur une compétence pour changer son niveau d'acquisition.")
    views.unlocked_positionings(db, user, bilan.learner_id, bilan_id)
    with st.form(f"bilans_edit_{bilan_id}"):
        constats = st.text_area("Constats", value=bilan.constats, key=f"bilans_edit_constats_{bilan_id}")
        conseils = st.text_area("Conseils", value=bilan.conseils, key=f"bilans_edit_conseils_{bilan_id}")
        word = st.text_input(f"Pour confirmer le bilan, saisissez {bilans.CONFIRMATION_WORD} en lettres majuscules",
                             key=f"bilans_edit_word_{bilan_id}")
        save_column, confirm_column = st.columns(2)
        save = save_column.form_submit_button("Enregistrer les modifications", width="stretch")
        confirm = confirm_column.form_submit_button("Confirmer le bilan", type="primary", width="stretch")
    try:
        if save:
            changed = bilans.edit_unlocked_bilan(db, user, bilan_id, constats=constats, conseils=conseils)
            st.session_state[FLASH_KEY] = "Modifications enregistrées." if changed else "Aucune modification."
            st.rerun()
        if confirm:
            bilans.reconfirm_bilan(db, user, bilan_id, word, constats=constats, conseils=conseils)
            st.session_state.pop(f"bilans_edit_word_{bilan_id}", None)
            st.session_state[FLASH_KEY] = "Bilan confirmé : il est de nouveau verrouillé."
            st.rerun()
    except LivretError as error:
        ui.show_error(error)


def withdraw_form(bilan: bilans.Bilan) -> None:
    """« Retirer » (DDFPT): a bilan validated by mistake leaves every view; the reason is required."""
    bilan_id = bilan.id
    with st.form(f"bilans_withdraw_{bilan_id}", border=False):
        st.markdown(f"Retirer le bilan du {bilan.date_label} de {ui.markdown_text(bilan.learner_name)} : "
                    "il disparaîtra de la vue de l'apprenant, du tableau de bord et de la notation "
                    "(ses notes comprises). Son contenu reste dans l'historique.")
        reason = st.text_area("Raison du retrait", key=f"bilans_withdraw_reason_{bilan_id}",
                              placeholder="Par exemple : bilan créé par erreur")
        submitted = st.form_submit_button("Retirer le bilan", type="primary", icon=":material/delete:")
    if submitted:
        try:
            bilans.withdraw_bilan(db, user, bilan_id, reason)
        except LivretError as error:
            ui.show_error(error)
        else:
            st.session_state[FLASH_KEY] = (f"Bilan du {bilan.date_label} retiré : il n'apparaît plus "
                                           "nulle part ; son contenu reste dans l'historique.")
            st.rerun()


def withdrawn_list(learner_id: int) -> None:
    try:
        withdrawn = bilans.withdrawn_bilans(db, user, learner_id)
    except LivretError as error:
        ui.show_error(error)
        return
    if withdrawn.empty:
        return
    with st.expander(f"Bilans retirés ({len(withdrawn)})"):
        ui.table(withdrawn[["date_label", "withdrawn_label", "withdrawn_by", "reason"]].rename(columns={
            "date_label": "Bilan du", "withdrawn_label": "Retiré le", "withdrawn_by": "Par",
            "reason": "Raison"}).set_index("Bilan du"))


st.title("Bilans de compétences")
views.apply_print_layout()
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)

if staff:
    with st.container(key="bilans_screen_selection"):
        learner_id = selection.pick_learner(db, user)
        if learner_id is not None:
            with st.expander("Bilans de la classe"):
                try:
                    class_id = bilans.learner_class_id(db, user, learner_id)
                    overview = bilans.class_bilans(db, user, class_id)
                except LivretError as error:
                    ui.show_error(error)
                else:
                    st.dataframe(
                        overview[["full_name", "bilans", "latest_label", "unlocked", "drafts"]].rename(columns={
                            "full_name": "Apprenant", "bilans": "Bilans", "latest_label": "Dernier bilan",
                            "unlocked": "Déverrouillés", "drafts": "Brouillon en cours"}),
                        hide_index=True, width="stretch")
                    documents.class_buttons(db, user, class_id, st.session_state.get(selection.CLASS_KEY, "classe"),
                                            key="bilans_classe")
else:
    learner_id = user.learner_id
if learner_id is None:
    st.stop()

try:
    listing = bilans.learner_bilans(db, user, learner_id)
    name = bilans.learner_name(db, user, learner_id)
except LivretError as error:
    ui.show_error(error)
    st.stop()
if staff:
    withdrawn_list(learner_id)
if listing.empty:
    st.info(f"Aucun bilan validé pour {ui.markdown_text(name)} pour le moment.")
    st.stop()

labels = {int(r.id): f"Bilan du {r.label} — {r.status_label}" for r in listing.itertuples()}
with st.container(key="bilans_screen_choice"):
    bilan_id = st.selectbox(f"Bilans de {ui.markdown_text(name)}", list(labels), format_func=labels.get,
                            key=f"bilans_choice_{learner_id}")

try:
    # One read, one permission check: the page and its downloadable document show the same report.
    report = bilans.bilan_report(db, user, bilan_id)
except LivretError as error:
    ui.show_error(error)
    st.stop()
bilan, history, axes, audit = report.bilan, report.history, report.axes, report.audit

st.header(f"Bilan de {ui.markdown_text(bilan.learner_name)} — {bilan.date_label}")
st.caption(f"Classe {ui.markdown_text(bilan.class_name)} · {bilan.status_label}"
           + (f" · validé par {ui.markdown_text(bilan.author_name)}" if bilan.author_name and staff else ""))

actions = st.container(horizontal=True, key="bilans_screen_actions")
if actions.button("Imprimer", icon=":material/print:"):
    views.open_print_dialog()
documents.bilan_buttons(report, actions, contrast=ui.user_preferences(user).contrast)
if can(user, "unlock_bilan") and bilan.status == "validated":
    if actions.button("Déverrouiller le bilan", icon=":material/lock_open:"):
        try:
            bilans.unlock_bilan(db, user, bilan_id)
        except LivretError as error:
            ui.show_error(error)
        else:
            st.session_state[FLASH_KEY] = "Bilan déverrouillé : il peut être modifié puis confirmé à nouveau."
            st.rerun()
if can(user, "withdraw_bilan"):
    with actions.popover("Retirer", icon=":material/delete:", help="Retirer un bilan validé par erreur"):
        withdraw_form(bilan)
if staff:
    with st.container(key="bilans_screen_livret"):
        documents.livret_button(user, learner_id, name, key=f"bilans_livret_{learner_id}")

if bilan.status == "unlocked" and staff:
    st.warning("Ce bilan est déverrouillé : modifiez-le, puis confirmez-le pour le verrouiller à nouveau.",
               icon=":material/lock_open:")
    edit_form(bilan)

st.subheader("Constats")
st.text(bilan.constats or "(non renseigné)")
st.subheader("Conseils")
st.text(bilan.conseils or "(non renseigné)")
st.subheader("Bilan des compétences")
views.show_positioning_tables(history)
st.subheader("Diagramme radar")
views.show_radar(axes, history)
if audit is not None:
    st.subheader("Historique des modifications")
    if audit.empty:
        st.caption("Aucune entrée : ce bilan a été enregistré avant la tenue de l'historique.")
    else:
        ui.table(audit[["when", "user_name", "action_label", "before_text", "after_text"]].rename(columns={
            "when": "Date", "user_name": "Par", "action_label": "Action", "before_text": "Avant",
            "after_text": "Après"}).set_index("Date"))
