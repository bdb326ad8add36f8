"""The only module of livret/ that talks to Streamlit about the database and who is signed in:
database handle, signed-in user, sign-in page (OpenID Connect, demo or local accounts), sign-out.

A local or demo sign-in survives a browser reload: a random token is kept in a cookie
(SameSite=Strict, never in the URL) and only its hash is stored in the database, where signing out,
disabling the account or resetting its password closes it. Pages call these helpers and the service
functions; they hold no SQL and no rule."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import secrets
import threading
import urllib.parse

import streamlit as st
from streamlit.errors import FragmentHandledException
from streamlit.logger import get_logger

from livret import accounts, auth, demo, preferences, schema
from livret.codes import CONTRAST_MARK, ROLES
from livret.db import database_exists, db_location, is_postgres, thread_db
from livret.errors import LivretError
from livret.permissions import User, load_user

_creation_lock = threading.Lock()

USER_KEY = "user_id"
TOKEN_KEY = "auth_token"
CLEAR_COOKIE_KEY = "auth_cookie_clear"
OIDC_MATCH_KEY = "auth_oidc_match"  # (e-mail, user id) once the identity has been matched
OIDC_REFUSAL_KEY = "auth_oidc_refusal"
NOTICE_KEY = "auth_notice"


# ---------------------------------------------------------------- error boundary

LOGGER = get_logger("livret")
UNEXPECTED_ERROR = ("Une erreur inattendue est survenue : cette action n'a pas abouti. Rien n'a été perdu de ce "
                    "qui était enregistré. Rechargez la page ou réessayez ; si l'erreur revient, signalez-la à "
                    "l'administrateur de Livret avec la référence {reference}.")


@contextlib.contextmanager
def error_boundary():
    """Around a page, a dialog or a fragment: an unexpected exception is logged on the server with its
    traceback and the user reads a French message instead (a traceback would show code and data).
    A refusal (LivretError) that no page caught shows its own French message. Streamlit's control
    flow (st.rerun, st.stop, st.switch_page) derives from BaseException and passes through; so does a
    nested fragment's already-handled error."""
    try:
        yield
    except FragmentHandledException:
        raise
    except LivretError as error:
        show_error(error)
    except Exception:
        reference = secrets.token_hex(4)
        LOGGER.exception("Unexpected error (reference %s)", reference)
        st.error(UNEXPECTED_ERROR.format(reference=reference), icon=":material/error:")


def guarded(function):
    @functools.wraps(function)
    def run_guarded(*args, **kwargs):
        with error_boundary():
            return function(*args, **kwargs)

    return run_guarded


def dialog(title: str, **options):
    """st.dialog with the error boundary inside it (the message shows in the dialog)."""
    return lambda function: st.dialog(title, **options)(guarded(function))


def fragment(function=None, **options):
    """st.fragment with the error boundary inside it; @fragment and @fragment(run_every=…) both work."""
    if function is None:
        return lambda f: st.fragment(guarded(f), **options)
    return st.fragment(guarded(function), **options)


@st.cache_resource(show_spinner="Préparation de la base de démonstration…")
def _ensure_database(path: str) -> str:
    """Create the database when it does not exist yet — on SQLite the demo school, on PostgreSQL (a shared
    instance) an empty school with the référentiel — and migrate it, once per process."""
    with _creation_lock:
        if not database_exists(path):
            (demo.build_empty_database if is_postgres(path) else demo.build_demo_database)(path)
        schema.migrate(thread_db(path))
    return path


def database():
    """This thread's connection to the app database (created and migrated on first use)."""
    path = _ensure_database(db_location())
    return thread_db(path)


# ---------------------------------------------------------------- sign-in mode


def oidc_configured() -> bool:
    """OpenID Connect is used when an [auth] section is present in .streamlit/secrets.toml."""
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


