"""Desk accounts: argon2 passwords, sessions, CSRF, rate-limited logins, API tokens, the CLI."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mizan.service.cli import main
from mizan.service.desk.usecase import Unauthorized
from mizan.service.errors import TooManyRequests
from mizan.service.tables import ApiToken, Moderator
from tests import factories
from tests.conftest import SECRET
from tests.service.desk.test_support import (
    PASSWORD,
    add_account,
    build_app,
    login,
    make_comment,
    page_csrf,
)


@pytest.fixture
def app(tmp_path, sqlite_url, sender, monkeypatch):
    monkeypatch.setenv("MIZAN_LOGIN_MAX_FAILURES", "3")
    app = build_app(tmp_path, sqlite_url, sender)
    yield app
    app.extensions["mizan"].repo.engine.dispose()


def test_passwords_are_argon2_hashes_and_tokens_are_stored_hashed(app):
    email = add_account(app)
    token, prefix = app.extensions["mizan_desk"].create_token(email, "ci")
    with app.extensions["mizan"].repo.engine.connect() as conn:
        mod = conn.execute(select(Moderator)).one()
        tok = conn.execute(select(ApiToken)).one()
    assert mod.password_hash.startswith("$argon2id$") and PASSWORD not in mod.password_hash
    assert token.startswith("mzn_") and tok.token_hash != token and token not in tok.token_hash
    assert tok.prefix == prefix == token[:12]


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(app, client):
    add_account(app)
    csrf = page_csrf(client.get("/moderation/login").get_data(as_text=True))
    resp = client.post(
        "/moderation/login",
        data={
            "email": "MOD@newsroom.example",
            "password": PASSWORD,
            "csrf_token": csrf,
            "next": "/moderation/audit",
        },
    )
    assert resp.status_code == 303 and resp.headers["Location"] == "/moderation/audit"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/moderation/")
    assert page.status_code == 200 and "mod@newsroom.example" in page.get_data(as_text=True)
    new_csrf = page_csrf(page.get_data(as_text=True))
    assert new_csrf != csrf  # a fresh token after login
    assert client.post("/moderation/logout").status_code == 403  # no CSRF token
    assert client.post("/moderation/logout", data={"csrf_token": new_csrf}).status_code == 303
    assert client.get("/moderation/", headers={"Accept": "text/html"}).status_code == 303


def test_secure_cookie_outside_embedded_mode(tmp_path, sqlite_url, sender):
    app = build_app(tmp_path, sqlite_url, sender, mode="production")
    add_account(app)
    client = app.test_client()
    csrf = page_csrf(client.get("/moderation/login").get_data(as_text=True))
    resp = client.post(
        "/moderation/login",
        data={"email": "mod@newsroom.example", "password": PASSWORD, "csrf_token": csrf},
    )
    assert "Secure" in resp.headers["Set-Cookie"]
    app.extensions["mizan"].repo.engine.dispose()


def test_login_needs_its_csrf_token_and_never_redirects_off_site(app, client):
    add_account(app)
    client.get("/moderation/login")
    resp = client.post(
        "/moderation/login", data={"email": "mod@newsroom.example", "password": PASSWORD}
    )
    assert resp.status_code == 403
    csrf = page_csrf(client.get("/moderation/login").get_data(as_text=True))
    resp = client.post(
        "/moderation/login",
        data={
            "email": "mod@newsroom.example",
            "password": PASSWORD,
            "csrf_token": csrf,
            "next": "//evil.example/x",
        },
    )
    assert resp.headers["Location"] == "/moderation/"


def test_failed_logins_are_rate_limited(app, client):
    add_account(app)
    csrf = page_csrf(client.get("/moderation/login").get_data(as_text=True))
    for _ in range(3):
        resp = client.post(
            "/moderation/login",
            data={"email": "mod@newsroom.example", "password": "wrong", "csrf_token": csrf},
        )
        assert resp.status_code == 401
    resp = client.post(
        "/moderation/login",
        data={"email": "mod@newsroom.example", "password": PASSWORD, "csrf_token": csrf},
    )
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    # The lockout is per account and address: the moderator elsewhere still gets in, so an
    # anonymous caller cannot lock a moderator out (finding 4 of the hardening review).
    other = app.test_client()
    csrf2 = page_csrf(other.get("/moderation/login").get_data(as_text=True))
    resp = other.post(
        "/moderation/login",
        data={"email": "mod@newsroom.example", "password": PASSWORD, "csrf_token": csrf2},
        environ_base={"REMOTE_ADDR": "192.0.2.50"},
    )
    assert resp.status_code == 303


def test_an_account_tried_from_many_addresses_meets_a_wider_limit(app):
    desk = app.extensions["mizan_desk"]
    add_account(app)
    refused = 0
    for i in range(40):  # 3 per address, 30 per account in the window (MAX_FAILURES=3)
        try:
            desk.authenticate("mod@newsroom.example", "wrong", f"198.51.100.{i}")
        except TooManyRequests:
            refused += 1
        except Unauthorized:
            pass
    assert refused == 10


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_a_burst_of_logins_cannot_race_past_the_limit(request, tmp_path, sender, monkeypatch, db):
    """Finding 4: 40 simultaneous attempts try at most MAX_FAILURES passwords between them."""
    monkeypatch.setenv("MIZAN_LOGIN_MAX_FAILURES", "5")
    url = request.getfixturevalue("sqlite_url" if db == "sqlite" else "pg_database")
    app = build_app(tmp_path, url, sender)
    desk = app.extensions["mizan_desk"]
    add_account(app)
    barrier = threading.Barrier(40)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        barrier.wait()
        # All wrong: a right password inside the burst would reset the account's counter when it
        # succeeds (as a login should), and let up to MAX_FAILURES more through, by timing alone.
        password = f"wrong-{i}"
        try:
            desk.authenticate("mod@newsroom.example", password, "203.0.113.9")
            outcomes.append("in")
        except TooManyRequests:
            outcomes.append("limited")
        except Unauthorized:
            outcomes.append("tried")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.extensions["mizan"].repo.engine.dispose()
    assert len(outcomes) == 40
    assert outcomes.count("tried") + outcomes.count("in") <= 5, outcomes


def test_a_cookie_copied_before_logout_is_worthless_after_it(app, client):
    """Finding 5: the signed cookie lives on in a copy; logout must end the session itself."""
    add_account(app)
    csrf = login(client, "mod@newsroom.example")
    copied = client.get_cookie("session").value
    assert client.post("/moderation/logout", data={"csrf_token": csrf}).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/api/v1/moderation/comments").status_code == 401
    # and a new login works as before
    login(client, "mod@newsroom.example")
    assert client.get("/api/v1/moderation/comments").status_code == 200


def test_a_password_change_ends_a_copied_session_at_once(app, client):
    add_account(app)
    login(client, "mod@newsroom.example")
    copied = client.get_cookie("session").value
    app.extensions["mizan_desk"].set_password("mod@newsroom.example", "another long password")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/api/v1/moderation/comments").status_code == 401


def test_unknown_accounts_and_pages_without_login(app, client):
    csrf = page_csrf(client.get("/moderation/login").get_data(as_text=True))
    resp = client.post(
        "/moderation/login",
        data={"email": "nobody@x.example", "password": PASSWORD, "csrf_token": csrf},
    )
    assert resp.status_code == 401
    resp = client.get("/moderation/audit", headers={"Accept": "text/html"})
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/moderation/login")
    resp = client.get("/moderation/audit", headers={"Accept": "application/json"})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"
    resp = client.post("/moderation/actions", data={"action": "approve"})
    assert resp.status_code == 401


def test_password_change_and_disabling_end_sessions(app, client):
    add_account(app)
    login(client, "mod@newsroom.example")
    app.extensions["mizan_desk"].set_password("mod@newsroom.example", "another long password")
    assert client.get("/moderation/", headers={"Accept": "text/html"}).status_code == 303


def test_form_actions_work_without_javascript(app, client):
    add_account(app)
    a, b = make_comment(app, "held"), make_comment(app, "held")
    csrf = login(client, "mod@newsroom.example")
    resp = client.post(
        "/moderation/actions",
        data={
            "csrf_token": csrf,
            "item_action": f"reject:{a}",
            f"reason_{a}": "hate",
            "back": "/moderation/?status=held",
        },
    )
    assert resp.status_code == 303 and resp.headers["Location"] == "/moderation/?status=held"
    resp = client.post(
        "/moderation/actions",
        data={"csrf_token": csrf, "action": "approve", "ids": [b], "back": "https://evil.example"},
    )
    assert resp.headers["Location"] == "/moderation/"
    repo = app.extensions["mizan"].repo
    assert (factories.get_status(repo, a), factories.get_status(repo, b)) == (
        "rejected",
        "approved",
    )
    assert (
        client.post("/moderation/actions", data={"action": "approve", "ids": [b]}).status_code
        == 403
    )


def test_cli_users_tokens(tmp_path, sqlite_url, monkeypatch):
    env = {
        "MIZAN_DATABASE_URL": sqlite_url,
        "MIZAN_DATA_DIR": str(tmp_path),
        "MIZAN_SECRET_KEY": SECRET,
        "MIZAN_USER_PASSWORD": PASSWORD,
    }
    runner = CliRunner()
    res = runner.invoke(
        main, ["users", "add", "Chief@Newsroom.example", "--role", "admin"], env=env
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["users", "add", "chief@newsroom.example"], env=env)
    assert res.exit_code != 0 and "already exists" in res.output
    res = runner.invoke(
        main,
        ["users", "add", "short@newsroom.example"],
        env={**env, "MIZAN_USER_PASSWORD": "short"},
    )
    assert res.exit_code != 0 and "12 characters" in res.output
    res = runner.invoke(
        main,
        ["users", "add", "typed@newsroom.example"],
        env={k: v for k, v in env.items() if k != "MIZAN_USER_PASSWORD"},
        input=PASSWORD + "\n" + PASSWORD + "\n",
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        main, ["tokens", "create", "chief@newsroom.example", "--name", "ci"], env=env
    )
    assert res.exit_code == 0
    token = res.stdout.strip().splitlines()[0]
    assert token.startswith("mzn_")
    res = runner.invoke(main, ["users", "list"], env=env)
    assert "chief@newsroom.example" in res.output and "admin" in res.output
    assert runner.invoke(main, ["tokens", "revoke", token[:12]], env=env).exit_code == 0
    assert runner.invoke(main, ["tokens", "revoke", token[:12]], env=env).exit_code != 0
