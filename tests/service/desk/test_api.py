"""The moderation API: permissions, the queue, every action, audit, bans, posts, word lists."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from mizan.service.tables import AuditEntry, AuthorBan, Comment, Decision, TrainingExample
from tests import factories
from tests.service.desk.test_support import (
    add_account,
    login,
    make_comment,
    token_for,
)


@pytest.fixture
def auth(app):
    email = add_account(app)
    return {"Authorization": f"Bearer {token_for(app, email)}"}


@pytest.fixture
def admin(app):
    email = add_account(app, "editor@newsroom.example", role="admin")
    return {"Authorization": f"Bearer {token_for(app, email)}"}


def post_json(client, url, body, headers=None, **kw):
    return client.post(
        url, data=json.dumps(body), content_type="application/json", headers=headers or {}, **kw
    )


def status_of(app, cid):
    return factories.get_status(app.extensions["mizan"].repo, cid)


def assert_error(resp, status, code):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


# --- access ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/moderation/comments"),
        ("get", "/api/v1/moderation/audit"),
        ("get", "/api/v1/moderation/stats"),
        ("post", "/api/v1/moderation/actions"),
        ("post", "/api/v1/moderation/comments/x/actions"),
        ("post", "/api/v1/moderation/bans"),
    ],
)
def test_readers_get_401_with_the_error_body(client, method, url):
    assert_error(getattr(client, method)(url), 401, "unauthorized")


@pytest.mark.parametrize("header", ["Bearer mzn_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "mzn_x"])
def test_wrong_or_malformed_tokens_get_401(client, auth, header):
    assert_error(
        client.get("/api/v1/moderation/comments", headers={"Authorization": header}),
        401,
        "unauthorized",
    )


def test_a_revoked_token_stops_working(app, client):
    email = add_account(app)
    token, prefix = app.extensions["mizan_desk"].create_token(email, "ci")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/moderation/comments", headers=headers).status_code == 200
    assert app.extensions["mizan_desk"].revoke_token(prefix) == 1
    assert_error(client.get("/api/v1/moderation/comments", headers=headers), 401, "unauthorized")


def test_session_requests_need_the_csrf_token(app, client):
    add_account(app)
    cid = make_comment(app)
    csrf = login(client, "mod@newsroom.example")
    body = {"action": "approve"}
    url = f"/api/v1/moderation/comments/{cid}/actions"
    assert_error(post_json(client, url, body), 403, "csrf_failed")
    assert_error(post_json(client, url, body, {"X-CSRF-Token": "forged"}), 403, "csrf_failed")
    assert_error(
        post_json(client, url, body, {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}),
        403,
        "csrf_failed",
    )
    assert status_of(app, cid) == "held"
    resp = post_json(client, url, body, {"X-CSRF-Token": csrf})
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"


def test_moderators_cannot_edit_word_lists_but_admins_can(client, auth, admin):
    body = {"term": "كلمة سيئة", "list": "blocked"}
    assert_error(post_json(client, "/api/v1/moderation/wordlists", body, auth), 403, "forbidden")
    resp = post_json(client, "/api/v1/moderation/wordlists", body, admin)
    assert resp.status_code == 201 and resp.get_json()["action"] == "reject"
    assert_error(post_json(client, "/api/v1/moderation/wordlists", body, admin), 409, "conflict")
    terms = client.get("/api/v1/moderation/wordlists", headers=auth).get_json()
    assert [t["term"] for t in terms] == ["كلمة سيئة"]
    err = assert_error(
        post_json(client, "/api/v1/moderation/wordlists", {"term": "x", "list": "nope"}, admin),
        422,
        "validation_failed",
    )
    assert "list" in err["fields"]
    assert (
        client.delete(f"/api/v1/moderation/wordlists/{terms[0]['id']}", headers=admin).status_code
        == 204
    )
    assert_error(
        client.delete(f"/api/v1/moderation/wordlists/{terms[0]['id']}", headers=admin),
        404,
        "not_found",
    )


# --- the queue ---------------------------------------------------------------------------------
def test_queue_lists_scores_reasons_spans_history_and_masks_the_email(app, client, auth):
    email = "salem.warfalli@example.org"
    body = "اشترك الآن في قناتنا واربح جوائز قيمة"
    a = make_comment(
        app,
        "held",
        body=body,
        email=email,
        reasons=[{"code": "word_list", "span": [0, 5]}, {"code": "spam_score", "score": 0.7}],
    )
    b = make_comment(app, "held", body=body + "!!", email=email)
    make_comment(app, "approved", email=email)
    make_comment(app, "spam", email=email)
    make_comment(app, "approved", body="مقال ممتاز")
    resp = client.get("/api/v1/moderation/comments?status=held", headers=auth)
    assert resp.status_code == 200
    data = resp.get_json()
    assert [c["id"] for c in data["comments"]] == [a, b]
    first = data["comments"][0]
    assert first["scores"] == {"spam": 0.42, "abuse": 0.61}
    assert first["spans"] == [{"start": 0, "end": 5, "code": "word_list"}]
    assert first["author"]["history"] == {
        "approved": 1,
        "rejected": 0,
        "spam": 1,
        "held": 2,
        "reported": 0,
    }
    assert first["author"]["email_masked"] == "s•••@e•••.org"
    assert email not in resp.get_data(as_text=True)
    assert first["duplicate_group"] == data["comments"][1]["duplicate_group"] == "d1"
    assert data["duplicate_groups"] == [{"id": "d1", "comment_ids": [a, b]}]
    assert data["counts"]["held"] == 2 and data["counts"]["approved"] == 2


def test_queue_filters_search_sort_and_cursor(app, client, auth):
    ids = [
        make_comment(app, "held", body=f"تعليق {i}", post_id="p1" if i % 2 else "p2")
        for i in range(5)
    ]
    seen, cursor = [], None
    while True:
        url = "/api/v1/moderation/comments?limit=2" + (f"&cursor={cursor}" if cursor else "")
        data = client.get(url, headers=auth).get_json()
        seen += [c["id"] for c in data["comments"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    newest = client.get("/api/v1/moderation/comments?sort=newest", headers=auth).get_json()
    assert [c["id"] for c in newest["comments"]] == ids[::-1]
    only = client.get("/api/v1/moderation/comments?post_id=p1", headers=auth).get_json()
    assert [c["id"] for c in only["comments"]] == [ids[1], ids[3]]
    found = client.get("/api/v1/moderation/comments?q=تعليق 3", headers=auth).get_json()
    assert [c["id"] for c in found["comments"]] == [ids[3]]


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=pending", "status"),
        ("sort=score", "sort"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("cursor=!!!", "cursor"),
        ("bogus=1", "bogus"),
    ],
)
def test_queue_rejects_bad_parameters(client, auth, query, field):
    err = assert_error(
        client.get(f"/api/v1/moderation/comments?{query}", headers=auth), 422, "validation_failed"
    )
    assert field in err["fields"]


# --- actions -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "start, action, reason, end, teaches",
    [
        ("held", "approve", None, "approved", {("spam", 0), ("abuse", 0)}),
        ("held", "reject", "abusive", "rejected", {("abuse", 1)}),
        ("held", "reject", "hate", "rejected", {("abuse", 1)}),
        ("held", "reject", "spam", "rejected", {("spam", 1)}),
        ("held", "reject", "off_topic", "rejected", {(None, None)}),
        ("held", "spam", None, "spam", {("spam", 1)}),
        ("spam", "not_spam", None, "approved", {("spam", 0)}),
        ("reported", "approve", None, "approved", {("spam", 0), ("abuse", 0)}),
        ("approved", "reject", "personal_data", "rejected", {(None, None)}),
        ("rejected", "approve", None, "approved", {("spam", 0), ("abuse", 0)}),
    ],
)
def test_each_action_moves_the_comment_records_decision_example_and_audit(
    app, client, auth, start, action, reason, end, teaches
):
    cid = make_comment(app, start)
    body = {"action": action, **({"reason": reason} if reason else {}), "note": "checked"}
    resp = post_json(client, f"/api/v1/moderation/comments/{cid}/actions", body, auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json() == {
        "id": cid,
        "action": action,
        "ok": True,
        "from_status": start,
        "status": end,
    }
    assert status_of(app, cid) == end
    engine = app.extensions["mizan"].repo.engine
    with engine.connect() as conn:
        dec = conn.execute(
            select(Decision).where(Decision.comment_id == cid, Decision.kind == "moderator")
        ).one()
        examples = conn.execute(
            select(TrainingExample).where(TrainingExample.comment_id == cid)
        ).all()
        audit = conn.execute(select(AuditEntry).where(AuditEntry.comment_id == cid)).one()
    assert (dec.outcome, dec.from_status, dec.decided_by, dec.actor) == (
        end,
        start,
        "moderator",
        "mod@newsroom.example",
    )
    assert {(e.task, e.label) for e in examples} == teaches
    assert all(
        e.meta["post_id"] == "article-42" and "email" not in json.dumps(e.meta) for e in examples
    )
    assert (audit.actor, audit.action, audit.from_status, audit.to_status, audit.reason) == (
        "mod@newsroom.example",
        action,
        start,
        end,
        reason,
    )
    assert audit.detail == {"note": "checked"}


def test_approve_publishes_and_the_public_list_changes(app, client, auth):
    cid = make_comment(app, "held", body="تعليق ينتظر المراجعة")
    assert client.get("/api/v1/posts/article-42/comments").get_json()["comments"] == []
    post_json(client, f"/api/v1/moderation/comments/{cid}/actions", {"action": "approve"}, auth)
    listed = client.get("/api/v1/posts/article-42/comments").get_json()["comments"]
    assert [c["id"] for c in listed] == [cid]


@pytest.mark.parametrize(
    "start, action",
    [
        ("approved", "approve"),
        ("held", "not_spam"),
        ("rejected", "reject"),
        ("spam", "spam"),
        ("pending", "approve"),
        ("held", "restore"),
    ],
)
def test_illegal_transitions_are_409_and_change_nothing(app, client, auth, start, action):
    cid = make_comment(app, start)
    body = {"action": action, **({"reason": "other"} if action == "reject" else {})}
    err = assert_error(
        post_json(client, f"/api/v1/moderation/comments/{cid}/actions", body, auth), 409, "conflict"
    )
    assert err["fields"] == {"status": [start]}
    assert status_of(app, cid) == start
    with app.extensions["mizan"].repo.engine.connect() as conn:
        assert conn.execute(select(AuditEntry).where(AuditEntry.comment_id == cid)).first() is None


def test_restore_undoes_the_last_action_and_its_training_example(app, client, auth):
    cid = make_comment(app, "held")
    url = f"/api/v1/moderation/comments/{cid}/actions"
    post_json(client, url, {"action": "reject", "reason": "abusive"}, auth)
    resp = post_json(client, url, {"action": "restore"}, auth)
    assert resp.get_json()["status"] == "held"
    desk = app.extensions["mizan_desk"]
    assert [e for e in desk.repo.training_examples() if e.comment_id == cid] == []
    assert_error(post_json(client, url, {"action": "restore"}, auth), 409, "conflict")


def test_unknown_comment_and_bad_bodies(client, auth):
    url = "/api/v1/moderation/comments/nope/actions"
    assert_error(post_json(client, url, {"action": "approve"}, auth), 404, "not_found")
    ok_url = "/api/v1/moderation/actions"
    assert_error(
        client.post(ok_url, data="{", content_type="application/json", headers=auth),
        400,
        "bad_request",
    )
    assert_error(
        client.post(ok_url, data="[]", content_type="application/json", headers=auth),
        400,
        "bad_request",
    )
    assert_error(
        client.post(
            ok_url,
            data="action=approve",
            headers=auth,
            content_type="application/x-www-form-urlencoded",
        ),
        415,
        "unsupported_media_type",
    )
    err = assert_error(post_json(client, url, {"action": "reject"}, auth), 422, "validation_failed")
    assert "reason" in err["fields"]
    err = assert_error(post_json(client, url, {"action": "delete"}, auth), 422, "validation_failed")
    assert "action" in err["fields"]
    err = assert_error(
        post_json(client, ok_url, {"action": "approve", "ids": [], "x": 1}, auth),
        422,
        "validation_failed",
    )
    assert set(err["fields"]) == {"ids", "x"}


def test_bulk_actions_report_each_comment(app, client, auth):
    a, b = make_comment(app, "held"), make_comment(app, "held")
    c = make_comment(app, "approved")
    resp = post_json(
        client,
        "/api/v1/moderation/actions",
        {"action": "approve", "ids": [a, b, c, "missing", a]},
        auth,
    )
    assert resp.status_code == 200
    results = {r["id"]: r for r in resp.get_json()["results"]}
    assert len(resp.get_json()["results"]) == 4
    assert results[a]["ok"] and results[b]["ok"]
    assert results[c]["error"]["code"] == "conflict"
    assert results["missing"]["error"]["code"] == "not_found"
    assert resp.get_json()["counts"]["approved"] == 3
    audit = client.get("/api/v1/moderation/audit", headers=auth).get_json()["entries"]
    assert [(e["comment_id"], e["action"], e["to_status"]) for e in audit] == [
        (b, "approve", "approved"),
        (a, "approve", "approved"),
    ]


def test_reveal_returns_the_email_and_is_audited(app, client, auth):
    cid = make_comment(app, "held", email="huda@example.org")
    resp = client.post(f"/api/v1/moderation/comments/{cid}/reveal", headers=auth)
    assert resp.get_json() == {"id": cid, "email": "huda@example.org"}
    entries = client.get(f"/api/v1/moderation/audit?comment_id={cid}", headers=auth).get_json()[
        "entries"
    ]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("reveal_email", "mod@newsroom.example")
    ]
    assert "huda" not in json.dumps(entries)
    assert_error(
        client.post("/api/v1/moderation/comments/zzz/reveal", headers=auth), 404, "not_found"
    )


def test_comment_detail_has_history(app, client, auth):
    cid = make_comment(app, "held")
    post_json(client, f"/api/v1/moderation/comments/{cid}/actions", {"action": "spam"}, auth)
    data = client.get(f"/api/v1/moderation/comments/{cid}", headers=auth).get_json()
    assert [(d["kind"], d["outcome"]) for d in data["decisions"]] == [
        ("automatic", "held"),
        ("moderator", "spam"),
    ]
    assert [e["action"] for e in data["audit"]] == ["spam"]


def test_audit_pagination(app, client, auth):
    ids = [make_comment(app, "held") for _ in range(3)]
    for cid in ids:
        post_json(client, f"/api/v1/moderation/comments/{cid}/actions", {"action": "spam"}, auth)
    page = client.get("/api/v1/moderation/audit?limit=2", headers=auth).get_json()
    assert [e["comment_id"] for e in page["entries"]] == ids[:0:-1]
    rest = client.get(
        f"/api/v1/moderation/audit?limit=2&cursor={page['next_cursor']}", headers=auth
    ).get_json()
    assert [e["comment_id"] for e in rest["entries"]] == ids[:1] and rest["next_cursor"] is None
    assert_error(
        client.get("/api/v1/moderation/audit?cursor=x", headers=auth), 422, "validation_failed"
    )


# --- bans and posts ----------------------------------------------------------------------------
def test_bans_by_comment_and_by_value(app, client, auth):
    cid = make_comment(app, "held", email="troll@example.org", ip="198.51.100.23")
    resp = post_json(
        client, "/api/v1/moderation/bans", {"kind": "email", "comment_id": cid, "days": 7}, auth
    )
    assert resp.status_code == 201
    ban = resp.get_json()
    net = post_json(
        client, "/api/v1/moderation/bans", {"kind": "network", "comment_id": cid}, auth
    ).get_json()
    assert net["network"] == "198.51.100.0/24" and net["expires_at"] is None
    by_value = post_json(
        client,
        "/api/v1/moderation/bans",
        {"kind": "ip", "value": "2001:db8::1", "note": "flood"},
        auth,
    )
    assert by_value.status_code == 201
    keys = app.extensions["mizan"].keys
    with app.extensions["mizan"].repo.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(AuthorBan))}
        comment = conn.execute(select(Comment).where(Comment.id == cid)).one()
    assert rows[ban["id"]].value_hash == comment.author_email_hash
    assert rows[by_value.get_json()["id"]].value_hash == keys.lookup_hash("ip", "2001:db8::1")
    listed = client.get("/api/v1/moderation/bans", headers=auth).get_json()
    assert len(listed) == 3 and "troll" not in json.dumps(listed)
    for body in (
        {"kind": "ip", "value": "not-an-ip"},
        {"kind": "network", "value": "0.0.0.0/0"},
        {"kind": "email"},
        {"kind": "email", "comment_id": cid, "value": "a@b.c"},
        {"kind": "face", "value": "x"},
        {"kind": "ip", "value": "1.2.3.4", "days": 0},
    ):
        assert_error(
            post_json(client, "/api/v1/moderation/bans", body, auth), 422, "validation_failed"
        )
    assert client.delete(f"/api/v1/moderation/bans/{ban['id']}", headers=auth).status_code == 204
    assert len(client.get("/api/v1/moderation/bans", headers=auth).get_json()) == 2
    assert_error(
        client.delete(f"/api/v1/moderation/bans/{ban['id']}", headers=auth), 404, "not_found"
    )
    actions = [
        e["action"]
        for e in client.get("/api/v1/moderation/audit", headers=auth).get_json()["entries"]
    ]
    assert actions == ["unban", "ban", "ban", "ban"]


def test_post_settings(client, auth):
    url = "/api/v1/moderation/posts/article-42"
    assert client.get(url, headers=auth).get_json() == {
        "post_id": "article-42",
        "comments_closed": False,
        "premoderation": False,
    }
    resp = client.put(
        url,
        data=json.dumps({"comments_closed": True}),
        content_type="application/json",
        headers=auth,
    )
    assert resp.get_json()["comments_closed"] is True
    resp = client.put(
        url, data=json.dumps({"premoderation": True}), content_type="application/json", headers=auth
    )
    assert resp.get_json() == {
        "post_id": "article-42",
        "comments_closed": True,
        "premoderation": True,
    }
    assert_error(
        client.put(url, data="{}", content_type="application/json", headers=auth),
        422,
        "validation_failed",
    )
    # JSON true/false only: null, 0/1 and strings are refused, as the OpenAPI schema says.
    for body in (
        {"comments_closed": None, "premoderation": 0},
        {"comments_closed": None},
        {"premoderation": 1},
        {"comments_closed": "yes"},
    ):
        resp = client.put(url, data=json.dumps(body), content_type="application/json", headers=auth)
        assert_error(resp, 422, "validation_failed")
    assert client.get(url, headers=auth).get_json()["comments_closed"] is True
    entry = client.get("/api/v1/moderation/audit", headers=auth).get_json()["entries"][0]
    assert entry["action"] == "post_settings"
    assert entry["detail"]["after"] == {"premoderation": True}


# --- stats -------------------------------------------------------------------------------------
def test_stats_measure_agreement_per_model_version(app, client, auth):
    approved = [make_comment(app, "approved", model_version="v1") for _ in range(4)]
    spam = [make_comment(app, "spam", model_version="v1") for _ in range(2)]
    make_comment(app, "held", model_version="v2")
    url = "/api/v1/moderation/comments/{}/actions"
    post_json(client, url.format(approved[0]), {"action": "reject", "reason": "hate"}, auth)
    post_json(client, url.format(approved[1]), {"action": "restore"}, auth)  # 409: nothing to undo
    post_json(client, url.format(approved[2]), {"action": "spam"}, auth)
    post_json(client, url.format(approved[2]), {"action": "not_spam"}, auth)  # back: agrees
    post_json(client, url.format(spam[0]), {"action": "not_spam"}, auth)
    data = client.get("/api/v1/moderation/stats?days=7", headers=auth).get_json()
    models = {m["model_version"]: m for m in data["models"]}
    v1 = models["v1"]
    assert v1["decisions"] == 6 and v1["outcomes"] == {"approved": 4, "spam": 2}
    assert v1["auto_approve"] == {"reviewed": 2, "agreed": 1, "precision": 0.5}
    assert v1["auto_spam"] == {"reviewed": 1, "agreed": 0, "precision": 0.0}
    assert models["v2"]["auto_approve"]["precision"] is None
    assert len(data["days"]) == 2 and all(d["day"] for d in data["days"])
    assert_error(
        client.get("/api/v1/moderation/stats?days=0", headers=auth), 422, "validation_failed"
    )


def test_overlong_post_id_is_a_validation_error_not_a_database_error(client, auth):
    # PostgreSQL refuses a 201-character post_id outright; the API must say why, on both.
    resp = client.put(
        "/api/v1/moderation/posts/" + "p" * 201,
        data=json.dumps({"comments_closed": True}),
        content_type="application/json",
        headers=auth,
    )
    err = assert_error(resp, 422, "validation_failed")
    assert "post_id" in err["fields"]
