"""Finding 2 of the hardening review: anonymous bad input gets a 4xx, never a 500 or a false 503.

Every case runs on SQLite and PostgreSQL: on PostgreSQL, NUL used to reach the database and
come back as 503 + Retry-After, reporting bad input as an outage.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ORIGIN
from tests.service.desk.test_support import add_account, build_app, token_for

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.fixture
def app(tmp_path, db_url, sender):
    app = build_app(tmp_path, db_url, sender)
    yield app
    app.extensions["mizan"].repo.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(app):
    email = add_account(app, "editor@newsroom.example", role="admin")
    return {"Authorization": f"Bearer {token_for(app, email)}"}


def _cursor(created: object, cid: object) -> str:
    raw = json.dumps([created, cid]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _error(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()["error"]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, '{"body": ' + DEEP + "}"])
@pytest.mark.parametrize(
    "url", ["/api/v1/comments", "/api/v1/comments/abc/reports", "/api/v1/moderation/actions"]
)
def test_deeply_nested_json_is_a_bad_request(client, admin, url, body):
    resp = client.post(url, data=body, content_type="application/json", headers=admin)
    assert _error(resp, 400)["code"] == "bad_request"


@pytest.mark.parametrize("limit", ["%C2%B2", "%D9%A3", "1%C2%B2", "9" * 5000, "-1", "+5"])
def test_limit_takes_ascii_digits_only(client, limit):
    resp = client.get(f"/api/v1/posts/p1/comments?limit={limit}")
    assert _error(resp, 422)["fields"] == {"limit": ["Must be a whole number between 1 and 100."]}


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("2026-01-01T00:00:00+00:00", "\ud800"),
        _cursor("2026-01-01T00:00:00+00:00", "a\x00b"),
        _cursor("\ud800", "abc"),
        _cursor("2026-01-01T00:00:00+00:00", 12),
        _cursor("2026-01-01T00:00:00+00:00", ["x"]),
        base64.urlsafe_b64encode(DEEP.encode()).decode(),
    ],
)
def test_cursors_are_validated_before_sql(client, admin, cursor):
    public = client.get(f"/api/v1/posts/p1/comments?cursor={cursor}")
    assert _error(public, 422)["fields"] == {"cursor": ["Invalid cursor."]}
    desk = client.get(f"/api/v1/moderation/comments?cursor={cursor}", headers=admin)
    assert _error(desk, 422)["fields"]["cursor"]


@pytest.mark.parametrize("cursor", ["%C2%B2", "9" * 30, "99999999999", "1" * 5000])
def test_audit_cursor_is_a_database_sized_integer(client, admin, cursor):
    resp = client.get(f"/api/v1/moderation/audit?cursor={cursor}", headers=admin)
    assert _error(resp, 422)["code"] == "validation_failed"


@pytest.mark.parametrize("term", ["\ud800", "a\x00b", "\udfff tail"])
def test_word_list_terms_with_nul_or_surrogates_are_refused(client, admin, term):
    body = json.dumps({"term": term, "list": "blocked"})  # ensure_ascii keeps the escape
    resp = client.post(
        "/api/v1/moderation/wordlists", data=body, content_type="application/json", headers=admin
    )
    assert _error(resp, 422)["code"] == "validation_failed"


@pytest.mark.parametrize("field", ["body", "author_name", "post_id", "unknown\x00key"])
@pytest.mark.parametrize("text", ["\ud83d", "x\x00y"])
def test_comment_text_with_nul_or_surrogates_is_refused(client, field, text):
    payload = {"post_id": "p1", "author_name": "n", "author_email": "a@b.example", "body": "b"}
    payload[field] = text
    resp = client.post(
        "/api/v1/comments", data=json.dumps(payload), content_type="application/json"
    )
    assert _error(resp, 422)["code"] == "validation_failed"


def test_nul_in_a_desk_form_is_refused_not_a_database_error(app, client):
    from tests.service.desk.test_support import login

    add_account(app, "editor@newsroom.example", role="admin")
    csrf = login(client, "editor@newsroom.example")
    resp = client.post(
        "/moderation/wordlists",
        data={"term": "a\x00b", "list": "blocked", "csrf_token": csrf},
        headers={"Origin": "http://localhost"},
    )
    assert resp.status_code == 422


_TEXT = st.text(st.characters(codec=None, blacklist_categories=()), max_size=20)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=_JSON)
def test_any_json_document_gets_a_client_error_never_a_server_error(client, payload):
    raw = json.dumps(payload)
    for url in ("/api/v1/comments", "/api/v1/comments/abc/reports"):
        resp = client.post(
            url, data=raw, content_type="application/json", headers={"Origin": ORIGIN}
        )
        assert resp.status_code < 500, (url, raw, resp.get_data(as_text=True))
