"""The only module of livret/ that talks to Streamlit: database handle, signed-in user, sign-in page.

Pages call these helpers and the service functions; they hold no SQL and no rule."""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from livret import accounts, demo, schema
from livret.db import db_path, thread_db
from livret.errors import LivretError
from livret.permissions import User, load_user

_creation_lock = threading.Lock()


@st.cache_resource(show_spinner="Préparation de la base de démonstration…")
def _ensure_database(path: str) -> str:
    """Create the demo school when the database does not exist yet, and migrate it, once per process."""
    with _creation_lock:
        if not Path(path).exists():
            demo.build_demo_database(path)
        schema.migrate(thread_db(path))
    return path


def database():
    """This thread's connection to the app database (created and migrated on first use)."""
    path = _ensure_database(str(db_path()))
    return thread_db(path)


def current_user() -> User | None:
    user_id = st.session_state.get("user_id")
    if user_id is None:
        return None
    user = load_user(database(), user_id)
    if user is None:  # account disabled or removed meanwhile
        st.session_state.pop("user_id", None)
    return user


def sign_out() -> None:
    st.session_state.pop("user_id", None)


def sign_in_page() -> None:
    db = database()
    st.title("Livret — Connexion")
    if not accounts.demo_mode_enabled(db):
        st.error("Aucun mode de connexion n'est configuré sur cette instance.")
        return
    st.info("**Démonstration** — choisissez un compte de l'établissement fictif ; aucun mot de passe n'est demandé.")
    options = accounts.demo_accounts(db)
    labels = dict(zip(options["id"], options["label"]))
    with st.form("demo_sign_in"):
        choice = st.selectbox("Compte de démonstration", list(labels), format_func=labels.get)
        if st.form_submit_button("Se connecter", type="primary"):
            try:
                user = accounts.demo_sign_in(db, int(choice))
            except LivretError as error:
                st.error(str(error))
                return
            st.session_state["user_id"] = user.id
            st.rerun()


def show_banner() -> None:
    if accounts.demo_mode_enabled(database()):
        st.warning("**Démonstration** : établissement fictif, données générées.", icon=":material/science:")


def show_error(error: LivretError) -> None:
    st.error(str(error))
