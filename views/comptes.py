"""Comptes (administrator): create accounts, disable or re-enable them, reset a password, assign classes to
teachers and link learner accounts to their learner."""

import pandas as pd
import streamlit as st

from livret import accounts, school, ui
from livret.codes import ROLES
from livret.errors import LivretError
from livret.ui import flash

MESSAGE_KEY = "comptes_message"  # + the tab's name: a flash message shown at the top of that tab
CONFIRM_KEY = "comptes_confirm"  # (action, account id) waiting for the administrator's confirmation
FORM_ROUND_KEY = "comptes_form_round"

db = ui.database()
user = ui.current_user()
with_passwords = ui.sign_in_mode(db) != "oidc"


def done(tab: str, message: str, password: str | None = None) -> None:
    """Show the outcome after the rerun that refreshes the table (a temporary password is shown once)."""
    flash.later(f"{MESSAGE_KEY}_{tab}", message, detail=password)
    st.rerun()


def show_outcome(tab: str) -> None:
    shown = flash.show(f"{MESSAGE_KEY}_{tab}")
    password = shown.detail if shown else None
    if password:
        st.write("Mot de passe provisoire, à transmettre à la personne (il ne sera plus affiché ; "
                 "elle devra le changer à sa première connexion) :")
        st.code(password, language=None)


st.title("Comptes")

try:
    table = accounts.list_accounts(db, user)
except LivretError as error:
    ui.show_error(error)
    st.stop()

filter_column, search_column = st.columns([3, 2])
role_filter = filter_column.segmented_control(
    "Profil", list(ROLES), format_func=ROLES.get, selection_mode="multi", key="comptes_roles")
search = search_column.text_input("Rechercher (nom ou adresse e-mail)", key="comptes_search")
shown = table
if role_filter:
    shown = shown[shown["role"].isin(role_filter)]
if search.strip():
    needle = search.strip().casefold()
    shown = shown[shown["name"].str.casefold().str.contains(needle, regex=False)
                  | shown["email"].str.casefold().str.contains(needle, regex=False)]
st.dataframe(
    shown[["name", "email", "role_label", "classes", "learner", "active", "has_password", "locked", "last_login_at"]],
    hide_index=True, width="stretch",
    column_config={
        "name": "Nom", "email": "Adresse e-mail", "role_label": "Profil",
        "classes": st.column_config.TextColumn("Classes", width="medium"),
        "learner": "Apprenant", "active": st.column_config.CheckboxColumn("Actif"),
        "has_password": st.column_config.CheckboxColumn("Mot de passe"),
        "locked": st.column_config.CheckboxColumn("Bloqué"), "last_login_at": "Dernière connexion (UTC)",
    },
)
st.caption(f"{len(shown)} compte(s) sur {len(table)}.")

classes = school.visible_classes(db, user)
class_names = dict(zip(classes["id"].astype(int), classes["name"]))
learners = accounts.learners_for_linking(db, user)
learner_labels = {int(r.id): f"{r.full_name} ({r.class_name})" for r in learners.itertuples()}

create_tab, edit_tab = st.tabs(["Créer un compte", "Modifier un compte"])

with create_tab:
    show_outcome("create")
    # A refused form keeps what was typed; a created account empties it (new widget keys).
    form_round = st.session_state.setdefault(FORM_ROUND_KEY, 0)
    role = st.selectbox("Profil du nouveau compte", list(ROLES), format_func=ROLES.get, key="comptes_new_role")
    with st.form("comptes_create"):
        learner_id = None
        new_classes: list[int] = []
        if role == "learner":
            free = [int(i) for i in learners.loc[learners["account_id"].isna(), "id"]]
            learner_id = st.selectbox("Apprenant", free, format_func=learner_labels.get, index=None,
                                      placeholder="Choisissez l'apprenant", key=f"comptes_new_learner_{form_round}")
            st.caption("Nom et adresse e-mail laissés vides : ceux de l'apprenant.")
        name = st.text_input("Nom (NOM Prénom)", key=f"comptes_new_name_{form_round}",
                             help=f"{accounts.NAME_MAX_LENGTH} caractères au plus.")
        email = st.text_input("Adresse e-mail", key=f"comptes_new_email_{form_round}")
        if role == "teacher":
            new_classes = st.multiselect("Classes", list(class_names), format_func=class_names.get,
                                         key=f"comptes_new_classes_{form_round}", placeholder="Choisissez les classes", select_all=False)
        if st.form_submit_button("Créer le compte", type="primary"):
            try:
                _, password = accounts.create_account(
                    db, user, name=name, email=email, role=role, class_ids=new_classes, learner_id=learner_id,
                    with_password=with_passwords)
            except LivretError as error:
                ui.show_error(error)
            else:
                st.session_state[FORM_ROUND_KEY] = form_round + 1
                done("create", f"Compte créé : {email.strip() or learner_labels.get(learner_id, '')}.", password)