def _oidc_provider() -> str | None:
    """None for a provider configured directly in [auth], else the name of its [auth.NAME] section."""
    section = st.secrets["auth"]
    if "client_id" in section:
        return None
    named = [key for key, value in section.items() if hasattr(value, "keys")]
    return named[0] if named else None


def sign_in_mode(db) -> str:
    if oidc_configured():
        return "oidc"
    if accounts.demo_mode_enabled(db):
        return "demo"
    return "local"


# ---------------------------------------------------------------- who is signed in


def _forget() -> None:
    for key in (USER_KEY, TOKEN_KEY, OIDC_MATCH_KEY):
        st.session_state.pop(key, None)


def _oidc_user(db) -> User | None:
    if not st.user.is_logged_in:
        return None
    email = st.user.get("email")
    match = st.session_state.get(OIDC_MATCH_KEY)
    if match and match[0] == email:
        user = load_user(db, match[1])
        if user is None:
            st.session_state[OIDC_REFUSAL_KEY] = auth.DISABLED
            st.session_state.pop(OIDC_MATCH_KEY, None)
        return user
    try:
        user = auth.oidc_account(db, email, st.user.get("email_verified"))
    except LivretError as error:
        st.session_state[OIDC_REFUSAL_KEY] = str(error)
        return None
    st.session_state[OIDC_MATCH_KEY] = (email, user.id)
    st.session_state.pop(OIDC_REFUSAL_KEY, None)
    return user


def current_user() -> User | None:
    """The signed-in, active account, checked again on every run (a closed session or a disabled
    account signs out at once)."""
    db = database()
    if oidc_configured():
        return _oidc_user(db)
    user_id = st.session_state.get(USER_KEY)
    token = st.session_state.get(TOKEN_KEY)
    if user_id is None:
        token = st.context.cookies.get(auth.SESSION_COOKIE)
        user = auth.session_user(db, token) if token else None
        if user is not None:  # a reload or a new tab: the cookie's session is still open
            st.session_state[USER_KEY] = user.id
            st.session_state[TOKEN_KEY] = token
        return user
    user = auth.session_user(db, token) if token else load_user(db, user_id)
    if user is None or user.id != user_id:
        _forget()
        return None
    return user


def _establish(db, user: User, kind: str) -> None:
    token = auth.open_session(db, user, kind)
    st.session_state[USER_KEY] = user.id
    st.session_state[TOKEN_KEY] = token
    st.session_state.pop(CLEAR_COOKIE_KEY, None)
    st.rerun()


def _cookie_script(value: str, max_age: int, name: str = auth.SESSION_COOKIE) -> str:
    cookie = json.dumps(f"{name}={value}; Path=/; Max-Age={max_age}; SameSite=Strict")
    return f"<script>document.cookie = {cookie} + (location.protocol === 'https:' ? '; Secure' : '');</script>"


def write_session_cookie() -> None:
    """Hand the session token to the browser, on every run of the session that signed in (a run cut
    short by a rerun may not have delivered it), unless the browser already sent it."""
    token = st.session_state.get(TOKEN_KEY)
    if token and st.context.cookies.get(auth.SESSION_COOKIE) != token:
        st.html(_cookie_script(token, int(auth.SESSION_LIFETIME.total_seconds())), unsafe_allow_javascript=True)


def sign_out() -> None:
    """Close the session (everywhere this browser holds it) and show the sign-in form again."""
    if oidc_configured():
        st.session_state.pop(OIDC_MATCH_KEY, None)
        st.session_state.pop(OIDC_REFUSAL_KEY, None)
        st.logout()
        return
    auth.close_session(database(), st.session_state.get(TOKEN_KEY))
    _forget()
    st.session_state[CLEAR_COOKIE_KEY] = True
    st.rerun()


def must_change_password(user: User) -> bool:
    """A temporary password (set by the administrator) is replaced before anything else; local accounts only."""
    return sign_in_mode(database()) == "local" and auth.must_change_password(database(), user)


def can_change_password(user: User) -> bool:
    return sign_in_mode(database()) == "local" and auth.has_password(database(), user)


