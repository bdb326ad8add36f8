"""Comptes (administrator): create accounts, disable or re-enable them, reset a password, assign classes to
teachers and link learner accounts to their learner."""

import pandas as pd
import streamlit as st

from livret import accounts, school, ui
from livret.codes import ROLES
from livret.errors import LivretError

MESSAGE_KEY = "comptes_message"

db = ui.database()
user = ui.current_user()
with_passwords = ui.sign_in_mode(db) != "oidc"


def done(tab: str, message: str, password: str | None = None) -> None:
    """Show the outcome after the rerun that refreshes the table (a temporary password is shown once)."""
    st.session_state[MESSAGE_KEY] = (tab, message, password)
    st.rerun()


def show_outcome(tab: str) -> None:
    if st.session_state.get(MESSAGE_KEY, ("",))[0] != tab:
        return
    _, message, password = st.session_state.pop(MESSAGE_KEY)
    st.success(ui.markdown_text(message))
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
    role = st.selectbox("Profil du nouveau compte", list(ROLES), format_func=ROLES.get, key="comptes_new_role")
    with st.form("comptes_create", clear_on_submit=True):
        learner_id = None
        new_classes: list[int] = []
        if role == "learner":
            free = [int(i) for i in learners.loc[learners["account_id"].isna(), "id"]]
            learner_id = st.selectbox("Apprenant", free, format_func=learner_labels.get, index=None,
                                      placeholder="Choisissez l'apprenant")
            st.caption("Nom et adresse e-mail laissés vides : ceux de l'apprenant.")
        name = st.text_input("Nom (NOM Prénom)")
        email = st.text_input("Adresse e-mail")
        if role == "teacher":
            new_classes = st.multiselect("Classes", list(class_names), format_func=class_names.get)
        if st.form_submit_button("Créer le compte", type="primary"):
            try:
                _, password = accounts.create_account(
                    db, user, name=name, email=email, role=role, class_ids=new_classes, learner_id=learner_id,
                    with_password=with_passwords)
            except LivretError as error:
                ui.show_error(error)
            else:
                done("create", f"Compte créé : {email.strip() or learner_labels.get(learner_id, '')}.", password)

with edit_tab:
    show_outcome("edit")
    labels = {int(r.id): f"{r.name} — {r.email} ({r.role_label}{'' if r.active else ', désactivé'})"
              for r in table.itertuples()}
    account_id = st.selectbox("Compte", list(labels), format_func=labels.get, index=None,
                              placeholder="Choisissez un compte", key="comptes_account")
    if account_id is not None:
        account = table.set_index("id").loc[account_id]
        try:
            actions = st.columns(3)
            if account["active"]:
                if actions[0].button("Désactiver le compte", icon=":material/person_off:"):
                    accounts.set_active(db, user, account_id, False)
                    done("edit", f"Compte désactivé : {account['email']}.")
            elif actions[0].button("Réactiver le compte", icon=":material/person_check:"):
                accounts.set_active(db, user, account_id, True)
                done("edit", f"Compte réactivé : {account['email']}.")
            if with_passwords and actions[1].button("Réinitialiser le mot de passe", icon=":material/key:"):
                done("edit", f"Mot de passe réinitialisé : {account['email']}.", accounts.reset_password(db, user, account_id))
            if account["locked"] and actions[2].button("Débloquer le compte", icon=":material/lock_open:"):
                accounts.unlock(db, user, account_id)
                done("edit", f"Compte débloqué : {account['email']}.")
            if account["role"] == "teacher":
                with st.form("comptes_classes"):
                    chosen = st.multiselect("Classes de l'enseignant", list(class_names), format_func=class_names.get,
                                            default=accounts.account_classes(db, user, account_id))
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