def ask_confirmation(action: str, account_id: int) -> None:
    st.session_state[CONFIRM_KEY] = (action, account_id)
    st.rerun()


def confirmation_step(action: str, account_id: int, question: str, confirm_label: str) -> bool:
    """True once the administrator confirmed the pending action on this account; « Annuler » drops it."""
    if st.session_state.get(CONFIRM_KEY) != (action, account_id):
        return False
    with st.container(border=True):
        st.warning(ui.markdown_text(question), icon=":material/help:")
        yes, no = st.columns(2)
        confirmed = yes.button(confirm_label, type="primary", key=f"comptes_confirm_{action}")
        if no.button("Annuler", key=f"comptes_cancel_{action}"):
            st.session_state.pop(CONFIRM_KEY, None)
            st.rerun()
    if confirmed:
        st.session_state.pop(CONFIRM_KEY, None)
    return confirmed


with edit_tab:
    show_outcome("edit")
    labels = {int(r.id): f"{r.name} — {r.email} ({r.role_label}{'' if r.active else ', désactivé'})"
              for r in table.itertuples()}
    account_id = st.selectbox("Compte", list(labels), format_func=labels.get, index=None,
                              placeholder="Choisissez un compte", key="comptes_account")
    pending = st.session_state.get(CONFIRM_KEY)
    if pending and pending[1] != account_id:  # a question about another account is dropped, not carried over
        st.session_state.pop(CONFIRM_KEY, None)
    if account_id is not None:
        account = table.set_index("id").loc[account_id]
        who = f"{account['name']} ({account['email']})"
        if not account["active"] and pending == ("disable", account_id):  # disabled meanwhile elsewhere
            st.session_state.pop(CONFIRM_KEY, None)
        try:
            actions = st.columns(3)
            if account["active"]:
                if actions[0].button("Désactiver le compte", icon=":material/person_off:"):
                    accounts.check_can_disable(db, user, account_id)  # a refusal shows at once, not after confirming
                    ask_confirmation("disable", account_id)
            elif actions[0].button("Réactiver le compte", icon=":material/person_check:"):
                accounts.set_active(db, user, account_id, True)
                done("edit", f"Compte réactivé : {account['email']}.")
            if with_passwords and actions[1].button("Réinitialiser le mot de passe", icon=":material/key:"):
                ask_confirmation("reset", account_id)
            if account["locked"] and actions[2].button("Débloquer le compte", icon=":material/lock_open:"):
                accounts.unlock(db, user, account_id)
                done("edit", f"Compte débloqué : {account['email']}.")
            if account["active"] and confirmation_step(
                    "disable", account_id,
                    f"Désactiver le compte de {who} ? Ses sessions seront fermées partout et il ne pourra plus "
                    "se connecter tant qu'il n'aura pas été réactivé.", "Oui, désactiver le compte"):
                accounts.set_active(db, user, account_id, False)
                done("edit", f"Compte désactivé : {account['email']}.")
            if with_passwords and confirmation_step(
                    "reset", account_id,
                    f"Réinitialiser le mot de passe de {who} ? Son mot de passe actuel ne fonctionnera plus, ses "
                    "sessions seront fermées et un mot de passe provisoire vous sera affiché.",
                    "Oui, réinitialiser le mot de passe"):
                done("edit", f"Mot de passe réinitialisé : {account['email']}.",
                     accounts.reset_password(db, user, account_id))
            if account["role"] == "teacher":
                with st.form("comptes_classes"):
                    chosen = st.multiselect("Classes de l'enseignant", list(class_names), format_func=class_names.get,
                                            default=accounts.account_classes(db, user, account_id),
                                            placeholder="Choisissez les classes", select_all=False)
                    if st.form_submit_button("Enregistrer les classes"):
                        accounts.set_teacher_classes(db, user, account_id, chosen)
                        done("edit", f"Classes enregistrées pour {account['email']}.")
            if account["role"] == "learner":
                with st.form("comptes_learner"):
                    current = int(account["learner_id"])
                    options = [int(r.id) for r in learners.itertuples()
                               if pd.isna(r.account_id) or int(r.account_id) == account_id]
                    linked = st.selectbox("Apprenant relié", options, format_func=learner_labels.get,
                                          index=options.index(current) if current in options else None)
                    if st.form_submit_button("Relier à cet apprenant") and linked is not None:
                        accounts.link_learner(db, user, account_id, linked)
                        done("edit", f"Compte {account['email']} relié à {learner_labels[linked]}.")
        except LivretError as error:
            ui.show_error(error)