# ---------------------------------------------------------------- sign-in page


def sign_in_page() -> None:
    db = database()
    if st.session_state.pop(CLEAR_COOKIE_KEY, None):
        st.html(_cookie_script("", 0), unsafe_allow_javascript=True)
    st.title("Livret — Connexion")
    mode = sign_in_mode(db)
    if mode == "oidc":
        _oidc_sign_in()
    elif mode == "demo":
        _demo_sign_in(db)
    else:
        _local_sign_in(db)


RETURN_COOKIE = "livret_retour"
RETURN_USED_KEY = "return_address_used"
# The identity provider sends the browser back to the root: the address asked for (a shared link to a
# learner, say) is kept in a short-lived cookie until the first page after the sign-in opens it.
_REMEMBER_RETURN = (
    "<script>(function () { const page = location.pathname.split('/').pop();"
    " if (!page || page === 'connexion' || page === 'ouverture') return;"
    f" document.cookie = '{RETURN_COOKIE}=' + encodeURIComponent(page + location.search)"
    " + '; Path=/; Max-Age=900; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : ''); })();</script>"
)


def return_address(pages: list) -> tuple | None:
    """(page, query parameters) the browser asked for before an OIDC sign-in, once per session, if it
    is one of these pages."""
    raw = st.context.cookies.get(RETURN_COOKIE)
    if not isinstance(raw, str) or not raw or st.session_state.get(RETURN_USED_KEY):
        return None
    st.session_state[RETURN_USED_KEY] = True
    path, _, query = urllib.parse.unquote(raw).partition("?")
    page = next((p for p in pages if p.url_path == path), None)
    if page is None:
        return None
    return page, dict(urllib.parse.parse_qsl(query))


def forget_return_address() -> None:
    if isinstance(st.context.cookies.get(RETURN_COOKIE), str) and st.session_state.get(RETURN_USED_KEY):
        st.html(_cookie_script("", 0, RETURN_COOKIE), unsafe_allow_javascript=True)


def _oidc_sign_in() -> None:
    if st.user.is_logged_in:
        st.error(markdown_text(st.session_state.get(OIDC_REFUSAL_KEY) or "Ce compte n'a pas accès à Livret."))
        if st.button("Se déconnecter", icon=":material/logout:"):
            sign_out()
        return
    st.write("Connectez-vous avec le compte que l'établissement vous a donné.")
    st.html(_REMEMBER_RETURN, unsafe_allow_javascript=True)
    if st.button("Se connecter avec le compte de l'établissement", type="primary", icon=":material/login:"):
        st.login(_oidc_provider())


def _demo_sign_in(db) -> None:
    if accounts.database_kind(db) != "demo":
        st.warning("Mode démonstration activé par LIVRET_DEMO=1 sur une base qui n'est pas une base de "
                   "démonstration : tout le monde peut se connecter sans mot de passe.")
    st.info("**Démonstration** — choisissez un compte de l'établissement fictif ; aucun mot de passe n'est demandé.")
    options = accounts.demo_accounts(db)
    labels = dict(zip(options["id"], options["label"]))
    with st.form("demo_sign_in"):
        choice = st.selectbox("Compte de démonstration", list(labels), format_func=labels.get)
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        try:
            user = accounts.demo_sign_in(db, int(choice))
        except LivretError as error:
            show_error(error)
            return
        _establish(db, user, "demo")


