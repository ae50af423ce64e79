"""Intake through the HTTP API: success, WordPress forms, and every documented bad input."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, func, select

from mizan.service.tables import Comment, Decision
from tests import factories
from tests.conftest import ORIGIN, comment_payload


def count_comments(app) -> int:
    engine = app.extensions["mizan"].repo.engine
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Comment)).scalar_one()


def post_json(client, data, **headers):
    return client.post(
        "/api/v1/comments",
        data=json.dumps(data, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


def assert_error(resp, status: int, code: str):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_json_comment_is_accepted_stored_and_queued(client, app, sender):
    resp = post_json(client, comment_payload())
    assert resp.status_code == 202
    body = resp.get_json()
    assert set(body) == {"id", "status", "status_url"}
    assert body["status"] == "pending"
    assert sender.sent == [[body["id"]]]
    stored = factories.get_comment(app.extensions["mizan"].repo, body["id"])
    assert stored.status == "pending"
    assert stored.body == comment_payload()["body"]
    assert "@" not in stored.author_email_enc


def test_ids_are_opaque_and_not_sequential(client):
    ids = [
        post_json(client, comment_payload(body=f"تعليق رقم {i}")).get_json()["id"] for i in range(5)
    ]
    assert len(set(ids)) == 5
    assert sorted(ids) != ids or sorted(ids, reverse=True) != ids
    assert all(len(i) >= 16 and not i.isdigit() for i in ids)


def test_body_is_stored_exactly_as_submitted_after_trimming_edges(client, app):
    body = "  سطر أول\r\nسطر ثانٍ\twith tab  "
    cid = post_json(client, comment_payload(body=body)).get_json()["id"]
    assert factories.get_comment(app.extensions["mizan"].repo, cid).body == body.strip()


def test_wordpress_form_post_redirects_to_permalink_on_allowed_origin(client, sender):
    form = {
        "author": "علي",
        "email": "ali@example.ly",
        "url": "",
        "comment": "كلام سليم ومفيد",
        "comment_post_ID": "7",
        "comment_parent": "0",
        "submit": "Post Comment",
        "_wp_unfiltered_html_comment": "x",
    }
    resp = client.post(
        "/comments",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={"Referer": f"{ORIGIN}/2026/11/article-7/", "Origin": ORIGIN},
    )
    assert resp.status_code == 303
    article, _, fragment = resp.headers["Location"].partition("#")
    assert article == f"{ORIGIN}/2026/11/article-7/"
    cid, receipt = fragment.removeprefix("mizan-pending-").split(".")
    assert fragment.startswith("mizan-pending-") and sender.sent == [[cid]]
    assert client.get(f"/api/v1/comments/{cid}?receipt={receipt}").get_json()["status"] == "pending"


def test_form_post_without_allowed_referer_gets_bilingual_page(client):
    form = {
        "author": "Ali",
        "email": "ali@example.ly",
        "comment": "Good piece",
        "comment_post_ID": "7",
    }
    resp = client.post(
        "/comments",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={"Accept-Language": "ar-LY,ar;q=0.9,en;q=0.5"},
    )
    assert resp.status_code == 202
    html = resp.get_data(as_text=True)
    assert 'dir="rtl"' in html and "بانتظار المراجعة" in html
    resp = client.post(
        "/comments",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={"Accept-Language": "en-GB"},
    )
    assert "awaiting moderation" in resp.get_data(as_text=True)


def test_form_permalink_on_foreign_origin_is_refused(client, app):
    form = {
        "author": "Ali",
        "email": "ali@example.ly",
        "comment": "Good piece",
        "comment_post_ID": "7",
        "permalink": "https://evil.example/phish",
    }
    resp = client.post(
        "/comments",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "application/json"},
    )
    err = assert_error(resp, 422, "validation_failed")
    assert "permalink" in err["fields"]
    assert count_comments(app) == 0


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"post_id": ""}, "post_id"),
        ({"author_name": "   "}, "author_name"),
        ({"author_name": "x" * 246}, "author_name"),
        ({"author_email": "not-an-email"}, "author_email"),
        ({"author_email": "a" * 250 + "@x.io"}, "author_email"),
        ({"author_url": "javascript:alert(1)"}, "author_url"),
        ({"author_url": "ftp://example.com/x"}, "author_url"),
        ({"author_url": "https://example.com/" + "a" * 200}, "author_url"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": "nul\x00byte"}, "body"),
        ({"body": "bell\x07"}, "body"),
        ({"author_name": "name\nnewline"}, "author_name"),
        ({"permalink": "https://elsewhere.example/a"}, "permalink"),
        ({"parent_id": "doesnotexist1234"}, "parent_id"),
        ({"unexpected": "field"}, "unexpected"),
        ({"post_id": None}, "post_id"),
        ({"body": ["list"]}, "body"),
    ],
)
def test_validation_failures_are_422_with_fields_and_store_nothing(
    client, app, sender, override, field
):
    resp = post_json(client, comment_payload(**override))
    err = assert_error(resp, 422, "validation_failed")
    assert field in err["fields"]
    assert isinstance(err["fields"][field], list)
    assert count_comments(app) == 0
    assert sender.sent == []


def test_missing_required_fields_all_reported(client):
    err = assert_error(post_json(client, {}), 422, "validation_failed")
    assert set(err["fields"]) == {"post_id", "author_name", "author_email", "body"}


def test_validation_messages_in_arabic_when_preferred(client):
    err = assert_error(post_json(client, {}, **{"Accept-Language": "ar"}), 422, "validation_failed")
    assert err["fields"]["body"] == ["هذا الحقل مطلوب."]
    assert "الحقول" in err["message"]
    err = assert_error(
        post_json(client, {}, **{"Accept-Language": "en-US,ar;q=0.5"}), 422, "validation_failed"
    )
    assert err["fields"]["body"] == ["Missing data for required field."]


@pytest.mark.parametrize(
    ("raw", "ctype", "status", "code"),
    [
        (b'{"post_id": ', "application/json", 400, "bad_request"),
        (b"[1, 2]", "application/json", 400, "bad_request"),
        (b"", "application/json", 400, "bad_request"),
        (b'{"body": "\xff\xfe"}', "application/json", 422, "validation_failed"),
        (b"post_id=1", "text/plain", 415, "unsupported_media_type"),
        (b"<xml/>", "application/xml", 415, "unsupported_media_type"),
    ],
)
def test_malformed_json_requests(client, app, raw, ctype, status, code):
    resp = client.post("/api/v1/comments", data=raw, headers={"Content-Type": ctype})
    assert_error(resp, status, code)
    assert count_comments(app) == 0


def test_oversized_body_is_413(client, app):
    big = json.dumps(comment_payload(body="ب" * 40_000)).encode()
    assert len(big) > 64 * 1024
    assert_error(
        client.post("/api/v1/comments", data=big, content_type="application/json"), 413, "too_large"
    )
    assert_error(
        client.post(
            "/comments",
            data=b"comment=" + b"a" * 70_000,
            content_type="application/x-www-form-urlencoded",
            headers={"Accept": "application/json"},
        ),
        413,
        "too_large",
    )
    page = client.post(
        "/comments",
        data=b"comment=" + b"a" * 70_000,
        content_type="application/x-www-form-urlencoded",
        headers={"Accept-Language": "ar"},
    )
    assert page.status_code == 413 and page.mimetype == "text/html"
    assert "جسم الطلب كبير جدًا" in page.get_data(as_text=True)
    assert count_comments(app) == 0


def test_form_with_invalid_utf8_is_422(client, app):
    resp = client.post(
        "/comments",
        data=b"author=%FF%FE&email=a%40b.co&comment=x&comment_post_ID=1",
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "application/json"},
    )
    err = assert_error(resp, 422, "validation_failed")
    assert "_body" in err["fields"]
    assert count_comments(app) == 0


def test_form_endpoint_wrong_content_type_is_415(client):
    resp = client.post("/comments", json=comment_payload(), headers={"Accept": "application/json"})
    assert_error(resp, 415, "unsupported_media_type")


def test_lone_surrogate_in_json_is_422(client, app):
    raw = b'{"post_id": "1", "author_name": "a", "author_email": "a@b.co", "body": "x\\ud800y"}'
    err = assert_error(
        client.post("/api/v1/comments", data=raw, content_type="application/json"),
        422,
        "validation_failed",
    )
    assert "body" in err["fields"]


def test_honeypot_filled_is_accepted_but_stored_as_spam(client, app, sender):
    resp = post_json(client, comment_payload(mizan_hp="http://seo.example"))
    assert resp.status_code == 202
    cid = resp.get_json()["id"]
    assert resp.get_json()["status"] == "pending"  # the bot learns nothing
    repo = app.extensions["mizan"].repo
    assert factories.get_comment(repo, cid).status == "spam"
    [decision] = repo.decisions_for(cid)
    assert decision.reasons == [{"code": "honeypot"}]
    assert decision.decided_by == "intake"
    assert sender.sent == []


def test_empty_honeypot_is_a_normal_comment(client, app, sender):
    resp = post_json(client, comment_payload(mizan_hp=""))
    assert resp.status_code == 202
    assert (
        factories.get_comment(app.extensions["mizan"].repo, resp.get_json()["id"]).status
        == "pending"
    )
    assert len(sender.sent) == 1


def test_broker_down_still_accepts_and_keeps_comment_pending(client, app, sender):
    sender.fail = True
    resp = post_json(client, comment_payload())
    assert resp.status_code == 202
    assert (
        factories.get_comment(app.extensions["mizan"].repo, resp.get_json()["id"]).status
        == "pending"
    )


def test_database_down_is_503_with_retry_after(tmp_path, sender):
    from mizan.service import create_app
    from tests.conftest import make_settings

    app = create_app(
        make_settings(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:1/none"), sender=sender
    )
    resp = post_json(app.test_client(), comment_payload())
    err = assert_error(resp, 503, "unavailable")
    assert int(resp.headers["Retry-After"]) > 0
    assert "127.0.0.1" not in err["message"]


def test_reply_must_target_approved_comment_on_same_post(client, app):
    repo = app.extensions["mizan"].repo
    parent = post_json(client, comment_payload()).get_json()["id"]
    err = assert_error(
        post_json(client, comment_payload(parent_id=parent)), 422, "validation_failed"
    )
    assert "parent_id" in err["fields"]
    engine = repo.engine
    with engine.begin() as conn:
        conn.execute(
            Comment.__table__.update().where(Comment.id == parent).values(status="approved")
        )
    assert post_json(client, comment_payload(parent_id=parent)).status_code == 202
    err = assert_error(
        post_json(client, comment_payload(parent_id=parent, post_id="other")),
        422,
        "validation_failed",
    )
    assert "parent_id" in err["fields"]


def test_client_ip_honours_forwarded_for_only_from_trusted_proxies(tmp_path, sqlite_url, sender):
    import ipaddress

    from mizan.service import create_app
    from tests.conftest import make_settings

    for trusted, expected in (
        ((), "127.0.0.1"),
        ((ipaddress.ip_network("127.0.0.0/8"),), "203.0.113.9"),
    ):
        app = create_app(
            make_settings(tmp_path, sqlite_url, trusted_proxies=trusted), sender=sender
        )
        resp = post_json(
            app.test_client(), comment_payload(), **{"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
        )
        svc = app.extensions["mizan"]
        stored = factories.get_comment(svc.repo, resp.get_json()["id"])
        assert svc.keys.decrypt(stored.ip_enc) == expected
        assert stored.ip_hash == svc.keys.lookup_hash("ip", expected)


def test_request_metadata_is_recorded(client, app):
    """The referrer keeps its origin and path only (hardening issue, finding 6)."""
    cid = post_json(
        client,
        comment_payload(),
        **{
            "User-Agent": "Mozilla/5.0 test",
            "Referer": f"{ORIGIN}/a?utm_source=mail&reader=salem@example.ly#c-3",
            "Accept-Language": "ar-LY",
        },
    ).get_json()["id"]
    c = factories.get_comment(app.extensions["mizan"].repo, cid)
    assert (c.user_agent, c.referrer, c.accept_language) == (
        "Mozilla/5.0 test",
        f"{ORIGIN}/a",
        "ar-LY",
    )


def test_unknown_route_and_method_use_the_error_body(client):
    assert_error(client.get("/api/v1/nothing"), 404, "not_found")
    assert_error(client.delete("/api/v1/comments"), 405, "method_not_allowed")


def test_no_partial_rows_when_decision_insert_fails(tmp_path, sqlite_url, sender, monkeypatch):
    from mizan.service import create_app
    from mizan.service.intake import repository as repo_mod
    from tests.conftest import make_settings

    app = create_app(make_settings(tmp_path, sqlite_url), sender=sender)

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(repo_mod, "decision_row", broken)
    resp = post_json(app.test_client(), comment_payload(mizan_hp="bot"))
    assert resp.status_code == 500
    assert count_comments(app) == 0
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Decision)).scalar_one() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://x.example/'><script>alert(1)</script>",
        'http://x.example/"onmouseover=alert(1)',
        "http://x.example/a b",
        "http://x.example/<b>",
        "http://x.example/`x`",
        "http://x.example\\@evil.example/",
        "http://user:pass@x.example/",
        "http://x.example:99999/",
        "data:text/html,hi",
        "//x.example/",
    ],
)
def test_author_url_must_be_a_well_formed_http_url(client, app, url):
    err = assert_error(post_json(client, comment_payload(author_url=url)), 422, "validation_failed")
    assert "author_url" in err["fields"]
    assert count_comments(app) == 0


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("HTTP://Blog.Example:80/Path?q=1#Top", "http://blog.example/Path?q=1#Top"),
        ("https://blog.example:443", "https://blog.example"),
        ("https://blog.example:8443/a", "https://blog.example:8443/a"),
        ("http://موقع.مصر/مقال", "http://xn--4gbrim.xn--wgbh1c/مقال"),
        ("  https://blog.example/  ", "https://blog.example/"),
    ],
)
def test_author_url_is_stored_normalised(client, app, given, stored):
    cid = post_json(client, comment_payload(author_url=given)).get_json()["id"]
    assert factories.get_comment(app.extensions["mizan"].repo, cid).author_url == stored


def test_article_url_and_title_are_stored_when_the_site_gives_them(client, app):
    cid = post_json(
        client,
        comment_payload(permalink=f"{ORIGIN}/2026/11/fuel/", title="أزمة الوقود في طرابلس"),
    ).get_json()["id"]
    row = factories.get_comment(app.extensions["mizan"].repo, cid)
    assert (row.article_url, row.article_title) == (
        f"{ORIGIN}/2026/11/fuel/",
        "أزمة الوقود في طرابلس",
    )
    bare = post_json(client, comment_payload()).get_json()["id"]
    row = factories.get_comment(app.extensions["mizan"].repo, bare)
    assert (row.article_url, row.article_title) == (None, None)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (f"{ORIGIN}/a/1?p=7&utm_source=nl&utm_medium=email", f"{ORIGIN}/a/1?p=7"),
        (f"{ORIGIN}/a/1?fbclid=IwAR0x&mc_eid=9f3a&mc_cid=12", f"{ORIGIN}/a/1"),
        (f"{ORIGIN}/a/1?ref=reader%40mail.example&id=5", f"{ORIGIN}/a/1?id=5"),
        (f"{ORIGIN}/a/1?Email=reader@mail.example", f"{ORIGIN}/a/1"),
        (f"{ORIGIN}/?p=42&lang=ar", f"{ORIGIN}/?p=42&lang=ar"),
        (f"{ORIGIN}/a/%D9%84%D9%8A?utm_id=1", f"{ORIGIN}/a/%D9%84%D9%8A"),
        (f"{ORIGIN}/a/1?utm_source=x#c?email=a@b.example", f"{ORIGIN}/a/1#c?email=a@b.example"),
        (f"{ORIGIN}/a/1#top?utm_source=x", f"{ORIGIN}/a/1#top?utm_source=x"),
    ],
)
def test_reader_parameters_leave_the_stored_article_link(client, app, given, stored):
    """A newsletter or shared link carries who the reader is ("?mc_eid=", an e-mail): the
    article's link is stored, and sent to webhooks, without it; the article's own parameters
    stay as the site wrote them."""
    cid = post_json(client, comment_payload(permalink=given)).get_json()["id"]
    row = factories.get_comment(app.extensions["mizan"].repo, cid)
    assert (row.permalink, row.article_url) == (stored, stored)
