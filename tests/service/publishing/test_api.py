"""Publishing: approved comments only, threaded, paginated, cacheable, and nothing private."""

from __future__ import annotations

import json

import pytest

from mizan.service.tables import Comment
from tests import factories
from tests.conftest import ORIGIN, comment_payload


def post(client, **kw) -> str:
    resp = client.post(
        "/api/v1/comments", data=json.dumps(comment_payload(**kw)), content_type="application/json"
    )
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return resp.get_json()["id"]


def set_status(app, cid, status):
    with app.extensions["mizan"].repo.engine.begin() as conn:
        conn.execute(Comment.__table__.update().where(Comment.id == cid).values(status=status))


def test_only_approved_comments_are_listed_threaded_oldest_first(client, app):
    a = post(client, body="الأول")
    set_status(app, a, "approved")
    held = post(client, body="محجوز")
    set_status(app, held, "held")
    b = post(client, body="الثاني")
    set_status(app, b, "approved")
    reply = post(client, body="رد على الأول", parent_id=a)
    set_status(app, reply, "approved")
    post(client, body="رد ما زال قيد المراجعة", parent_id=a)
    other = post(client, body="مقال آخر", post_id="other")
    set_status(app, other, "approved")

    resp = client.get("/api/v1/posts/article-42/comments")
    assert resp.status_code == 200
    data = resp.get_json()
    assert [c["id"] for c in data["comments"]] == [a, b]
    assert [r["id"] for r in data["comments"][0]["replies"]] == [reply]
    assert data["comments"][0]["replies"][0]["parent_id"] == a
    assert data["next_cursor"] is None
    assert set(data["comments"][1]) == {
        "id",
        "parent_id",
        "author_name",
        "author_url",
        "body",
        "created_at",
        "replies",
    }


