"""Sign-in under attack (OWASP ASVS level 1): a burst of parallel guesses gets no more than the allowance
of checked passwords and cannot be unlocked by a right password inside it, and the answers (message and
argon2 work) do not tell which e-mails have an account, nor which accounts are locked or disabled."""

from __future__ import annotations

import threading
import time

import pytest
from argon2 import extract_parameters

from livret import accounts, auth, clock
from livret.db import connect
from livret.errors import PermissionDenied
from livret.permissions import load_user

PASSWORD = "correct-horse-battery"
REFUSAL = "Adresse e-mail ou mot de passe incorrect."


class CountingHasher:
    """The real hasher, with each verify() recorded (hash, password) and optionally held at a gate."""

    def __init__(self, real, gate=None):
        self.real, self.gate = real, gate
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def verify(self, password_hash, password):
        with self._lock:
            self.calls.append((password_hash, password))
        if self.gate is not None:
            self.gate(password_hash, password)
        return self.real.verify(password_hash, password)

    def hash(self, password):
        return self.real.hash(password)

    def check_needs_rehash(self, password_hash):
        return self.real.check_needs_rehash(password_hash)


@pytest.fixture
def school(demo_path, monkeypatch):
    """The demo school as a real one; the teacher has a password (one hash for the whole test)."""
    monkeypatch.setenv("LIVRET_DEMO", "0")
    db = connect(demo_path)
    row = db.execute("SELECT id, email FROM users WHERE role = 'teacher' ORDER BY id LIMIT 1").fetchone()
    accounts.operator_set_password(db, email=row[1], password=PASSWORD)
    yield db, row[0], row[1]
    db.close()


def column(db, user_id, name):
    return db.execute(f"SELECT {name} FROM users WHERE id = ?", [user_id]).fetchone()[0]


def refusal_of(db, email, password):
    with pytest.raises(PermissionDenied) as refused:
        auth.authenticate(db, email, password)
    return type(refused.value), str(refused.value)


# ---------------------------------------------------------------- parallel guesses


def test_a_burst_of_parallel_guesses_checks_at_most_five_and_a_right_password_in_it_does_not_unlock(
        school, demo_path, monkeypatch):
    db, user_id, email = school
    real_hash = column(db, user_id, "password_hash")
    guesses = [f"wrong-guess-{i}" for i in range(11)] + [PASSWORD]
    finished: list[object] = []
    release_wrong, release_right = threading.Event(), threading.Event()

    def gate(password_hash, password):
        # Every check waits until all twelve attempts have been claimed or refused, so that the burst
        # is truly simultaneous; the right password's check ends last, after the wrong ones.
        if password_hash == real_hash:
            (release_right if password == PASSWORD else release_wrong).wait(30)

    hasher = CountingHasher(auth._hasher, gate)
    with pytest.raises(PermissionDenied):  # the dummy hash is made once, before the burst
        auth.authenticate(db, "personne@nulle-part.fr", "warm-up")
    monkeypatch.setattr(auth, "_hasher", hasher)
    start = threading.Barrier(len(guesses))

    def attempt(password):
        own = connect(demo_path)
        try:
            start.wait(30)
            try:
                outcome = auth.authenticate(own, email, password)
            except PermissionDenied as refusal:
                outcome = str(refusal)
        finally:
            own.close()
        finished.append((password, outcome))

    threads = [threading.Thread(target=attempt, args=(p,)) for p in guesses]
    for thread in threads:
        thread.start()

    def real_checks():
        return [p for h, p in list(hasher.calls) if h == real_hash]

    deadline = time.monotonic() + 60
    while len(real_checks()) + len(finished) < len(guesses) and time.monotonic() < deadline:
        time.sleep(0.01)
    release_wrong.set()
    for thread, password in zip(threads, guesses):
        if password != PASSWORD:
            thread.join(60)
    release_right.set()
    for thread in threads:
        thread.join(60)

    assert len(finished) == len(guesses)
    assert len(real_checks()) == auth.MAX_FAILED_LOGINS  # never more, whatever the concurrency
    assert len(hasher.calls) == len(guesses)  # every refused attempt did the same (dummy) work
    assert all(outcome == REFUSAL for _, outcome in finished)  # the right password did not sign in
    locked_until = column(db, user_id, "locked_until")
    assert locked_until is not None and clock.parse(locked_until) > clock.now()
    assert accounts.list_accounts(db, load_user(db, admin_id(db))).set_index("id").loc[user_id, "locked"]
    assert db.execute("SELECT count(*) FROM sessions WHERE user_id = ?", [user_id]).fetchone()[0] == 0
    monkeypatch.setattr(auth, "_hasher", hasher.real)
    assert refusal_of(db, email, PASSWORD) == (PermissionDenied, REFUSAL)  # still locked afterwards


