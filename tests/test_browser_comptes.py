"""Page « Comptes » in a real browser: a refused creation keeps what the administrator typed (AppTest does
not clear a submitted form, a browser does), and disabling an account waits for a confirmation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from livret.db import connect

from .conftest import sign_in, wait_for_app

pytestmark = pytest.mark.browser


def create(page):
    page.get_by_role("button", name="Créer le compte").click()
    wait_for_app(page)


def test_a_refused_account_keeps_what_was_typed(private_server, page):
    sign_in(page, private_server.url, "Administrateur —", path="comptes")
    expect(page.get_by_role("heading", name="Comptes")).to_be_visible()
    db = connect(private_server.db_path)
    users = db.execute("SELECT count(*) FROM users").fetchone()[0]
    taken = db.execute("SELECT email FROM users WHERE role = 'teacher' ORDER BY id LIMIT 1").fetchone()[0]
    name = page.get_by_role("textbox", name="Nom (NOM Prénom)")
    email = page.get_by_role("textbox", name="Adresse e-mail", exact=True)

    name.fill("PETIT Jeanne")
    email.fill("jeanne.petit@lycee")
    create(page)
    # (an invisible word joiner may follow « @ »: it keeps Markdown from making the address a link)
    expect(page.get_by_text(re.compile("^L'adresse e-mail « jeanne.petit@\u2060?lycee » n'est pas valide.$"))
           ).to_be_visible()
    expect(name).to_have_value("PETIT Jeanne")
    expect(email).to_have_value("jeanne.petit@lycee")

    email.fill(taken)
    create(page)
    expect(page.get_by_text("Un compte existe déjà avec l'adresse e-mail")).to_be_visible()
    expect(name).to_have_value("PETIT Jeanne")
    expect(email).to_have_value(taken)

    name.fill("P" * 121)
    email.fill("jeanne.petit@lycee.fr")
    create(page)
    expect(page.get_by_text("Le nom ne peut pas dépasser 120 caractères (il en compte 121).")).to_be_visible()
    expect(name).to_have_value("P" * 121)
    expect(email).to_have_value("jeanne.petit@lycee.fr")
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == users
    page.screenshot(path="/tmp/comptes_refused.png")

    name.fill("PETIT Jeanne")
    create(page)
    expect(page.get_by_text("Compte créé : jeanne.petit@")).to_be_visible()
    expect(name).to_have_value("")
    expect(email).to_have_value("")
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == users + 1
    db.close()


def test_disabling_an_account_asks_first(private_server, page):
    sign_in(page, private_server.url, "Administrateur —", path="comptes")
    db = connect(private_server.db_path)
    teacher_id, teacher_name = db.execute(
        "SELECT id, name FROM users WHERE role = 'teacher' AND active = 1 ORDER BY id DESC LIMIT 1").fetchone()
    page.get_by_role("tab", name="Modifier un compte").click()
    page.get_by_label("Compte", exact=True).click()
    page.keyboard.type(teacher_name)  # the list is long: typing filters it
    page.get_by_role("option", name=teacher_name).first.click()
    wait_for_app(page)
    page.get_by_role("button", name="Désactiver le compte").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Désactiver le compte de {teacher_name}")).to_be_visible()
    page.screenshot(path="/tmp/comptes_confirm.png")
    page.get_by_role("button", name="Annuler").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Désactiver le compte de {teacher_name}")).to_have_count(0)
    assert db.execute("SELECT active FROM users WHERE id = ?", [teacher_id]).fetchone()[0] == 1

    page.get_by_role("button", name="Désactiver le compte").click()
    wait_for_app(page)
    page.get_by_role("button", name="Oui, désactiver le compte").click()
    wait_for_app(page)
    expect(page.get_by_text("Compte désactivé :")).to_be_visible()
    assert db.execute("SELECT active FROM users WHERE id = ?", [teacher_id]).fetchone()[0] == 0
    db.close()
