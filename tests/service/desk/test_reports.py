"""Reader reports: distinct readers move a published comment into the reported queue."""

from __future__ import annotations

import json

import pytest

from tests import factories
from tests.conftest import ORIGIN
from tests.service.desk.test_support import add_account, build_app, make_comment, token_for


@pytest.fixture
def app(tmp_path, db_url, sender, monkeypatch):
    monkeypatch.setenv("MIZAN_REPORT_THRESHOLD", "3")
    monkeypatch.setenv("MIZAN_REPORTS_PER_IP_HOUR", "4")
    app = build_app(tmp_path, db_url, sender)
    yield app
    app.extensions["mizan"].repo.engine.dispose()


def report(client, cid, ip, body=None, **headers):
    return client.post(
        f"/api/v1/comments/{cid}/reports",
        data=json.dumps({"reason": "abusive"} if body is None else body),
        content_type="application/json",
        headers=headers,
        environ_base={"REMOTE_ADDR": ip},
    )


def public_ids(client):
    return [c["id"] for c in client.get("/api/v1/posts/article-42/comments").get_json()["comments"]]


def test_three_distinct_readers_move_the_comment_to_the_reported_queue(app, client):
    cid = make_comment(app, "approved")
    assert public_ids(client) == [cid]
    for ip in ("198.51.100.1", "198.51.100.2"):
        resp = report(client, cid, ip, Origin=ORIGIN)
        assert resp.status_code == 202 and resp.get_json() == {"status": "received"}
        assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    # the same reader again is accepted but not counted
    assert report(client, cid, "198.51.100.2").status_code == 202
    assert factories.get_status(app.extensions["mizan"].repo, cid) == "approved"
    assert (
        report(client, cid, "198.51.100.3", {"reason": "spam", "note": "إعلان"}).status_code == 202
    )
    assert factories.get_status(app.extensions["mizan"].repo, cid) == "reported"
    assert public_ids(client) == []
    assert client.get(f"/api/v1/comments/{cid}").status_code == 404
    # a fourth report is still accepted while the comment waits in the queue
    assert report(client, cid, "198.51.100.4").status_code == 202

    headers = {"Authorization": "Bearer " + token_for(app, add_account(app))}
    queue = client.get("/api/v1/moderation/comments?status=reported", headers=headers).get_json()
    assert [c["id"] for c in queue["comments"]] == [cid]
    assert queue["comments"][0]["reports"] == {"count": 4, "reasons": {"abusive": 3, "spam": 1}}
    audit = client.get("/api/v1/moderation/audit", headers=headers).get_json()["entries"]
    assert [(e["actor"], e["action"], e["from_status"], e["to_status"]) for e in audit] == [
        ("readers", "reported", "approved", "reported")
    ]
    # a moderator keeps it: restore puts it back into the public list
    resp = client.post(
        f"/api/v1/moderation/comments/{cid}/actions",
        headers=headers,
        data=json.dumps({"action": "restore"}),
        content_type="application/json",
    )
    assert resp.get_json()["status"] == "approved"
    assert public_ids(client) == [cid]
    detail = client.get(f"/api/v1/moderation/comments/{cid}", headers=headers).get_json()
    assert "198.51.100" not in json.dumps(detail)


def test_reports_are_limited_per_address(app, client):
    ids = [make_comment(app, "approved") for _ in range(5)]
    for cid in ids[:4]:
        assert report(client, cid, "203.0.113.9").status_code == 202
    resp = report(client, ids[4], "203.0.113.9")
    assert resp.status_code == 429
    assert resp.get_json()["error"]["code"] == "too_many_requests"
    assert int(resp.headers["Retry-After"]) > 0
    assert report(client, ids[4], "203.0.113.10").status_code == 202


def test_reports_are_limited_per_comment(tmp_path, sqlite_url, sender, monkeypatch):
    monkeypatch.setenv("MIZAN_REPORTS_PER_COMMENT_HOUR", "2")
    monkeypatch.setenv("MIZAN_REPORT_THRESHOLD", "10")
    app = build_app(tmp_path, sqlite_url, sender)
    client = app.test_client()
    cid = make_comment(app, "approved")
    assert report(client, cid, "192.0.2.1").status_code == 202
    assert report(client, cid, "192.0.2.2").status_code == 202
    assert report(client, cid, "192.0.2.3").status_code == 429
    app.extensions["mizan"].repo.engine.dispose()


@pytest.mark.parametrize("status", ["held", "pending", "spam", "rejected"])
def test_only_published_comments_can_be_reported(app, client, status):
    cid = make_comment(app, status)
    resp = report(client, cid, "192.0.2.7")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert report(client, "no-such-comment", "192.0.2.7").status_code == 404


def test_bad_reports(app, client):
    cid = make_comment(app, "approved")
    url = f"/api/v1/comments/{cid}/reports"
    for body, field in (
        ({"reason": "boring"}, "reason"),
        ({}, "reason"),
        ({"reason": "spam", "note": "x" * 501}, "note"),
        ({"reason": "spam", "who": "me"}, "who"),
    ):
        resp = report(client, cid, "192.0.2.8", body)
        assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"]
    assert client.post(url, data="{", content_type="application/json").status_code == 400
    assert client.post(url, data="x", content_type="text/plain").status_code == 415
    resp = report(client, cid, "192.0.2.8", Origin="https://evil.example")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    # a plain HTML form works too
    resp = client.post(url, data={"reason": "off_topic"}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert resp.status_code == 202
