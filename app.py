"""Livret: entry point. Page config, sign-in, and the navigation the signed-in role may open."""

import streamlit as st

from livret import navigation, ui
from livret.codes import ROLES
from livret.ui import layout, streamlit_texts

st.set_page_config(page_title="Livret", page_icon=":material/menu_book:", layout="wide")
streamlit_texts.apply()
layout.apply()


def _every_address_shows(page_function, title: str, icon: str, url_path: str) -> list:
    """The same page at every address, so a shared link still opens the right page once signed in."""
    pages = [st.Page(page_function, title=title, icon=icon, url_path=url_path, default=True)]
    pages += [st.Page(page_function, title=spec.title, url_path=spec.url_path) for spec in navigation.PAGES]
    return pages


def _opening_page(pages: list) -> st.Page:
    """The root address opens the role's first page at its own address: Streamlit serves its default page
    only at the root, so /tableau-de-bord (a shared link, a reload) would otherwise be « Page not found ».
    Back from the identity provider, it opens the address asked for before the sign-in instead."""
    def open_first_page() -> None:
        asked = ui.return_address(pages)
        if asked is not None:
            st.switch_page(asked[0], query_params=asked[1])
        st.switch_page(pages[0], query_params=st.query_params.to_dict())

    return st.Page(open_first_page, title="Livret", url_path="ouverture", default=True, visibility="hidden")


def main() -> None:
    user = ui.current_user()
    if user is None:
        pages = _every_address_shows(ui.sign_in_page, "Connexion", ":material/login:", "connexion")
        st.navigation(pages, position="hidden").run()
    else:
        changing_password = ui.must_change_password(user)
        if changing_password:
            pages = _every_address_shows(ui.forced_password_page, "Mot de passe", ":material/password:", "mot-de-passe")
            current = st.navigation(pages, position="hidden")
        else:
            pages = [st.Page(spec.script, title=spec.title, icon=spec.icon, url_path=spec.url_path)
                     for spec in navigation.pages_for(user)]
            # Another role's page address (a link shared by a colleague) explains itself instead of « Page not found ».
            elsewhere = [st.Page(ui.page_not_for_role(pages[0]), title=spec.title, url_path=spec.url_path,
                                 visibility="hidden") for spec in navigation.PAGES if not navigation.may_open(user, spec)]
            current = st.navigation([_opening_page(pages), *pages, *elsewhere])
        with st.sidebar:
            st.markdown(f"**{ui.markdown_text(user.name)}**  \n{ROLES[user.role]}")
            may_change = not changing_password and ui.can_change_password(user)
            if may_change and st.button("Changer mon mot de passe", icon=":material/password:"):
                ui.password_dialog(user)
            if st.button("Se déconnecter", icon=":material/logout:"):
                ui.sign_out()
            ui.contrast_toggle(user)
            ui.write_session_cookie()
            ui.forget_return_address()
        ui.show_notice()
        ui.show_banner()
        current.run()


# One boundary for the whole run: a page (or the sign-in, or the sidebar) that fails shows a French
# message and logs the traceback on the server; Streamlit's own message would be in English.
with ui.error_boundary():
    main()