def _local_sign_in(db) -> None:
    with st.form("local_sign_in"):
        email = st.text_input("Adresse e-mail", autocomplete="username")
        password = st.text_input("Mot de passe", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        try:
            user = auth.authenticate(db, email, password)
        except LivretError as error:
            show_error(error)
            return
        _establish(db, user, "local")
    if not db.execute("SELECT 1 FROM users WHERE password_hash IS NOT NULL AND active = 1 LIMIT 1").fetchone():
        st.info("Aucun compte n'a encore de mot de passe. Créez le premier compte administrateur en ligne de "
                "commande : `python -m livret user add --role admin --email … --name \"NOM Prénom\"`.")
    else:
        # Every refusal reads the same (no hint of which e-mails exist), so the lockout rule is told here.
        minutes = int(auth.LOCKOUT.total_seconds() // 60)
        st.caption(f"Après {auth.MAX_FAILED_LOGINS} essais infructueux de suite, le compte est bloqué "
                   f"{minutes} minutes, même pour le bon mot de passe. Mot de passe oublié, compte bloqué ou "
                   "désactivé : l'administrateur de Livret de l'établissement peut le réinitialiser, le "
                   "débloquer ou le réactiver.")


# ---------------------------------------------------------------- password change


def _password_form(user: User, key: str) -> bool:
    with st.form(key):
        current = st.text_input("Mot de passe actuel", type="password", autocomplete="current-password")
        new = st.text_input("Nouveau mot de passe", type="password", autocomplete="new-password",
                            help=f"Au moins {auth.PASSWORD_MIN_LENGTH} caractères.")
        confirmation = st.text_input("Confirmez le nouveau mot de passe", type="password",
                                     autocomplete="new-password")
        submitted = st.form_submit_button("Enregistrer le mot de passe", type="primary")
    if not submitted:
        return False
    try:
        auth.change_password(database(), user, current, new, confirmation,
                             keep_token=st.session_state.get(TOKEN_KEY))
    except LivretError as error:
        show_error(error)
        return False
    st.session_state[NOTICE_KEY] = "Votre mot de passe a été changé."
    return True


@dialog("Changer mon mot de passe")
def password_dialog(user: User) -> None:
    if _password_form(user, "password_change"):
        st.rerun()


def forced_password_page() -> None:
    """Shown instead of every page until a temporary password has been replaced."""
    user = current_user()
    st.title("Choisissez votre mot de passe")
    st.info("Votre mot de passe est provisoire : choisissez-en un nouveau pour continuer.")
    if _password_form(user, "password_first"):
        st.rerun()


def page_not_for_role(home):
    """A page address of another role: says so, shows nothing else, and offers the user's own first page."""
    def not_for_this_role() -> None:
        user = current_user()
        st.title("Page non accessible")
        st.info(f"Cette page n'est pas accessible avec votre profil ({ROLES[user.role]}).")
        st.page_link(home, label=f"Aller à « {home.title} »", icon=home.icon or None)

    return not_for_this_role


def show_notice() -> None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.toast(notice, icon=":material/check_circle:")


def show_banner() -> None:
    db = database()
    if sign_in_mode(db) != "demo":
        return
    banner = st.container(key="livret_banner")  # one thin line (ui.layout)
    if accounts.database_kind(db) == "demo":
        banner.warning("**Démonstration** : établissement fictif, données générées.", icon=":material/science:")
    else:
        banner.warning("**Démonstration** activée par LIVRET_DEMO=1 sur une base réelle : tout le monde peut se "
                       "connecter sans mot de passe.", icon=":material/science:")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#|<>~$])")
_LIST_MARKER = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s|$)", re.MULTILINE)


# GitHub-flavoured Markdown turns a bare address (http://…, www.…) into a link even when every sign is
# escaped: an invisible word joiner inside it (« :⁠// », « www⁠. ») breaks the pattern and reads the same.
# It is no Markdown sign, so « :red[…] » around escaped text keeps its colour. An e-mail address is left
# whole (a mailto: link loads nothing, and the administrator copies addresses from the messages).
WORD_JOINER = "\u2060"
_BARE_ADDRESS = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)", re.IGNORECASE)


_DOUBLE_HYPHEN = re.compile(r"-(?=-)")