def test_cursor_pagination_walks_every_thread_once(client, app):
    ids = []
    for i in range(7):
        cid = post(client, body=f"تعليق {i}")
        set_status(app, cid, "approved")
        ids.append(cid)
    seen, cursor = [], None
    while True:
        url = "/api/v1/posts/article-42/comments?limit=3" + (f"&cursor={cursor}" if cursor else "")
        data = client.get(url).get_json()
        seen += [c["id"] for c in data["comments"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert seen == ids


def test_bad_paging_parameters_are_422(client):
    for q in ("limit=0", "limit=101", "limit=abc", "cursor=%%%"):
        resp = client.get(f"/api/v1/posts/p/comments?{q}")
        assert resp.status_code == 422
        assert resp.get_json()["error"]["code"] == "validation_failed"


def test_etag_and_cache_control(client, app):
    cid = post(client)
    set_status(app, cid, "approved")
    resp = client.get("/api/v1/posts/article-42/comments")
    assert resp.headers["ETag"].startswith('W/"')
    assert "max-age=" in resp.headers["Cache-Control"] and "public" in resp.headers["Cache-Control"]
    again = client.get(
        "/api/v1/posts/article-42/comments", headers={"If-None-Match": resp.headers["ETag"]}
    )
    assert again.status_code == 304
    set_status(app, post(client, body="جديد"), "approved")
    changed = client.get(
        "/api/v1/posts/article-42/comments", headers={"If-None-Match": resp.headers["ETag"]}
    )
    assert changed.status_code == 200


def test_single_comment_view_and_receipt(client, app):
    payload = comment_payload()
    resp = client.post(
        "/api/v1/comments", data=json.dumps(payload), content_type="application/json"
    )
    cid, status_url = resp.get_json()["id"], resp.get_json()["status_url"]
    assert client.get(f"/api/v1/comments/{cid}").status_code == 404
    polled = client.get(status_url)
    assert polled.status_code == 200
    got = polled.get_json()
    created = got.pop("created_at")
    # The author's own words come back with the receipt (never the email), time with its zone.
    assert got == {
        "id": cid,
        "status": "pending",
        "reason_category": None,
        "post_id": payload["post_id"],
        "parent_id": None,
        "author_name": payload["author_name"],
        "body": payload["body"],
    }
    assert created.endswith("+00:00")
    assert client.get(f"/api/v1/comments/{cid}?receipt=forged").status_code == 404
    set_status(app, cid, "approved")
    public = client.get(f"/api/v1/comments/{cid}").get_json()
    assert public["id"] == cid and "author_email" not in public


def test_receipt_shows_a_reason_category_never_the_rule(client, app):
    from mizan.service.db import DecisionRecord

    resp = client.post(
        "/api/v1/comments", data=json.dumps(comment_payload()), content_type="application/json"
    )
    cid, status_url = resp.get_json()["id"], resp.get_json()["status_url"]
    factories.record_automatic(
        app.extensions["mizan"].repo,
        [
            DecisionRecord(
                comment_id=cid,
                outcome="held",
                decided_by="rule",
                scores={},
                reasons=[{"code": "too_many_links", "count": 4, "limit": 2}],
                model_version=None,
                policy_version="t",
            )
        ],
    )
    body = client.get(status_url).get_json()
    assert (body["status"], body["reason_category"]) == ("held", "links")
    assert "reasons" not in body and "too_many_links" not in json.dumps(body)


def test_cors_preflight_answers_allowed_origin_only(client):
    ok = client.options(
        "/api/v1/comments",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in ok.headers["Access-Control-Allow-Headers"]
    bad = client.options(
        "/api/v1/comments",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert bad.status_code == 403
    assert "Access-Control-Allow-Origin" not in bad.headers
    assert bad.get_json()["error"]["code"] == "forbidden"


def test_posts_from_foreign_origins_are_refused(client, app):
    resp = client.post(
        "/api/v1/comments",
        data=json.dumps(comment_payload()),
        content_type="application/json",
        headers={"Origin": "https://evil.example"},
    )
    assert resp.status_code == 403
    resp = client.post(
        "/comments",
        data="author=a&email=a%40b.co&comment=x&comment_post_ID=1",
        content_type="application/x-www-form-urlencoded",
        headers={"Referer": "https://evil.example/page"},
    )
    assert resp.status_code == 403
    ok = client.post(
        "/api/v1/comments",
        data=json.dumps(comment_payload()),
        content_type="application/json",
        headers={"Origin": ORIGIN},
    )
    assert ok.status_code == 202
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_control_characters_in_path_or_query_are_refused_up_front(client):
    for url in (
        "/api/v1/posts/a%00b/comments",
        "/api/v1/comments/x%00y",
        "/api/v1/posts/p/comments?cursor=%00",
    ):
        resp = client.get(url)
        assert resp.status_code == 422, url
        assert resp.get_json()["error"]["fields"] == {
            "_request": ["Contains characters that are not allowed."]
        }


def test_public_times_carry_their_zone(client, app):
    cid = post(client)
    set_status(app, cid, "approved")
    listed = client.get("/api/v1/posts/article-42/comments").get_json()["comments"][0]
    one = client.get(f"/api/v1/comments/{cid}").get_json()
    for item in (listed, one):
        assert item["created_at"].endswith("+00:00"), item["created_at"]


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("post", "/api/v1/comments", {}, 422),
        ("get", "/api/v1/comments/nosuchcomment", None, 404),
        ("get", "/api/v1/posts/article-42/comments?limit=0", None, 422),
        ("post", "/api/v1/comments/nosuchcomment/reports", {"reason": "spam"}, 404),
        ("get", "/api/v1/nowhere", None, 404),
    ],
)
def test_errors_carry_cors_headers_for_allowed_sites(client, method, url, body, status):
    kwargs = {"json": body} if body is not None else {}
    resp = getattr(client, method)(url, headers={"Origin": ORIGIN}, **kwargs)
    assert resp.status_code == status
    assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in resp.headers["Access-Control-Expose-Headers"]
    other = getattr(client, method)(url, headers={"Origin": "https://evil.example"}, **kwargs)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_moderation_api_never_answers_cors(client):
    resp = client.get("/api/v1/moderation/comments", headers={"Origin": ORIGIN})
    assert resp.status_code == 401
    assert "Access-Control-Allow-Origin" not in resp.headers
