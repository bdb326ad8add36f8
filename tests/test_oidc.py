"""A real OpenID Connect round trip: Livret's st.login against a mock identity provider started here
(oidc-provider-mock on 127.0.0.1), the e-mail matched to a Livret account, the role's pages, sign-out;
an identity with an unknown e-mail is refused."""

from __future__ import annotations

import os
import secrets
import threading
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from livret.db import connect
from livret.tools.serving import StreamlitServer, free_port

from .conftest import wait_for_app

pytestmark = pytest.mark.browser

TEACHER_EMAIL = "marc.lefebvre@lycee-demo.fr"  # LEFEBVRE Marc in the demo school (2MELEC, 1MELEC)


@pytest.fixture(scope="module")
def provider():
    """The mock identity provider, in a thread of the test process, on a free local port."""
    import oidc_provider_mock
    import werkzeug.serving

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on 127.0.0.1 only
    users = [oidc_provider_mock.User(sub="marc", claims={"email": TEACHER_EMAIL, "name": "Marc Lefebvre"})]
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


class OidcServer(StreamlitServer):
    """The app with an [auth] section pointing at the mock provider (its own secrets file)."""

    def __init__(self, db_path, secrets_dir, issuer: str):
        port = free_port()
        secrets_file = secrets_dir / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "livret"\n'
            'client_secret = "livret-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        )
        super().__init__(db_path, env={"AUTHLIB_INSECURE_TRANSPORT": "1"}, port=port,
                         args=("--secrets.files", str(secrets_file)), unset=("LIVRET_DEMO",))


@pytest.fixture(scope="module")
def oidc_app(databases, tmp_path_factory, demo_template, provider):
    folder = tmp_path_factory.mktemp("oidc")
    server = OidcServer(databases.copy(demo_template, "oidc", folder), folder, provider)
    yield server
    server.stop()


def authorize_at_provider(page, sub: str | None = None, predefined: str | None = None) -> None:
    page.get_by_role("button", name="Se connecter avec le compte de l'établissement").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    if predefined:
        page.get_by_role("button", name=predefined, exact=True).click()
    else:
        page.get_by_placeholder("sub").fill(sub)
        page.get_by_role("button", name="Authorize", exact=True).click()
    wait_for_app(page)


def test_oidc_round_trip_signs_in_by_email_and_out(oidc_app, page):
    page.goto(f"{oidc_app.url}/")
    wait_for_app(page)
    expect(page.get_by_label("Compte de démonstration")).to_have_count(0)  # no demo sign-in with OIDC
    expect(page.get_by_label("Mot de passe")).to_have_count(0)
    authorize_at_provider(page, predefined="marc")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("LEFEBVRE Marc")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Tableau de bord")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Notation")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Comptes")).to_have_count(0)
    expect(sidebar.get_by_role("button", name="Changer mon mot de passe")).to_have_count(0)
    expect(page.get_by_text("Démonstration")).to_have_count(0)
    page.screenshot(path="/tmp/oidc_signed_in.png")

    page.reload()  # the identity cookie set by st.login survives a reload
    wait_for_app(page)
    expect(sidebar.get_by_text("LEFEBVRE Marc")).to_be_visible()

    sidebar.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("button", name="End session").click()  # the provider's end-session page
    wait_for_app(page)
    expect(page.get_by_role("button", name="Se connecter avec le compte de l'établissement")).to_be_visible()
    expect(page.get_by_text("LEFEBVRE Marc")).to_have_count(0)
    page.goto(f"{oidc_app.url}/notation")
    wait_for_app(page)
    expect(page.get_by_role("button", name="Se connecter avec le compte de l'établissement")).to_be_visible()


def test_oidc_sign_in_opens_the_shared_link_it_started_from(oidc_app, page):
    db = connect(oidc_app.db_path)
    class_name, learner = db.execute(
        "SELECT c.name, l.last_name || ' ' || l.first_name FROM users u JOIN teacher_classes t ON t.user_id = u.id "
        "JOIN classes c ON c.id = t.class_id JOIN learners l ON l.class_id = c.id WHERE u.email = ? "
        "ORDER BY c.name DESC, l.last_name DESC LIMIT 1", [TEACHER_EMAIL]).fetchone()
    db.close()
    page.goto(f"{oidc_app.url}/tableau-de-bord?classe={quote(class_name)}&apprenant={quote(learner)}")
    wait_for_app(page)
    page.wait_for_function("() => document.cookie.includes('livret_retour=')")  # written by the sign-in page
    authorize_at_provider(page, predefined="marc")
    expect(page.get_by_role("heading", name="Tableau de bord", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Apprenant")).to_have_value(learner)
    assert "/tableau-de-bord?" in page.url and quote(class_name) in page.url
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Accueil").click()
    wait_for_app(page)
    page.goto(f"{oidc_app.url}/")  # used once: the root now opens the role's first page
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Tableau de bord", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Apprenant")).not_to_have_value(learner)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("button", name="End session").click()
    wait_for_app(page)


def test_oidc_unknown_email_is_refused(oidc_app, page):
    page.goto(f"{oidc_app.url}/bilans")
    wait_for_app(page)
    authorize_at_provider(page, sub="intrus@ailleurs.example")
    expect(page.get_by_text("Aucun compte Livret ne correspond à l'adresse intrus@ailleurs.example")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    page.goto(f"{oidc_app.url}/tableau-de-bord")
    wait_for_app(page)
    expect(page.get_by_text("Aucun compte Livret ne correspond")).to_be_visible()
    expect(page.get_by_text("Complexité")).to_have_count(0)
    page.screenshot(path="/tmp/oidc_refused.png")
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("button", name="End session").click()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Se connecter avec le compte de l'établissement")).to_be_visible()