def markdown_text(text: str) -> str:
    """Text from a user or a file, shown literally inside Markdown: no emphasis, link, image, list,
    heading, HTML, colour or LaTeX comes from it, and a bare address is not made a link. Ordinary
    punctuation stays as it is (only a list marker starting a line is escaped), so French messages
    read unchanged."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    escaped = _LIST_MARKER.sub(lambda m: m.group(1) + re.sub(r"([-+.)])", r"\\\1", m.group(2)), escaped)
    # Streamlit's Markdown turns « -- » into a dash even when escaped: an invisible joiner keeps « -- » (NA, −−).
    escaped = _DOUBLE_HYPHEN.sub("-" + WORD_JOINER, escaped)
    return _BARE_ADDRESS.sub(WORD_JOINER, escaped)


def table(frame, **options) -> None:
    """st.table, whose cells are Markdown, with every text cell and the index shown literally."""
    def literal(value):
        return markdown_text(value) if isinstance(value, str) else value

    shown = frame.copy()
    for column in shown.columns:
        shown[column] = shown[column].map(literal)
    shown.index = shown.index.map(literal)
    st.table(shown, **options)


def show_error(error: LivretError) -> None:
    """A refusal's French message, shown as plain text (it may quote what the user typed or a file held)."""
    st.error(markdown_text(str(error)))


# ---------------------------------------------------------------- private downloads

# Seconds a generated document stays at its address after the click (the browser fetches it at once);
# any script run of the app also drops it earlier, sign-out included.
DOWNLOAD_RELEASE_SECONDS = 30


def _release_downloads_later() -> None:
    from streamlit import runtime

    if not runtime.exists():
        return
    manager = runtime.get_instance().media_file_mgr
    timer = threading.Timer(DOWNLOAD_RELEASE_SECONDS, manager.remove_orphaned_files)
    timer.daemon = True
    timer.start()


def private_download_button(label: str, data, *, file_name: str, mime: str, target=None, **options):
    """st.download_button for a document about learners (minors): nothing is at any address until the
    click; then the document is generated, with a random mark, so its address (/media/<id>) cannot be
    derived from its content nor reused for a second download, and it is released soon after.

    data: bytes, str, or a callable without arguments returning one (called on the click, outside the
    script: it must not use Streamlit). An HTML document gets its per-click mark as a comment; other
    types get a per-run one as a parameter of their media type (their content is left unchanged)."""
    is_html = mime.split(";")[0].strip() == "text/html"

    def generate():
        content = data() if callable(data) else data
        if is_html:
            mark = f"\n<!-- téléchargement {secrets.token_hex(16)} -->\n"
            content = content + (mark.encode("utf-8") if isinstance(content, bytes) else mark)
        _release_downloads_later()
        return content

    typed = mime if is_html else f"{mime}; livret-telechargement={secrets.token_hex(16)}"
    # "ignore": a rerun racing the generation would drop the click's callable before it is called.
    return (target or st).download_button(label, data=generate, file_name=file_name, mime=typed,
                                          on_click="ignore", **options)


# ---------------------------------------------------------------- the user's own display choices


def user_preferences(user: User) -> preferences.Preferences:
    return preferences.read(database(), user)


def _keep_contrast(user: User) -> None:
    preferences.choose(database(), user, "contrast", bool(st.session_state.get("mode_contraste")))


def contrast_toggle(user: User) -> None:
    """« Mode contrasté » in the sidebar: a colour-blind-safe palette with a pattern per level, on every
    page and in the documents this user downloads; kept for the user in the database. When it is on, a
    mark in the page switches the stylesheets' contrasted rules (livret.codes.CONTRAST_SCOPES)."""
    chosen = user_preferences(user).contrast
    st.session_state["mode_contraste"] = chosen
    st.toggle("Mode contrasté", key="mode_contraste", on_change=_keep_contrast, args=(user,),
              help="Couleurs distinguables quelle que soit la vision des couleurs, et un motif par niveau, "
                   "dans les grilles, les pastilles et les documents.")
    if chosen:
        st.html(f'<span class="{CONTRAST_MARK}" hidden></span>')
