"""Intake-time rules through the real API: closed posts, flood, repeats, browser token, failures.

These use the real Redis (db 14, flushed around each test) through a real RedisSender, as the
intake does in production."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from mizan.service.policy.repository import PolicyRepository
from mizan.service.queue import RedisSender
from mizan.service.tables import Comment
from tests import factories
from tests.conftest import ORIGIN, REDIS_URL, comment_payload, make_settings

pytestmark = pytest.mark.redis


@pytest.fixture
def make_client(tmp_path, sqlite_url, redis_client):
    apps = []

    def build(broker=REDIS_URL, **overrides):
        from mizan.service import create_app

        overrides.setdefault("policy_cache_seconds", 0.0)
        settings = make_settings(tmp_path, sqlite_url, broker_url=broker, **overrides)
        app = create_app(settings, sender=RedisSender(broker))
        app.config["TESTING"] = True
        apps.append(app)
        return app, app.test_client()

    yield build
    for app in apps:
        svc = app.extensions["mizan"]
        svc.repo.engine.dispose()
        svc.sender._client.close()
        rules = getattr(svc, "intake_rules", None)
        if rules is not None and rules.redis is not None:
            rules.redis.close()


def post(client, ip="192.0.2.10", headers=None, **fields):
    return client.post(
        "/api/v1/comments",
        json=comment_payload(**fields),
        headers={"Origin": ORIGIN, **(headers or {})},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_closed_post_answers_403_and_reopened_post_accepts(make_client):
    app, client = make_client()
    prepo = PolicyRepository(app.extensions["mizan"].repo.engine)
    factories.set_post_policy(prepo, "article-42", comments_closed=True)
    resp = post(client)
    assert resp.status_code == 403
    assert resp.json == {
        "error": {"code": "forbidden", "message": "Comments are closed on this article."}
    }
    assert post(client, post_id="article-43").status_code == 202
    factories.set_post_policy(prepo, "article-42", comments_closed=False)
    assert post(client).status_code == 202


def test_second_comment_from_one_email_within_15_seconds_is_429(make_client):
    _app, client = make_client()
    email = "quick.reader@example.org"
    assert post(client, author_email=email, body="أول تعليق").status_code == 202
    resp = post(client, author_email=email.upper(), body="تعليق ثان", ip="192.0.2.99")
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 15
    assert resp.json["error"]["code"] == "too_many_requests"
    assert email not in resp.get_data(as_text=True).lower()
    # The site's script can read the refusal and when to try again (CORS on errors too).
    assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in resp.headers["Access-Control-Expose-Headers"]
    assert post(client, author_email="other.reader@example.org").status_code == 202


def test_tag_and_gmail_dot_variants_share_one_flood_counter(make_client):
    app, client = make_client()
    assert post(client, author_email="salem.ali@gmail.com", body="أول تعليق").status_code == 202
    for n, variant in enumerate(
        ("salem.ali+news@gmail.com", "SalemAli@googlemail.com", "s.a.l.e.m.a.l.i+1@gmail.com")
    ):
        resp = post(client, author_email=variant, body=f"تعليق {n}", ip=f"192.0.2.{50 + n}")
        assert resp.status_code == 429, variant
    # Dots matter elsewhere; each comment keeps the address as typed.
    assert post(client, author_email="salem.ali@example.ly").status_code == 202
    assert post(client, author_email="salemali@example.ly").status_code == 202
    assert post(client, author_email="reader+a@example.ly", body="واحد").status_code == 202
    assert post(client, author_email="reader+b@example.ly", body="اثنان").status_code == 429
    keys = app.extensions["mizan"].keys
    with app.extensions["mizan"].repo.engine.connect() as conn:
        stored = set(conn.execute(select(Comment.author_email_hash)).scalars())
    assert stored == {
        keys.lookup_hash("email", e)
        for e in (
            "salem.ali@gmail.com",
            "salem.ali@example.ly",
            "salemali@example.ly",
            "reader+a@example.ly",
        )
    }


@pytest.mark.parametrize(
    ("typed", "mailbox"),
    [
        ("Salem.Ali+news@GMail.com", "salemali@gmail.com"),
        ("salem.ali@googlemail.com.", "salemali@gmail.com"),
        ("salem.ali+x@example.ly", "salem.ali@example.ly"),
        ("+only@example.ly", "+only@example.ly"),
        (".+x@gmail.com", ".@gmail.com"),
        ("a+b+c@outlook.com", "a@outlook.com"),
        ('"odd@quoted"@example.ly', '"odd@quoted"@example.ly'),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_flood_mailbox(typed, mailbox):
    from mizan.service.intake.rules import flood_mailbox

    assert flood_mailbox(typed) == mailbox
    assert flood_mailbox(mailbox) == mailbox


def test_ip_limit_is_looser_and_counts_across_emails(make_client):
    _app, client = make_client(flood_ip_limit=3)
    for i in range(3):
        assert post(client, ip="192.0.2.20", body=f"تعليق {i}").status_code == 202
    resp = post(client, ip="192.0.2.20")
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert post(client, ip="192.0.2.21").status_code == 202


def test_flood_limits_can_be_disabled(make_client):
    _app, client = make_client(flood_email_limit=0, flood_ip_limit=0)
    for i in range(5):
        assert post(client, author_email="same@example.org", body=f"text {i}").status_code == 202


def test_same_author_same_text_same_post_is_409_but_not_elsewhere(make_client):
    _app, client = make_client(flood_email_limit=0)
    email = "repeat@example.org"
    body = "الحكومة مسؤولة عن انقطاع الكهرباء"
    assert post(client, author_email=email, body=body).status_code == 202
    resp = post(client, author_email=email, body="الحكومة  مسؤولة عن انقطاع الكهرباء!")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "conflict"
    assert post(client, author_email=email, body=body, post_id="article-99").status_code == 202
    assert post(client, author_email="someone.else@example.org", body=body).status_code == 202


def test_redis_down_fails_open_without_personal_data_in_logs(make_client, caplog):
    _app, client = make_client(broker="redis://127.0.0.1:1/0")
    email = "open.fail@example.org"
    with caplog.at_level(logging.WARNING):
        assert post(client, author_email=email).status_code == 202
        assert post(client, author_email=email, body="again").status_code == 202
    text = caplog.text
    assert "Redis unavailable" in text
    assert email not in text and "192.0.2.10" not in text


def test_refused_by_flood_is_not_a_repeat_on_retry(make_client):
    app, client = make_client()
    email = "retry@example.org"
    assert post(client, author_email=email, body="one").status_code == 202
    assert post(client, author_email=email, body="two").status_code == 429
    rules = app.extensions["mizan"].intake_rules
    rules.redis.delete(*rules.redis.keys("mizan:flood:*"))  # as if the window had passed
    assert post(client, author_email=email, body="two").status_code == 202


def test_database_failure_is_503_and_releases_the_intake_marks(make_client, monkeypatch):
    app, client = make_client(flood_email_limit=0)
    svc = app.extensions["mizan"]
    real = svc.repo.insert_comment

    def broken(*_a, **_k):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(svc.repo, "insert_comment", broken)
    resp = post(client, author_email="db.down@example.org", body="نص التعليق")
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    monkeypatch.setattr(svc.repo, "insert_comment", real)
    assert post(client, author_email="db.down@example.org", body="نص التعليق").status_code == 202


def test_browser_token_cookie_is_issued_signed_and_stored_as_hash(make_client):
    app, client = make_client(flood_email_limit=0)
    first = post(client, body="one")
    cookie = client.get_cookie("mizan_bt")
    assert cookie is not None and "HttpOnly" in first.headers["Set-Cookie"]
    second = post(client, body="two")
    assert "Set-Cookie" not in second.headers  # the valid token is kept
    engine = app.extensions["mizan"].repo.engine
    with engine.connect() as conn:
        hashes = conn.execute(select(Comment.id, Comment.browser_token_hash)).all()
    by_id = dict(hashes)
    h1, h2 = by_id[first.json["id"]], by_id[second.json["id"]]
    assert h1 and h1 == h2 and cookie.value not in h1
    client.set_cookie("mizan_bt", "forged.0123456789abcdef0123456789abcdef")
    third = post(client, body="three")
    assert "mizan_bt=" in third.headers["Set-Cookie"]
    with engine.connect() as conn:
        h3 = conn.execute(
            select(Comment.browser_token_hash).where(Comment.id == third.json["id"])
        ).scalar()
    assert h3 and h3 != h1


def test_rules_are_on_with_the_production_sender(tmp_path, sqlite_url, redis_client):
    """The app's own sender (batched from a thread around RedisSender) must enable the rules."""
    from mizan.service import create_app
    from mizan.service.queue import make_sender

    settings = make_settings(tmp_path, sqlite_url, broker_url=REDIS_URL)
    app = create_app(settings, sender=make_sender(REDIS_URL, background=True))
    client = app.test_client()
    email = "same.reader@example.org"
    assert post(client, author_email=email, body="first").status_code == 202
    second = post(client, author_email=email, body="second")
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) > 0
    app.extensions["mizan"].sender.flush(5)
    app.extensions["mizan"].repo.engine.dispose()


def test_a_plain_form_too_soon_gets_a_page_that_says_when_to_post_again(make_client):
    _app, client = make_client()
    form = {
        "author": "علي",
        "email": "quick.form@example.org",
        "comment": "تعليق أول",
        "comment_post_ID": "article-42",
        "lang": "ar",
    }
    headers = {"Origin": ORIGIN, "Referer": ORIGIN + "/2026/11/a/"}
    first = client.post("/comments", data=form, headers=headers)
    assert first.status_code == 303
    form["comment"] = "تعليق ثان بسرعة"
    resp = client.post("/comments", data=form, headers=headers)
    assert resp.status_code == 429 and resp.mimetype == "text/html"
    wait = int(resp.headers["Retry-After"])
    page = resp.get_data(as_text=True)
    assert f"انتظر {wait} ثانية" in page and "تعليق ثان بسرعة" in page
    assert "quick.form@example.org" in page  # refilled for the reader, in their own form only
