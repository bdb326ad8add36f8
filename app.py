"""Livret: entry point. Page config, sign-in, and the navigation the signed-in role may open."""

import streamlit as st

from livret import navigation, ui
from livret.codes import ROLES

st.set_page_config(page_title="Livret", page_icon=":material/menu_book:", layout="wide")

user = ui.current_user()
if user is None:
    # Every page address shows the sign-in form, so a shared link still works after signing in.
    pages = [st.Page(ui.sign_in_page, title="Connexion", icon=":material/login:", url_path="connexion", default=True)]
    pages += [
        st.Page(ui.sign_in_page, title=spec.title, url_path=spec.url_path)
        for spec in navigation.PAGES
    ]
    st.navigation(pages, position="hidden").run()
else:
    pages = [
        st.Page(spec.script, title=spec.title, icon=spec.icon, url_path=spec.url_path)
        for spec in navigation.pages_for(user.role)
    ]
    current = st.navigation(pages)
    with st.sidebar:
        st.markdown(f"**{user.name}**  \n{ROLES[user.role]}")
        if st.button("Se déconnecter", icon=":material/logout:"):
            ui.sign_out()
            st.rerun()
    ui.show_banner()
    current.run()