def test_a_right_password_checked_while_the_lock_is_earned_does_not_sign_in_nor_unlock(school, demo_path, monkeypatch):
    """Deterministic form of the burst: while the right password is being checked, other guesses earn the lock."""
    db, user_id, email = school
    other = connect(demo_path)
    during: list[str] = []

    def gate(password_hash, password):
        if password == PASSWORD and not during:
            for attempt in range(auth.MAX_FAILED_LOGINS):
                during.append(refusal_of(other, email, f"wrong-{attempt}")[1])

    monkeypatch.setattr(auth, "_hasher", CountingHasher(auth._hasher, gate))
    assert refusal_of(db, email, PASSWORD) == (PermissionDenied, REFUSAL)
    assert during == [REFUSAL] * auth.MAX_FAILED_LOGINS
    locked_until = column(db, user_id, "locked_until")
    assert locked_until is not None and clock.parse(locked_until) > clock.now()
    assert column(db, user_id, "last_login_at") is None
    real_hash = column(db, user_id, "password_hash")
    # The right password plus four wrong ones were checked; the fifth wrong one was refused unchecked.
    assert sum(h == real_hash for h, _ in auth._hasher.calls) == auth.MAX_FAILED_LOGINS
    other.close()


def admin_id(db):
    return db.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()[0]


def test_an_interrupted_check_cannot_lock_the_account_for_ever(school):
    """Attempts counted but never settled (a server stopped mid-check) end as an ordinary lock."""
    db, user_id, email = school
    now = clock.now()
    db.execute("UPDATE users SET failed_logins = ? WHERE id = ?", [auth.MAX_FAILED_LOGINS, user_id])
    with pytest.raises(PermissionDenied, match=f"^{REFUSAL}$"):
        auth.authenticate(db, email, PASSWORD, now=now)
    assert column(db, user_id, "locked_until") == clock.stamp(now + auth.LOCKOUT)
    assert auth.authenticate(db, email, PASSWORD, now=now + auth.LOCKOUT).id == user_id
    assert column(db, user_id, "failed_logins") == 0


# ---------------------------------------------------------------- no enumeration


def test_every_refusal_says_the_same_and_costs_one_argon2_check(school, monkeypatch):
    db, user_id, email = school
    other = db.execute("SELECT id, email FROM users WHERE role = 'ddfpt' ORDER BY id LIMIT 1").fetchone()
    hasher = CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", hasher)

    def answer(login, password):
        before = len(hasher.calls)
        refusal = refusal_of(db, login, password)
        assert len(hasher.calls) == before + 1, f"{login}: not exactly one argon2 check"
        return refusal

    answers = {"unknown e-mail": answer("personne@nulle-part.fr", PASSWORD),
               "empty e-mail": answer("", PASSWORD),
               "account without a password": answer(other[1], PASSWORD),
               "wrong password": answer(email, "wrong-password")}
    real_hash = column(db, user_id, "password_hash")
    assert hasher.calls[-1][0] == real_hash and all(h != real_hash for h, _ in hasher.calls[:-1])

    accounts.set_active(db, load_user(db, admin_id(db)), user_id, False)
    answers["disabled, wrong password"] = answer(email, "wrong-password")
    answers["disabled, right password"] = answer(email, PASSWORD)
    db.execute("UPDATE users SET active = 1, failed_logins = 0 WHERE id = ?", [user_id])

    for attempt in range(auth.MAX_FAILED_LOGINS):
        answers[f"failure {attempt + 1}"] = answer(email, f"wrong-{attempt}")
    assert column(db, user_id, "locked_until") is not None
    calls = len(hasher.calls)
    answers["locked, right password"] = answer(email, PASSWORD)
    answers["locked, wrong password"] = answer(email, "wrong-again")
    # Locked: the account's own hash is no longer checked, a dummy one is, at the same cost.
    assert all(h != real_hash for h, _ in hasher.calls[calls:])
    assert set(answers.values()) == {(PermissionDenied, REFUSAL)}, answers


def test_the_dummy_check_has_the_cost_of_a_real_hash(school):
    db, user_id, _ = school
    auth._dummy_check("anything")
    assert extract_parameters(auth._dummy_hash) == extract_parameters(column(db, user_id, "password_hash"))


# ---------------------------------------------------------------- the sign-in page


def test_sign_in_page_answers_a_locked_account_like_an_unknown_one_and_states_the_rule(app_env, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from .conftest import ROOT

    monkeypatch.setenv("LIVRET_DEMO", "0")
    db = connect(app_env)
    email = db.execute("SELECT email FROM users WHERE role = 'teacher' ORDER BY id LIMIT 1").fetchone()[0]
    accounts.operator_set_password(db, email=email, password=PASSWORD)
    db.execute("UPDATE users SET failed_logins = ?, locked_until = ? WHERE email = ?",
               [auth.MAX_FAILED_LOGINS, clock.stamp(clock.now() + auth.LOCKOUT), email])

    def submit(at, login, password):
        inputs = {t.label: t for t in at.text_input}
        inputs["Adresse e-mail"].input(login)
        inputs["Mot de passe"].input(password)
        return next(b for b in at.button if b.label == "Se connecter").click().run()

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert any("Après 5 essais infructueux de suite, le compte est bloqué 15 minutes" in c.value for c in at.caption)
    locked = [e.value for e in submit(at, email, PASSWORD).error]
    unknown = [e.value for e in submit(at, "personne@nulle-part.fr", PASSWORD).error]
    assert locked == unknown == [REFUSAL]
    assert not any(b.label == "Se déconnecter" for b in at.button)
    db.close()
